/** The source's staging writer: byte-exact output, aligned page copies, bounded buffer reuse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StagingWriter } from '../../../src/migration/staging-writer.js';
import { RamEncoder } from '../../../src/protocol/ram-encoder.js';
import { StreamWriter } from '../../../src/protocol/stream-writer.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import { concat } from '../helpers/hex.js';
import { configureTrace } from '../../../src/trace.js';

function pages(n: number): Uint8Array {
  const ram = new Uint8Array(new SharedArrayBuffer(n * 4096));
  for (let i = 0; i < ram.length; i++) ram[i] = (i * 31 + (i >> 12)) & 0xff;
  return ram;
}

function encode(w: StreamWriter | StagingWriter, ram: Uint8Array): void {
  const enc = new RamEncoder();
  enc.memSize(w, [{ idstr: 'pc.ram', usedLength: ram.length }]);
  for (let p = 0; p < ram.length; p += 4096) {
    if (p % 3 === 0) enc.zeroPage(w, 'pc.ram', p);
    else enc.page(w, 'pc.ram', p, ram.subarray(p, p + 4096));
  }
  enc.eos(w);
}

test('the staging writer produces the same bytes as the zero-copy writer', () => {
  const ram = pages(700);
  const a = new StreamWriter();
  encode(a, ram);
  const b = new StagingWriter(64 * 1024);
  encode(b, ram);
  assert.equal(b.written, a.written);
  assert.deepEqual(concat(b.take()), a.takeBytes());
});

test('page payloads land 8-byte aligned in the staging buffers', () => {
  const ram = pages(50);
  const w = new StagingWriter(64 * 1024);
  encode(w, ram);
  const chunks = w.take();
  // Every chunk that carries a page header (8 bytes) is followed, in the same
  // chunk, by the page at an offset that is a multiple of 8 in its buffer.
  const stream = concat(chunks);
  const recs = decodeStream(
    concat([
      new Uint8Array([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3]),
      new Uint8Array([1, 0, 0, 0, 0, 3, 0x72, 0x61, 0x6d, 0, 0, 0, 0, 0, 0, 0, 4]),
      stream,
      new Uint8Array([0x7e, 0, 0, 0, 0, 0]),
    ]),
    { configuration: 'absent' },
  );
  assert.equal(recs.filter((r) => r.kind === 'ram-page').length, 33);
  let aligned = 0;
  for (const c of chunks) {
    if (c.length > 4096 && (c.byteOffset & 7) === 0) aligned++;
  }
  assert.ok(aligned > 0);
});

test('buffers are reused once the transport reports them sent, and only then', () => {
  const ram = pages(64); // ~170 KiB per round
  const allocs = (release: boolean): number => {
    let n = 0;
    configureTrace('migration_staging_alloc', () => n++);
    const w = new StagingWriter(16 * 1024);
    for (let round = 0; round < 20; round++) {
      encode(w, ram);
      w.take();
      if (release) w.release(w.written);
    }
    configureTrace(undefined);
    return n;
  };
  const reused = allocs(true);
  const grown = allocs(false);
  assert.ok(reused <= 20, `reused ${reused}`); // one round (~11 buffers) plus the one in use
  assert.ok(grown > 200, `grown ${grown}`);
});
