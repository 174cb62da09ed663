/** Golden bytes for every record kind: the encoders write them, the decoder reads them back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeCommand, type MigCommand } from '../../../src/protocol/commands.js';
import { writeConfiguration } from '../../../src/protocol/configuration.js';
import { writeFileHeader } from '../../../src/protocol/header.js';
import { RamEncoder } from '../../../src/protocol/ram-encoder.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
} from '../../../src/protocol/sections.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import { StreamWriter } from '../../../src/protocol/stream-writer.js';
import type { StreamRecord } from '../../../src/protocol/records.js';
import { concat, hex, toHex } from '../helpers/hex.js';

const HEADER = '5145564d 00000003';
const CONFIG_NONE = '07 00000004 6e6f6e65';

function written(f: (w: StreamWriter) => void): string {
  const w = new StreamWriter(16);
  f(w);
  return toHex(w.takeBytes());
}

/** Decodes header + config + `body`, dropping the first two records. */
function decodeBody(body: string, trailer = '00'): StreamRecord[] {
  return decodeStream(hex(HEADER + CONFIG_NONE + body + trailer)).slice(
    2,
    trailer ? -1 : undefined,
  );
}

test('file header', () => {
  assert.equal(written(writeFileHeader), toHex(hex(HEADER)));
  const recs = decodeStream(hex(HEADER + CONFIG_NONE + '00'));
  assert.deepEqual(recs[0], { kind: 'header', offset: 0, version: 3 });
});

test('configuration section, plain and with every subsection', () => {
  assert.equal(
    written((w) => writeConfiguration(w, { machine: 'none' })),
    toHex(hex(CONFIG_NONE)),
  );
  const full =
    '07 0000000d 70632d6934343066782d382e31' +
    '05 1e 636f6e66696775726174696f6e2f7461726765742d706167652d62697473 00000001 0000000c' +
    '05 1a 636f6e66696775726174696f6e2f6361706162696c6974696573 00000001 00000001 0a 6d61707065642d72616d' +
    '05 12 636f6e66696775726174696f6e2f75756964 00000001 000102030405060708090a0b0c0d0e0f';
  const uuid = Uint8Array.from({ length: 16 }, (_, i) => i);
  const config = {
    machine: 'pc-i440fx-8.1',
    targetPageBits: 12,
    capabilities: ['mapped-ram'],
    uuid,
  };
  assert.equal(
    written((w) => writeConfiguration(w, config)),
    toHex(hex(full)),
  );
  const recs = decodeStream(hex(HEADER + full + '00'));
  assert.deepEqual(recs[1], { kind: 'configuration', offset: 8, config });
});

test('section framing: START, PART, END, FULL and footers', () => {
  const start = '01 00000002 03 72616d 00000000 00000004';
  const part = '02 00000002';
  const end = '03 00000002';
  const full = '04 00000007 06 736572696170 00000000 00000003';
  assert.equal(
    written((w) => writeSectionHeader(w, 'start', 2, 'ram', 0, 4)),
    toHex(hex(start)),
  );
  assert.equal(
    written((w) => writeSectionContinuation(w, 'part', 2)),
    toHex(hex(part)),
  );
  assert.equal(
    written((w) => writeSectionContinuation(w, 'end', 2)),
    toHex(hex(end)),
  );
  assert.equal(
    written((w) => writeSectionHeader(w, 'full', 7, 'seriap', 0, 3)),
    toHex(hex(full)),
  );
  assert.equal(
    written((w) => writeSectionFooter(w, 2)),
    '7e00000002',
  );
  const eos = '0000000000000010';
  const recs = decodeBody(
    start + eos + '7e00000002' + part + eos + '7e00000002' + end + eos + '7e00000002',
  );
  const info = { sectionId: 2, idstr: 'ram', instanceId: 0, versionId: 4 };
  assert.deepEqual(
    recs.map((r) => r.kind + (r.kind === 'section' ? ':' + r.type : '')),
    [
      'section:start',
      'ram-eos',
      'footer',
      'section:part',
      'ram-eos',
      'footer',
      'section:end',
      'ram-eos',
      'footer',
    ],
  );
  assert.deepEqual(recs[0], { kind: 'section', offset: 17, type: 'start', ...info });
  assert.deepEqual(recs[6], {
    kind: 'section',
    offset: 17 + (17 + 8 + 5) + (5 + 8 + 5),
    type: 'end',
    ...info,
  });
  assert.deepEqual(recs[2], { kind: 'footer', offset: 17 + 17 + 8, sectionId: 2 });
});

test('RAM records: MEM_SIZE list, ZERO, PAGE, CONTINUE, XBZRLE, MULTIFD_FLUSH, EOS', () => {
  const ram = new RamEncoder();
  const pageData = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
  const body = written((w) => {
    writeSectionHeader(w, 'start', 2, 'ram', 0, 4);
    ram.memSize(w, [{ idstr: 'pc.ram', usedLength: 0x10000 }]);
    ram.zeroPage(w, 'pc.ram', 0);
    ram.zeroPage(w, 'pc.ram', 0x1000);
    ram.page(w, 'pc.ram', 0x2000, pageData);
    ram.xbzrlePage(w, 'pc.ram', 0x1000, hex('ff1f0101'));
    ram.multifdFlush(w);
    ram.eos(w);
    writeSectionFooter(w, 2);
  });
  const golden =
    '01 00000002 03 72616d 00000000 00000004' +
    '0000000000010004 06 70632e72616d 0000000000010000' + // total | MEM_SIZE, block list
    '0000000000000002 06 70632e72616d 00' + // ZERO with block name
    '0000000000001022 00' + // ZERO | CONTINUE
    '0000000000002028' +
    toHex(pageData) + // PAGE | CONTINUE
    '0000000000001060 01 0004 ff1f0101' + // XBZRLE | CONTINUE
    '0000000000000200' + // MULTIFD_FLUSH
    '0000000000000010' + // EOS
    '7e00000002';
  assert.equal(body, toHex(hex(golden)));
  const recs = decodeBody(body);
  const kinds = recs.map((r) => r.kind);
  assert.deepEqual(kinds, [
    'section',
    'ram-mem-size',
    'ram-block',
    'ram-zero',
    'ram-zero',
    'ram-page',
    'ram-xbzrle',
    'ram-multifd-flush',
    'ram-eos',
    'footer',
  ]);
  assert.deepEqual(recs[1], { kind: 'ram-mem-size', offset: 34, totalBytes: 0x10000 });
  assert.deepEqual(recs[2], {
    kind: 'ram-block',
    offset: 42,
    idstr: 'pc.ram',
    usedLength: 0x10000,
  });
  assert.deepEqual(recs[4], { kind: 'ram-zero', offset: 73, block: 'pc.ram', addr: 0x1000 });
  const p = recs[5]!;
  assert.ok(p.kind === 'ram-page');
  assert.equal(p.addr, 0x2000);
  assert.deepEqual(p.data, pageData);
  const x = recs[6]!;
  assert.ok(x.kind === 'ram-xbzrle');
  assert.deepEqual(x.data, hex('ff1f0101'));
});

test('the addendum XBZRLE example record is byte-exact', () => {
  const ram = new RamEncoder();
  const s = written((w) => ram.xbzrlePage(w, 'pc.ram', 0x1000, hex('ff1f0101')));
  assert.equal(s, toHex(hex('0000000000001040 0670632e72616d 01 0004 ff1f0101')));
});

const COMMAND_GOLDEN: Array<[MigCommand, string]> = [
  [{ name: 'OPEN_RETURN_PATH' }, '08 0001 0000'],
  [{ name: 'PING', value: 1 }, '08 0002 0004 00000001'],
  [
    { name: 'POSTCOPY_ADVISE', ramPageSizeSummary: 4096, targetPageSize: 4096 },
    '08 0003 0010 0000000000001000 0000000000001000',
  ],
  [{ name: 'POSTCOPY_ADVISE' }, '08 0003 0000'],
  [{ name: 'POSTCOPY_LISTEN' }, '08 0004 0000'],
  [{ name: 'POSTCOPY_RUN' }, '08 0005 0000'],
  [
    { name: 'POSTCOPY_RAM_DISCARD', idstr: 'pc.ram', ranges: [{ start: 0x1000, length: 0x2000 }] },
    '08 0006 0019 00 06 70632e72616d 00 0000000000001000 0000000000002000',
  ],
  [{ name: 'PACKAGED', length: 0x20 }, '08 0007 0004 00000020'],
  [{ name: 'ENABLE_COLO' }, '08 0008 0000'],
  [{ name: 'POSTCOPY_RESUME' }, '08 0009 0000'],
  [{ name: 'RECV_BITMAP', idstr: 'pc.ram' }, '08 000a 0007 06 70632e72616d'],
  [{ name: 'SWITCHOVER_START' }, '08 000b 0000'],
];

test('every MIG_CMD 1-11 has golden bytes and decodes back', () => {
  for (const [cmd, golden] of COMMAND_GOLDEN) {
    assert.equal(
      written((w) => writeCommand(w, cmd)),
      toHex(hex(golden)),
      cmd.name,
    );
    const recs = decodeBody(toHex(hex(golden)));
    assert.deepEqual(recs, [{ kind: 'command', offset: 17, command: cmd }], cmd.name);
  }
});

test('EOF and VMDESCRIPTION', () => {
  const json = '{"page_size":4096,"devices":[]}';
  assert.equal(written(writeEof), '00');
  assert.equal(
    written((w) => writeVmdesc(w, json)),
    '06' + '0000001f' + Buffer.from(json).toString('hex'),
  );
  const bytes = concat([hex(HEADER + CONFIG_NONE + '00 06 0000001f'), Buffer.from(json)]);
  const recs = decodeStream(bytes);
  assert.deepEqual(recs.slice(2), [
    { kind: 'eof', offset: 17 },
    { kind: 'vmdesc', offset: 18, json, value: { page_size: 4096, devices: [] } },
  ]);
});
