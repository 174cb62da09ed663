import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';
import {
  decodeVMState,
  defineVMState,
  elem,
  field,
  globalStateValue,
  globalStateVMState,
  parseVmdesc,
  timerVMState,
  VmdescDocument,
  vmdescKey,
} from '../../../src/protocol/vmstate/index.js';
import { DEV_GOLDEN, dev, devValue } from './vmstate-fixtures.test.js';

/** qemu-none-machine.md's vmdesc, re-serialised without whitespace. */
const NONE_MACHINE_COMPACT =
  '{"page_size":4096,"devices":[' +
  '{"name":"timer","instance_id":0,"vmsd_name":"timer","version":2,"fields":[' +
  '{"name":"cpu_ticks_offset","type":"int64","size":8},' +
  '{"name":"unused","type":"unused_buffer","size":8},' +
  '{"name":"cpu_clock_offset","type":"int64","size":8}]},' +
  '{"name":"globalstate","instance_id":0,"vmsd_name":"globalstate","version":1,"fields":[' +
  '{"name":"size","type":"uint32","size":4},' +
  '{"name":"runstate","type":"buffer","size":100}]}]}';

function noneMachine(style: 'qemu' | 'compact'): string {
  const doc = new VmdescDocument(4096, style);
  const w = new ByteWriter();
  doc.addDevice(w, 'timer', 0, timerVMState, { cpu_ticks_offset: 0n, cpu_clock_offset: 0n });
  doc.addDevice(w, 'globalstate', 0, globalStateVMState, globalStateValue('prelaunch'));
  assert.equal(w.length, 24 + 104);
  return doc.finish();
}

test('vmdesc for timer + globalstate matches what QEMU wrote for -M none', () => {
  assert.equal(noneMachine('compact'), NONE_MACHINE_COMPACT);
});

test("vmdesc in QEMU's own spacing (JSONWriter: ', ' and ': ')", () => {
  const text = noneMachine('qemu');
  assert.ok(
    text.startsWith('{"page_size": 4096, "devices": [{"name": "timer", "instance_id": 0, '),
  );
  assert.equal(JSON.stringify(JSON.parse(text)), NONE_MACHINE_COMPACT);
});

function devVmdesc(): { json: string; bytes: Uint8Array } {
  const doc = new VmdescDocument(4096, 'compact');
  const w = new ByteWriter();
  doc.addDevice(w, 'dev', 0, dev, devValue());
  return { json: doc.finish(), bytes: w.finish().slice() };
}

test('vmdesc lists arrays, structs and subsections as QEMU does', () => {
  const { json, bytes } = devVmdesc();
  assert.equal(Buffer.from(bytes).toString('hex'), DEV_GOLDEN.replace(/\s+/g, ''));
  const d = JSON.parse(json).devices[0];
  const byName = (n: string) => d.fields.find((f: { name: string }) => f.name === n);
  assert.deepEqual(byName('regs'), { name: 'regs', array_len: 2, type: 'uint16', size: 2 });
  assert.deepEqual(byName('vbuf'), { name: 'vbuf', type: 'buffer', size: 2 });
  assert.deepEqual(byName('bm'), { name: 'bm', type: 'bitmap', size: 16 });
  assert.deepEqual(byName('eq64'), { name: 'eq64', type: 'int64 equal', size: 8 });
  assert.equal(
    JSON.stringify(byName('items')),
    '{"name":"items","array_len":2,"type":"struct","struct":{"vmsd_name":"inner","version":1,' +
      '"fields":[{"name":"a","type":"uint16","size":2},{"name":"b","type":"bool","size":1}]},"size":3}',
  );
  assert.deepEqual(d.subsections, [
    {
      vmsd_name: 'dev/extra',
      version: 3,
      fields: [{ name: 'extra', type: 'uint32', size: 4 }],
    },
  ]);
});

test('arrays of structs with subsections get one entry per index; repeated names get [k]', () => {
  const sub = defineVMState({ name: 'el/s', versionId: 1, fields: [field.uint8('s')] });
  const el = defineVMState({ name: 'el', versionId: 1, fields: [], subsections: [sub] });
  const d = defineVMState({
    name: 'd',
    versionId: 1,
    fields: [field.unused(1), field.array('e', elem.struct(el), 2), field.unused(2)],
  });
  const doc = new VmdescDocument(4096, 'compact');
  doc.addDevice(new ByteWriter(), 'd', 1, d, { e: [{ s: 1 }, { s: 2 }] });
  const f = JSON.parse(doc.finish()).devices[0].fields;
  assert.deepEqual(
    f.map((x: Record<string, unknown>) => [x.name, x.index, x.size]),
    [
      ['unused[0]', undefined, 1],
      ['e', 0, 11],
      ['e', 1, 11],
      ['unused[1]', undefined, 2],
    ],
  );
});

test('a description built from the vmdesc decodes the same bytes to the same values', () => {
  const { json, bytes } = devVmdesc();
  const vmdesc = parseVmdesc(json);
  assert.equal(vmdesc.pageSize, 4096);
  const device = vmdesc.devices.get(vmdescKey('dev', 0));
  assert.ok(device);
  const opts = { wholePayload: true };
  const fromDesc = decodeVMState(new ByteReader(bytes), device.description, 2, opts);
  const fromOurs = decodeVMState(new ByteReader(bytes), dev, 2, opts);
  assert.deepEqual(fromDesc, fromOurs);
});

test('the -M none vmdesc decodes the -M none payloads', () => {
  const vmdesc = parseVmdesc(new TextEncoder().encode(NONE_MACHINE_COMPACT));
  const g = vmdesc.devices.get('globalstate:0')!.description;
  const w = new ByteWriter();
  const value = globalStateValue('running');
  // Reuse our encoder for the payload; decode it with the vmdesc-derived description.
  new VmdescDocument(4096).addDevice(w, 'globalstate', 0, globalStateVMState, value);
  const back = decodeVMState(new ByteReader(w.finish()), g, 1, { wholePayload: true });
  assert.deepEqual(back, value);
});

test('index entries become one array, array segments are joined', () => {
  const json = JSON.stringify({
    page_size: 4096,
    devices: [
      {
        name: 'x',
        instance_id: 0,
        vmsd_name: 'x',
        version: 1,
        fields: [
          { name: 'p', array_len: 2, type: 'uint8', size: 1 },
          { name: 'p', type: 'nullptr', size: 1 },
          { name: 'p', type: 'uint8', size: 1 },
          { name: 'q', index: 0, type: 'uint16', size: 2 },
          { name: 'q', index: 1, type: 'uint16', size: 2 },
          { name: 'z', type: 'mystery', size: 3 },
        ],
      },
    ],
  });
  const d = parseVmdesc(json).devices.get('x:0')!.description;
  const bytes = new Uint8Array([1, 2, 0x30, 3, 0, 4, 0, 5, 9, 9, 9]);
  const v = decodeVMState(new ByteReader(bytes), d, 1, { wholePayload: true });
  assert.deepEqual(v, { p: [1, 2, null, 3], q: [4, 5], z: new Uint8Array([9, 9, 9]) });
});

function deep(levels: number): unknown {
  let s: unknown = { vmsd_name: 'leaf', version: 1, fields: [] };
  for (let i = 0; i < levels; i++) {
    s = { vmsd_name: 's', version: 1, fields: [{ name: 'n', type: 'struct', struct: s, size: 0 }] };
  }
  return s;
}

const dev0 = { name: 'a', instance_id: 0, vmsd_name: 'a', version: 1 };
const withFields = (fields: unknown, extra: object = {}): string =>
  JSON.stringify({ page_size: 4096, devices: [{ ...dev0, fields, ...extra }] });

const MALFORMED: [string, string | Uint8Array][] = [
  ['empty', ''],
  ['not JSON', '{"page_size": 4096,'],
  ['null', 'null'],
  ['array', '[]'],
  ['no devices', '{"page_size": 4096}'],
  ['page_size string', '{"page_size": "4096", "devices": []}'],
  ['page_size not a power of two', '{"page_size": 4095, "devices": []}'],
  ['page_size fraction', '{"page_size": 4096.5, "devices": []}'],
  ['devices object', '{"page_size": 4096, "devices": {}}'],
  ['device not object', '{"page_size": 4096, "devices": [1]}'],
  ['device without name', JSON.stringify({ page_size: 4096, devices: [{ instance_id: 0 }] })],
  [
    'negative instance',
    JSON.stringify({ page_size: 4096, devices: [{ ...dev0, instance_id: -1, fields: [] }] }),
  ],
  ['fields not array', withFields('x')],
  ['field not object', withFields([7])],
  ['field without type', withFields([{ name: 'f', size: 4 }])],
  ['field without size', withFields([{ name: 'f', type: 'uint32' }])],
  ['negative size', withFields([{ name: 'f', type: 'buffer', size: -1 }])],
  ['huge size', withFields([{ name: 'f', type: 'buffer', size: 2 ** 40 }])],
  ['size string', withFields([{ name: 'f', type: 'buffer', size: '4' }])],
  [
    'array_len and index',
    withFields([{ name: 'f', type: 'uint8', size: 1, index: 0, array_len: 2 }]),
  ],
  ['huge array', withFields([{ name: 'f', type: 'uint64', size: 8, array_len: 2 ** 31 }])],
  ['index out of order', withFields([{ name: 'f', type: 'uint8', size: 1, index: 1 }])],
  [
    'duplicate field',
    withFields([
      { name: 'f', type: 'uint8', size: 1 },
      { name: 'g', type: 'uint8', size: 1 },
      { name: 'f', type: 'uint8', size: 1 },
    ]),
  ],
  ['struct without struct', withFields([{ name: 'f', type: 'struct', size: 1 }])],
  ['struct on a scalar', withFields([{ name: 'f', type: 'uint8', size: 1, struct: deep(0) }])],
  ['too deep', withFields([{ name: 'f', type: 'struct', size: 0, struct: deep(200) }])],
  [
    'subsection not prefixed',
    withFields([], { subsections: [{ vmsd_name: 'b/x', version: 1, fields: [] }] }),
  ],
  ['subsections not array', withFields([], { subsections: {} })],
  [
    'subsection without version',
    withFields([], { subsections: [{ vmsd_name: 'a/x', fields: [] }] }),
  ],
  ['vmsd_name too long', withFields([], { vmsd_name: 'a'.repeat(300) })],
  ['version negative', withFields([], { version: -1 })],
  [
    'duplicate device',
    JSON.stringify({
      page_size: 4096,
      devices: [
        { ...dev0, fields: [] },
        { ...dev0, fields: [] },
      ],
    }),
  ],
  ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
];

test('malformed vmdesc is refused with PROTOCOL_VMDESC', () => {
  for (const [what, input] of MALFORMED) {
    assert.throws(
      () => parseVmdesc(input),
      (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.PROTOCOL_VMDESC,
      what,
    );
  }
});

test('keys a newer QEMU might add are ignored', () => {
  const doc = parseVmdesc(
    JSON.stringify({
      page_size: 4096,
      future: true,
      devices: [
        { ...dev0, extra: 1, fields: [{ name: 'f', type: 'uint8', size: 1, colour: 'red' }] },
      ],
    }),
  );
  assert.equal(doc.devices.size, 1);
});
