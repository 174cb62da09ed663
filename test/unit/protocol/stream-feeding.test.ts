/** The decoder gives identical records however its input is split. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import type { StreamRecord } from '../../../src/protocol/records.js';
import { rng, splitAt } from '../helpers/hex.js';
import { DEVICE_PAYLOAD, SAMPLE_COMMANDS, page, sampleStream } from '../helpers/sample-stream.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url)));

function bytewise(b: Uint8Array): Uint8Array[] {
  return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
}

function randomSplits(b: Uint8Array, seed: number, maxChunk: number): Uint8Array[] {
  const r = rng(seed);
  const cuts: number[] = [];
  for (let at = 0; at < b.length;) {
    at += 1 + Math.floor(r() * maxChunk);
    cuts.push(at);
  }
  return splitAt(b, cuts);
}

test('the sample stream decodes to the records that were written', () => {
  const recs = decodeStream(sampleStream());
  const kinds = recs.map((r) => (r.kind === 'section' ? `${r.type}:${r.idstr}` : r.kind));
  assert.deepEqual(kinds, [
    'header',
    'configuration',
    'command',
    'command',
    'start:ram',
    'ram-mem-size',
    'ram-block',
    'ram-block',
    'ram-multifd-flush',
    'ram-eos',
    'footer',
    'part:ram',
    'ram-page',
    'ram-zero',
    'ram-page',
    'ram-zero',
    'ram-xbzrle',
    'ram-eos',
    'footer',
    ...SAMPLE_COMMANDS.slice(2).map(() => 'command'),
    'end:ram',
    'ram-page',
    'ram-eos',
    'footer',
    'full:serial',
    'device-bytes',
    'footer',
    'eof',
    'vmdesc',
  ]);
  const commands = recs.filter((r) => r.kind === 'command').map((r) => r.command);
  assert.deepEqual(commands, SAMPLE_COMMANDS);
  const pages = recs.filter((r) => r.kind === 'ram-page');
  assert.deepEqual(
    pages.map((p) => [p.block, p.addr]),
    [
      ['pc.ram', 0],
      ['pc.ram', 7 * 4096],
      ['vga.vram', 0],
    ],
  );
  assert.deepEqual(pages[1]!.data, page(7));
  const dev = recs.find((r) => r.kind === 'device-bytes');
  assert.ok(dev && dev.kind === 'device-bytes');
  assert.deepEqual(dev.data, DEVICE_PAYLOAD);
});

test('byte-by-byte and random-split feeding give identical records', () => {
  const bytes = sampleStream();
  const whole = decodeStream(bytes);
  assert.deepEqual(decodeStream(bytewise(bytes)), whole);
  for (let seed = 1; seed <= 40; seed++) {
    const max = seed % 4 === 0 ? 5000 : seed % 2 === 0 ? 64 : 7;
    assert.deepEqual(decodeStream(randomSplits(bytes, seed, max)), whole, `seed ${seed}`);
  }
});

function summary(recs: StreamRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of recs) out[r.kind] = (out[r.kind] ?? 0) + 1;
  return out;
}

test('a real QEMU 7.2 -M none stream decodes as documented', () => {
  const bytes = fixture('qemu-7.2-none-64M.mig');
  const recs = decodeStream(bytes);
  assert.deepEqual(recs[1], { kind: 'configuration', offset: 8, config: { machine: 'none' } });
  assert.deepEqual(recs[2], {
    kind: 'section',
    offset: 0x11,
    type: 'start',
    sectionId: 2,
    idstr: 'ram',
    instanceId: 0,
    versionId: 4,
  });
  assert.deepEqual(recs[4], {
    kind: 'ram-block',
    offset: 0x2a,
    idstr: 'ram',
    usedLength: 64 << 20,
  });
  const s = summary(recs);
  assert.equal(s['ram-zero'], 16384);
  assert.equal(s['ram-page'] ?? 0, 0);
  const full = recs.filter((r) => r.kind === 'section' && r.type === 'full');
  assert.deepEqual(
    full.map((r) => (r.kind === 'section' ? [r.idstr, r.versionId] : [])),
    [
      ['timer', 2],
      ['globalstate', 1],
    ],
  );
  assert.equal(recs.at(-2)!.kind, 'eof');
  const vmdesc = recs.at(-1)!;
  assert.ok(vmdesc.kind === 'vmdesc');
  assert.equal((vmdesc.value as { page_size: number }).page_size, 4096);
  assert.deepEqual(decodeStream(randomSplits(bytes, 99, 3000)), recs);
});

test('the QEMU loader stream carries the blob at 0x100000', () => {
  const blob = fixture('loader-blob.bin');
  const recs = decodeStream(fixture('qemu-7.2-none-loader.mig'));
  const pages = recs.filter((r) => r.kind === 'ram-page');
  assert.deepEqual(
    pages.map((p) => p.addr),
    [0x100000, 0x101000],
  );
  const got = new Uint8Array(8192);
  got.set(pages[0]!.data, 0);
  got.set(pages[1]!.data, 4096);
  assert.deepEqual(got.subarray(0, blob.length), blob);
});
