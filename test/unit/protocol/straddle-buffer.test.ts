// The decoder's buffer for a unit that straddles chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StraddleBuffer } from '../../../src/protocol/straddle-buffer.js';

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

test('appends across chunks, drops a parsed unit and moves its base', () => {
  const b = new StraddleBuffer();
  b.base = 100;
  b.append(bytes(10, 1), 2, 5);
  b.append(bytes(4, 2), 0, 4);
  assert.equal(b.length, 9);
  assert.deepEqual([...b.bytes.subarray(0, 9)], [1, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.equal(b.drop(6), false);
  assert.equal(b.base, 106);
  assert.deepEqual([...b.bytes.subarray(0, b.length)], [2, 2, 2]);
  assert.equal(b.drop(3), true);
  assert.equal(b.empty, true);
});

test('the storage grown for a ~1 MiB unit is kept for the next one', () => {
  const b = new StraddleBuffer();
  b.append(bytes(1 << 20, 7), 0, 1 << 20);
  const grown = b.bytes;
  assert.ok(grown.length >= 1 << 20);
  b.drop(1 << 20);
  b.append(bytes(1 << 20, 8), 0, 1 << 20);
  assert.equal(b.bytes, grown, 'reallocated for every unit');
});

test("an outsized unit's storage is given back once it is parsed", () => {
  const b = new StraddleBuffer();
  b.append(bytes(8 << 20, 1), 0, 8 << 20);
  b.drop(8 << 20);
  assert.ok(b.bytes.length < 1 << 20);
});
