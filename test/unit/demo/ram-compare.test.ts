// Comparing the source's RAM at the switchover with the destination's later on.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { compareRam } from '../../../src/demo/ram-compare.js';

const PAGE = 4096;

function ram(pages: number, fill: (p: number) => number): Buffer {
  const b = Buffer.alloc(pages * PAGE);
  for (let p = 0; p < pages; p++) {
    b[p * PAGE] = fill(p);
    b[p * PAGE + 100] = p & 0xff;
  }
  return b;
}

test('idle: equal RAM passes, any changed byte fails', () => {
  const a = ram(64, (p) => p);
  assert.equal(compareRam(a, Buffer.from(a), 'idle').ok, true);
  const b = Buffer.from(a);
  b[5 * PAGE + 7] = 1;
  const r = compareRam(a, b, 'idle');
  assert.equal(r.ok, false);
  assert.match(r.detail, /1 pages differ/);
});

test('ab: counters advanced by k or k+1 (mod 256) pass', () => {
  const src = ram(64, (p) => (p < 20 ? 8 : 7));
  const dst = ram(64, (p) => (p < 40 ? 8 + 250 : 7 + 250) & 0xff);
  const r = compareRam(src, dst, 'ab');
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /advanced by 250-251/);
  assert.equal(compareRam(src, Buffer.from(src), 'ab').ok, true);
});

test('ab: uneven counters or changes beyond the counter byte fail', () => {
  const src = ram(64, () => 3);
  const uneven = ram(64, (p) => (p === 10 ? 9 : 5));
  assert.equal(compareRam(src, uneven, 'ab').ok, false);
  const torn = ram(64, () => 4);
  torn[3 * PAGE + 2000] = 1;
  const r = compareRam(src, torn, 'ab');
  assert.equal(r.ok, false);
  assert.match(r.detail, /beyond ab's counter byte/);
  // With two vCPUs the shares may be a pass further apart.
  const two = ram(64, (p) => (p < 32 ? 5 : 7));
  assert.equal(compareRam(src, two, 'ab', 1).ok, false);
  assert.equal(compareRam(src, two, 'ab', 2).ok, true);
});

test('sizes must match; random and fill are not comparable', () => {
  assert.equal(
    compareRam(
      ram(2, () => 0),
      ram(3, () => 0),
      'idle',
    ).ok,
    false,
  );
  const r = compareRam(
    ram(2, () => 0),
    ram(2, () => 1),
    'random',
  );
  assert.equal(r.ok, undefined);
  assert.match(r.detail, /not compared/);
});
