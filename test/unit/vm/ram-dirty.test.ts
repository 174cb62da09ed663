import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { DirtyBitmap, SharedDirtyLog } from '../../../src/vm/dirty-log.js';
import { countSetBits, forEachSetBit, nextSetBit } from '../../../src/vm/bitmap-walk.js';
import { PAGE_SIZE, RamBlock } from '../../../src/vm/ram-block.js';

const KiB = 1024;
const GiB = 2 ** 30;

describe('RamBlock', () => {
  it('cuts RAM into chunks; pages never span them', () => {
    const ram = new RamBlock('pc.ram', 40 * PAGE_SIZE, { chunkSize: 64 * KiB });
    assert.equal(ram.chunks.length, 3);
    assert.deepEqual(
      ram.chunks.map((c) => c.byteLength),
      [64 * KiB, 64 * KiB, 32 * KiB],
    );
    for (let p = 0; p < ram.pageCount; p++) {
      const v = ram.pageByIndex(p);
      assert.equal(v.length, PAGE_SIZE);
      assert.ok(v.byteOffset + v.length <= v.buffer.byteLength);
      assert.equal(ram.chunks[Math.floor(p / 16)], v.buffer);
    }
    assert.equal(ram.page(17 * PAGE_SIZE + 17).byteOffset, PAGE_SIZE);
  });

  it('reads and writes across chunk boundaries', () => {
    const ram = new RamBlock('pc.ram', 16 * PAGE_SIZE, { chunkSize: 2 * PAGE_SIZE });
    const src = Uint8Array.from({ length: 3 * PAGE_SIZE + 10 }, (_, i) => (i * 7 + 1) & 0xff);
    ram.write(PAGE_SIZE + 5, src);
    assert.deepEqual(ram.read(PAGE_SIZE + 5, src.length), src);
    assert.equal(ram.pageByIndex(2)[0], src[PAGE_SIZE - 5]);
    const back = RamBlock.fromHandle(ram.handle());
    assert.deepEqual(back.read(PAGE_SIZE + 5, src.length), src);
  });

  it('rejects bad sizes and ranges', () => {
    assert.throws(() => new RamBlock('pc.ram', 1000), { code: ErrorCode.INVALID_PARAMETER });
    const ram = new RamBlock('pc.ram', 4 * PAGE_SIZE);
    assert.throws(() => ram.read(3 * PAGE_SIZE, PAGE_SIZE + 1), {
      code: ErrorCode.INVALID_PARAMETER,
    });
    assert.throws(() => ram.page(4 * PAGE_SIZE), { code: ErrorCode.INVALID_PARAMETER });
  });

  it('holds a block larger than 4 GiB without touching it', () => {
    const size = 5 * GiB;
    const rssBefore = process.memoryUsage().rss;
    const ram = new RamBlock('pc.ram', size);
    assert.equal(ram.chunks.length, 5);
    const last = ram.pageByIndex(ram.pageCount - 1);
    last[PAGE_SIZE - 1] = 0xab;
    assert.equal(ram.read(size - 1, 1)[0], 0xab);
    const mid = ram.page(4 * GiB + 12345);
    assert.equal(mid.buffer, ram.chunks[4]);
    // Lazy zero pages: nowhere near 5 GiB resident.
    assert.ok(process.memoryUsage().rss - rssBefore < 256 * 2 ** 20);
  });
});

describe('dirty log', () => {
  it('mark, sync (snapshot + clear), markAll with a partial last word', () => {
    const log = new SharedDirtyLog(70);
    log.mark(0);
    log.mark(33);
    log.mark(33);
    log.mark(69);
    const a = log.sync();
    assert.deepEqual(collect(a), [0, 33, 69]);
    assert.equal(log.sync().count(), 0);
    log.markAll();
    const all = log.sync();
    assert.equal(all.count(), 70);
    assert.equal(all.has(70), false);
  });

  it('walks bits in order and finds the next one', () => {
    const words = new Uint32Array(4);
    const pages = [1, 31, 32, 63, 64, 100, 127];
    for (const p of pages) words[p >>> 5]! |= 1 << (p & 31);
    const seen: number[] = [];
    forEachSetBit(words, (p) => seen.push(p));
    assert.deepEqual(seen, pages);
    assert.equal(countSetBits(words), pages.length);
    assert.equal(nextSetBit(words, 2), 31);
    assert.equal(nextSetBit(words, 65), 100);
    assert.equal(nextSetBit(words, 128), -1);
    const b = new DirtyBitmap(128, new Uint32Array(4));
    b.or(new DirtyBitmap(128, words));
    assert.equal(b.next(101), 127);
  });
});

function collect(b: DirtyBitmap): number[] {
  const out: number[] = [];
  b.forEach((p) => out.push(p));
  return out;
}
