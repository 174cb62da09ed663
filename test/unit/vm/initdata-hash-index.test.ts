/** The preparation index: open addressing over typed arrays (hash-index.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashIndex } from '../../../src/vm/devices/initdata/hash-index.js';

/** Deterministic 64-bit keys as two u32 halves (xorshift32). */
function keys(n: number, seed: number): Array<[number, number]> {
  let x = seed;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return Array.from({ length: n }, () => [next(), next()]);
}

describe('initdata HashIndex', () => {
  it('finds every key it holds, and -1 for others', () => {
    const idx = new HashIndex(1000);
    const ks = keys(1000, 0x1234567);
    ks.forEach(([hi, lo], i) => idx.set(hi, lo, i));
    assert.equal(idx.size, 1000);
    ks.forEach(([hi, lo], i) => assert.equal(idx.get(hi, lo), i));
    for (const [hi, lo] of keys(200, 0x7654321)) assert.equal(idx.get(hi, lo), -1);
  });

  it('treats keys that share a half as distinct, including zero halves', () => {
    const idx = new HashIndex(8);
    idx.set(0, 0, 1);
    idx.set(0, 1, 2);
    idx.set(1, 0, 3);
    idx.set(0xffffffff, 0, 4);
    idx.set(-1, 0, 5); // the same key as 0xffffffff: halves are u32
    assert.equal(idx.size, 4);
    assert.deepEqual(
      [idx.get(0, 0), idx.get(0, 1), idx.get(1, 0), idx.get(0xffffffff, 0), idx.get(2, 2)],
      [1, 2, 3, 5, -1],
    );
  });

  it('a key set again keeps one entry with the newest block', () => {
    const idx = new HashIndex(4);
    idx.set(7, 9, 100);
    idx.set(7, 9, 200);
    assert.equal(idx.size, 1);
    assert.equal(idx.get(7, 9), 200);
  });

  it('grows past its expected size without losing keys', () => {
    const idx = new HashIndex(4);
    const before = idx.byteLength;
    const ks = keys(5000, 42);
    ks.forEach(([hi, lo], i) => idx.set(hi, lo, i));
    assert.ok(idx.byteLength > before);
    assert.equal(idx.size, 5000);
    ks.forEach(([hi, lo], i) => assert.equal(idx.get(hi, lo), i));
  });

  it('is flat typed arrays: 12 bytes per slot, sized once for a 256 MiB device', () => {
    const blocks = (256 << 20) / 4096;
    const idx = new HashIndex(blocks);
    const bytes = idx.byteLength;
    // Two slots per expected key, 8 bytes of key and 4 of block each.
    assert.equal(bytes, 2 * blocks * 12);
    keys(blocks, 99).forEach(([hi, lo], i) => idx.set(hi, lo, i));
    assert.equal(idx.size, blocks);
    assert.equal(idx.byteLength, bytes, 'no regrowth up to the expected size');
  });
});
