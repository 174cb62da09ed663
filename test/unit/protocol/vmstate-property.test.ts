import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';
import {
  decodeVMState,
  encodeVMState,
  parseVmdesc,
  VmdescDocument,
} from '../../../src/protocol/vmstate/index.js';
import { dev, devValue } from './vmstate-fixtures.test.js';

function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

const vmdescDesc = (() => {
  const doc = new VmdescDocument(4096);
  doc.addDevice(new ByteWriter(), 'dev', 0, dev, devValue());
  return parseVmdesc(doc.finish()).devices.get('dev:0')!.description;
})();

test('arbitrary bytes decode to a value or a ProtocolError, never anything else', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 3 }),
      (bytes, whole, version) => {
        for (const d of [dev, vmdescDesc]) {
          onlyProtocolErrors(() =>
            decodeVMState(new ByteReader(bytes), d, version, {
              wholePayload: whole,
              maxBytes: 1 << 16,
            }),
          );
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('arbitrary JSON is a vmdesc or a PROTOCOL_VMDESC error', () => {
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
      try {
        parseVmdesc(text);
      } catch (e) {
        assert.ok(e instanceof ProtocolError && e.code === ErrorCode.PROTOCOL_VMDESC, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

const int = (bits: number) => fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 });
const uint = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const u64Arb = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const innerArb = fc.record({ a: uint(16), b: fc.boolean() }, { noNullPrototype: true });

const valueArb = fc
  .record(
    {
      i8: int(8),
      i16: int(16),
      i32: int(32),
      i64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      u8: uint(8),
      u16: uint(16),
      u64: u64Arb,
      flag: fc.boolean(),
      f: fc.double(),
      buf: fc.uint8Array({ minLength: 3, maxLength: 3 }),
      vbuf: fc.uint8Array({ maxLength: 40 }),
      t: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      bm: fc.array(u64Arb, { minLength: 2, maxLength: 2 }),
      inner: innerArb,
      regs: fc.array(uint(16), { minLength: 2, maxLength: 2 }),
      items: fc.array(innerArb, { maxLength: 5 }),
      eq32: int(32),
      equ32: uint(32),
      eq8: uint(8),
      eq16: uint(16),
      eq64: u64Arb,
      v2only: uint(32),
      extra: fc.option(uint(32), { nil: undefined }),
    },
    { noNullPrototype: true },
  )
  .map((v) => {
    const out: Record<string, unknown> = { ...v, len: v.vbuf.length, n: v.items.length };
    if (v.extra === undefined) delete out.extra;
    return out;
  });

test('arbitrary values round-trip through encode and decode', () => {
  fc.assert(
    fc.property(valueArb, (value) => {
      const w = new ByteWriter(16);
      encodeVMState(w, dev, value);
      const bytes = w.finish();
      const back = decodeVMState(new ByteReader(bytes), dev, 2, { wholePayload: true });
      assert.deepEqual(back, value);
      const viaVmdesc = (() => {
        const doc = new VmdescDocument(4096);
        const w2 = new ByteWriter(16);
        doc.addDevice(w2, 'dev', 0, dev, value);
        assert.deepEqual(w2.finish(), bytes);
        return parseVmdesc(doc.finish()).devices.get('dev:0')!.description;
      })();
      // The vmdesc cannot tell an empty array (no entry) or a one-element array
      // (an entry without array_len) from an absent or single field.
      const listed = { ...value };
      const items = value.items as unknown[];
      if (items.length === 0) delete listed.items;
      if (items.length === 1) listed.items = items[0];
      assert.deepEqual(
        decodeVMState(new ByteReader(bytes), viaVmdesc, 2, { wholePayload: true }),
        listed,
      );
    }),
    { numRuns: 300 },
  );
});
