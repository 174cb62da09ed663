import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter, NeedMoreData } from '../../../src/protocol/bytes.js';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';
import {
  decodeVMState,
  defineVMState,
  elem,
  encodeVMState,
  field,
  globalStateRunstate,
  globalStateValue,
  globalStateVMState,
  timerVMState,
  type VMStateValue,
} from '../../../src/protocol/vmstate/index.js';

import { DEV_GOLDEN, dev, devValue } from './vmstate-fixtures.test.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function encode(desc = dev, value = devValue(), version?: number): Uint8Array {
  const w = new ByteWriter(8);
  encodeVMState(w, desc, value, version);
  return w.finish().slice();
}

function decode(bytes: Uint8Array, version = 2, local?: VMStateValue): VMStateValue {
  return decodeVMState(new ByteReader(bytes), dev, version, { wholePayload: true, local });
}

function expectCode(code: string, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('encodes every field kind to the golden bytes', () => {
  assert.equal(hex(encode()), hex(unhex(DEV_GOLDEN)));
});

test('decodes the golden bytes back to the same value', () => {
  // The unused bytes leave no trace in the value.
  assert.deepEqual(decode(unhex(DEV_GOLDEN)), devValue());
});

test('a field newer than the version is neither sent nor read', () => {
  const v = devValue();
  delete v.v2only;
  const bytes = encode(dev, v, 1);
  assert.equal(bytes.length, unhex(DEV_GOLDEN).length - 4);
  assert.deepEqual(decode(bytes, 1), v);
});

test('a subsection whose needed() is false is not sent, and its absence is fine', () => {
  const v = devValue();
  delete v.extra;
  const bytes = encode(dev, v);
  assert.equal(hex(bytes), hex(unhex(DEV_GOLDEN)).slice(0, -2 * 19));
  assert.deepEqual(decode(bytes), v);
});

test('a subsection of another description ends the payload without error', () => {
  const v = devValue();
  delete v.extra;
  const own = encode(dev, v);
  const bytes = new Uint8Array([...own, 0x05, 0x03, 0x61, 0x62, 0x63, 0, 0, 0, 1]);
  const r = new ByteReader(bytes);
  assert.deepEqual(decodeVMState(r, dev, 2), v);
  assert.equal(r.pos, own.length);
});

test('an unknown subsection with our prefix is an error', () => {
  const v = devValue();
  delete v.extra;
  const bytes = new Uint8Array([
    ...encode(dev, v),
    0x05,
    0x07,
    ...Buffer.from('dev/zzz'),
    0,
    0,
    0,
    1,
  ]);
  expectCode(ErrorCode.PROTOCOL_VMSTATE, () => decode(bytes), /unknown subsection 'dev\/zzz'/);
});

test('subsection names must extend the parent name', () => {
  const sub = defineVMState({ name: 'other/x', versionId: 1, fields: [] });
  expectCode(
    ErrorCode.PROTOCOL_VMSTATE,
    () => defineVMState({ name: 'dev', versionId: 1, fields: [], subsections: [sub] }),
    /must be named 'dev\/...'/,
  );
});

test('version checks use QEMU wording', () => {
  const bytes = unhex(DEV_GOLDEN);
  expectCode(
    ErrorCode.PROTOCOL_VMSTATE,
    () => decode(bytes, 3),
    /^dev: incoming version_id 3 is too new for local version_id 2$/,
  );
  expectCode(
    ErrorCode.PROTOCOL_VMSTATE,
    () => decode(bytes, 0),
    /^dev: incoming version_id 0 is too old for local minimum version_id 1$/,
  );
});

test('equal fields must match the local value', () => {
  const bytes = unhex(DEV_GOLDEN);
  assert.deepEqual(decode(bytes, 2, { eq32: -1, eq64: 10n, eq8: 8 }), devValue());
  expectCode(ErrorCode.PROTOCOL_VMSTATE, () => decode(bytes, 2, { eq32: 5 }), /5 != ffffffff/);
  expectCode(ErrorCode.PROTOCOL_VMSTATE, () => decode(bytes, 2, { eq64: 11n }), /b != a/);
  expectCode(ErrorCode.PROTOCOL_VMSTATE, () => decode(bytes, 2, { eq16: 1 }), /1 != 9/);
});

test('any nonzero bool byte loads as true', () => {
  const d = defineVMState({ name: 'b', versionId: 1, fields: [field.bool('x')] });
  const v = decodeVMState(new ByteReader(new Uint8Array([0x7f])), d, 1, { wholePayload: true });
  assert.equal(v.x, true);
});

test('a truncated payload fails with TRUNCATED at every offset', () => {
  const full = unhex(DEV_GOLDEN);
  for (let n = 0; n < full.length; n++) {
    assert.throws(
      () => decodeVMState(new ByteReader(full.subarray(0, n)), dev, 2),
      (e: unknown) => e instanceof NeedMoreData && e.code === ErrorCode.PROTOCOL_TRUNCATED,
      `prefix of ${n} bytes`,
    );
  }
  // From a stream, even the full payload needs one more byte to rule out a subsection.
  assert.throws(() => decodeVMState(new ByteReader(full), dev, 2), NeedMoreData);
  const r = new ByteReader(new Uint8Array([...full, 0x7e]));
  decodeVMState(r, dev, 2);
  assert.equal(r.pos, full.length);
});

const sized = defineVMState({
  name: 'sized',
  versionId: 1,
  fields: [field.uint32('len'), field.vbuffer('data', 'len')],
});

test('a vbuffer size above the limit is refused before reading', () => {
  const bytes = unhex('ffffffff');
  expectCode(ErrorCode.PROTOCOL_LIMIT, () => decodeVMState(new ByteReader(bytes), sized, 1));
  const small = unhex('00000011');
  expectCode(ErrorCode.PROTOCOL_LIMIT, () =>
    decodeVMState(new ByteReader(small), sized, 1, { maxBytes: 16 }),
  );
  // Under the limit but not yet received: wait for more.
  assert.throws(() => decodeVMState(new ByteReader(unhex('00000010')), sized, 1), NeedMoreData);
});

test('an array count above the limit is refused', () => {
  const d = defineVMState({
    name: 'arr',
    versionId: 1,
    fields: [field.uint32('n'), field.array('x', field.uint64, 'n')],
  });
  expectCode(ErrorCode.PROTOCOL_LIMIT, () =>
    decodeVMState(new ByteReader(unhex('00100000')), d, 1, { maxBytes: 1 << 20 }),
  );
  const empty = defineVMState({ name: 'e', versionId: 1, fields: [] });
  const d2 = defineVMState({
    name: 'arr2',
    versionId: 1,
    fields: [field.uint32('n'), field.array('x', elem.struct(empty), 'n')],
  });
  expectCode(ErrorCode.PROTOCOL_LIMIT, () =>
    decodeVMState(new ByteReader(unhex('ffffffff')), d2, 1),
  );
});

test('encoding rejects values that do not fit their fields', () => {
  const bad: [string, unknown][] = [
    ['i8', 200],
    ['u8', -1],
    ['i64', 1.5],
    ['u64', -1n],
    ['flag', 1],
    ['buf', new Uint8Array(4)],
    ['vbuf', new Uint8Array(3)],
    ['bm', [1n]],
    ['regs', [1]],
    ['items', 'x'],
    ['inner', null],
  ];
  for (const [k, v] of bad) {
    expectCode(ErrorCode.PROTOCOL_ENCODE, () => encode(dev, { ...devValue(), [k]: v }));
  }
});

test('the -M none devices encode as QEMU lays them out', () => {
  const t = encode(timerVMState, { cpu_ticks_offset: 1n, cpu_clock_offset: -2n });
  assert.equal(hex(t), '0000000000000001' + '0000000000000000' + 'fffffffffffffffe');
  const g = encode(globalStateVMState, globalStateValue('running'));
  assert.equal(g.length, 104);
  assert.equal(hex(g.subarray(0, 12)), '00000008' + Buffer.from('running\0').toString('hex'));
  const back = decodeVMState(new ByteReader(g), globalStateVMState, 1, { wholePayload: true });
  assert.equal(globalStateRunstate(back), 'running');
  assert.equal(back.size, 8);
});

test('a 0x05 data byte after a nested struct is not mistaken for a subsection', () => {
  const v = devValue();
  delete v.extra;
  v.items = [{ a: 0x0519, b: false }];
  v.n = 1;
  v.v2only = 0x05ffffff;
  const bytes = encode(dev, v);
  assert.deepEqual(decode(bytes), v);
});
