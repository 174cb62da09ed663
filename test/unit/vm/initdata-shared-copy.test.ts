/** SharedCopier: the same bytes as TypedArray.set, for any source alignment. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedCopier } from '../../../src/vm/devices/initdata/shared-copy.js';

describe('initdata SharedCopier', () => {
  it('copies any source offset and length into shared memory exactly', () => {
    const copier = new SharedCopier();
    const src = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) & 0xff);
    for (const from of [0, 1, 3, 4, 7, 8, 13]) {
      for (const length of [1, 4096, 65536, 65537, 150_001]) {
        const dst = new Uint8Array(new SharedArrayBuffer(160 * 1024));
        const at = 4096 + (from % 2) * 8;
        copier.copy(dst, at, src.subarray(from, from + length));
        const want = new Uint8Array(dst.length);
        want.set(src.subarray(from, from + length), at);
        assert.deepEqual(dst, want, `from ${from} length ${length}`);
      }
    }
  });
});
