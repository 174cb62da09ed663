/** Property tests: arbitrary input yields only ProtocolError; encode→decode round-trips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { writeCommand, type MigCommand } from '../../../src/protocol/commands.js';
import { writeConfiguration } from '../../../src/protocol/configuration.js';
import { writeFileHeader } from '../../../src/protocol/header.js';
import { RamEncoder } from '../../../src/protocol/ram-encoder.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
} from '../../../src/protocol/sections.js';
import { StreamDecoder } from '../../../src/protocol/stream-decoder.js';
import { StreamWriter } from '../../../src/protocol/stream-writer.js';
import type { StreamRecord } from '../../../src/protocol/records.js';
import { concat, hex } from '../helpers/hex.js';
import { sampleStream } from '../helpers/sample-stream.js';

/** Feeds chunks, then end(); returns normally or throws only ProtocolError. */
function feedAll(chunks: Uint8Array[]): StreamRecord[] {
  const out: StreamRecord[] = [];
  const d = new StreamDecoder({ onRecord: (r) => out.push(r), configuration: 'optional' });
  try {
    for (const c of chunks) d.push(c);
    d.end();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
  return out;
}

const PREFIX = hex(
  '5145564d 00000003 07 00000004 6e6f6e65 01 00000002 03 72616d 00000000 00000004 0000000000010004 03 72616d 0000000000010000',
);

test('arbitrary bytes produce records or a ProtocolError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      feedAll([b]);
    }),
    { numRuns: 2000 },
  );
});

test('arbitrary bytes after a valid RAM prefix produce only ProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(400), (b, cut) => {
      const all = concat([PREFIX, b]);
      feedAll([all.subarray(0, cut), all.subarray(cut)]);
    }),
    { numRuns: 2000 },
  );
});

test('corrupting bytes of a valid stream produces only ProtocolError', () => {
  const base = sampleStream();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const b = base.slice();
        for (const [at, v] of edits) b[at] = v;
        feedAll([b]);
      },
    ),
    { numRuns: 1500 },
  );
});

type Op =
  | { op: 'page'; page: number; seed: number }
  | { op: 'zero'; page: number }
  | { op: 'xbzrle'; page: number; len: number }
  | { op: 'cmd'; value: number }
  | { op: 'section' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('page' as const), page: fc.nat(15), seed: fc.nat(255) }),
  fc.record({ op: fc.constant('zero' as const), page: fc.nat(15) }),
  fc.record({
    op: fc.constant('xbzrle' as const),
    page: fc.nat(15),
    len: fc.integer({ min: 1, max: 4096 }),
  }),
  fc.record({ op: fc.constant('cmd' as const), value: fc.nat() }),
  fc.record({ op: fc.constant('section' as const) }),
);

test('encoded streams of arbitrary RAM operations decode to the same operations', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 40 }),
      fc.array(fc.nat(3000), { maxLength: 6 }),
      (ops, cuts) => {
        const w = new StreamWriter(32);
        const ram = new RamEncoder();
        writeFileHeader(w);
        writeConfiguration(w, { machine: 'testvm' });
        writeSectionHeader(w, 'start', 0, 'ram', 0, 4);
        ram.memSize(w, [{ idstr: 'pc.ram', usedLength: 16 * 4096 }]);
        ram.eos(w);
        writeSectionFooter(w, 0);
        writeSectionContinuation(w, 'part', 0);
        const expected: unknown[] = [];
        for (const o of ops) {
          switch (o.op) {
            case 'page': {
              const p = new Uint8Array(4096).fill(o.seed);
              ram.page(w, 'pc.ram', o.page * 4096, p);
              expected.push(['page', o.page * 4096, o.seed]);
              break;
            }
            case 'zero':
              ram.zeroPage(w, 'pc.ram', o.page * 4096);
              expected.push(['zero', o.page * 4096]);
              break;
            case 'xbzrle':
              ram.xbzrlePage(w, 'pc.ram', o.page * 4096, new Uint8Array(o.len).fill(1));
              expected.push(['xbzrle', o.page * 4096, o.len]);
              break;
            case 'cmd': {
              ram.eos(w);
              writeSectionFooter(w, 0);
              const c: MigCommand = { name: 'PING', value: o.value };
              writeCommand(w, c);
              writeSectionContinuation(w, 'part', 0);
              expected.push(['ping', o.value]);
              break;
            }
            case 'section':
              ram.eos(w);
              writeSectionFooter(w, 0);
              writeSectionContinuation(w, 'part', 0);
              break;
          }
        }
        ram.eos(w);
        writeSectionFooter(w, 0);
        writeEof(w);
        const bytes = w.takeBytes();
        const sorted = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const c of sorted) {
          if (c > prev && c < bytes.length) {
            chunks.push(bytes.subarray(prev, c));
            prev = c;
          }
        }
        chunks.push(bytes.subarray(prev));
        const got: unknown[] = [];
        const d = new StreamDecoder({
          onRecord: (r) => {
            if (r.kind === 'ram-page') got.push(['page', r.addr, r.data[0]]);
            else if (r.kind === 'ram-zero') got.push(['zero', r.addr]);
            else if (r.kind === 'ram-xbzrle') got.push(['xbzrle', r.addr, r.data.length]);
            else if (r.kind === 'command' && r.command.name === 'PING')
              got.push(['ping', r.command.value]);
          },
        });
        for (const c of chunks) d.push(c);
        d.end();
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 300 },
  );
});
