import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  uleb128DecodeSmall,
  uleb128EncodeSmall,
  xbzrleDecode,
  xbzrleEncode,
} from '../../../src/protocol/xbzrle.js';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';

const PAGE = 4096;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Encodes and returns the bytes, or the bare result when it is not a length. */
function enc(oldPage: Uint8Array, newPage: Uint8Array, dlen = PAGE): Uint8Array | number {
  const dst = new Uint8Array(dlen);
  const r = xbzrleEncode(oldPage, newPage, dst);
  return r > 0 ? dst.slice(0, r) : r;
}

function isDecodeError(e: unknown): boolean {
  return (
    e instanceof ProtocolError &&
    e.code === ErrorCode.PROTOCOL_XBZRLE &&
    e.message === 'Failed to load XBZRLE page - decode error!'
  );
}

/**
 * A deliberately naive encoder written from the addendum's description, used
 * to check that the word-at-a-time scans find the same runs.
 */
function referenceEncode(o: Uint8Array, n: Uint8Array, dst: Uint8Array): number {
  const slen = n.length;
  const dlen = dst.length;
  let d = 0;
  let i = 0;
  while (i < slen) {
    if (d + 2 > dlen) return -1;
    let z = 0;
    while (i < slen && o[i] === n[i]) {
      z++;
      i++;
    }
    if (z === slen) return 0;
    if (i === slen) return d;
    d += uleb128EncodeSmall(dst, d, z);
    if (d + 2 > dlen) return -1;
    const start = i;
    while (i < slen && o[i] !== n[i]) i++;
    const len = i - start;
    d += uleb128EncodeSmall(dst, d, len);
    if (d + len > dlen) return -1;
    dst.set(n.subarray(start, i), d);
    d += len;
  }
  return d;
}

test('uleb128: every 14-bit value round-trips with matching lengths', () => {
  const buf = new Uint8Array(2);
  for (let n = 0; n <= 0x3fff; n++) {
    const w = uleb128EncodeSmall(buf, 0, n);
    assert.equal(w, n < 0x80 ? 1 : 2);
    const r = uleb128DecodeSmall(buf.subarray(0, w), 0);
    assert.equal(r.length, w);
    assert.equal(r.value, n);
  }
});

test('uleb128: a second byte with bit 7 set is an error, value left at 0', () => {
  assert.deepEqual(uleb128DecodeSmall(new Uint8Array([0x80, 0x80]), 0), { value: 0, length: -1 });
  assert.equal(uleb128DecodeSmall(new Uint8Array([0x81]), 0).length, -1);
  assert.equal(uleb128DecodeSmall(new Uint8Array([]), 0).length, -1);
  assert.throws(() => uleb128EncodeSmall(new Uint8Array(2), 0, 0x4000), {
    code: ErrorCode.PROTOCOL_XBZRLE,
  });
});

test('encode: zero page and unchanged page give 0', () => {
  const zero = new Uint8Array(PAGE);
  assert.equal(xbzrleEncode(zero, new Uint8Array(PAGE), new Uint8Array(PAGE)), 0);
  const page = new Uint8Array(PAGE).map((_, i) => (i * 7) & 0xff);
  assert.equal(xbzrleEncode(page, page, new Uint8Array(PAGE)), 0);
});

test('encode/decode: one changed last byte is ff 1f 01 01 and decodes to 4096', () => {
  const oldPage = new Uint8Array(PAGE);
  const newPage = new Uint8Array(PAGE);
  newPage[4095] = 1;
  const e = enc(oldPage, newPage);
  assert.ok(e instanceof Uint8Array);
  assert.equal(hex(e), 'ff1f0101');
  const target = new Uint8Array(PAGE);
  assert.equal(xbzrleDecode(e, target), 4096);
  assert.deepEqual(target, newPage);
});

test('encode: every other byte changed over the page overflows (-1)', () => {
  const newPage = new Uint8Array(PAGE);
  for (let k = 0; k < 2047; k++) newPage[2 * k] = 1;
  assert.equal(xbzrleEncode(new Uint8Array(PAGE), newPage, new Uint8Array(PAGE)), -1);
});

test('encode: 1364 isolated changes fit in 4092 bytes, 1365 overflow', () => {
  const oldPage = new Uint8Array(PAGE);
  const fits = new Uint8Array(PAGE);
  for (let k = 0; k < 1364; k++) fits[2 * k + 1] = 0xa5;
  const e = enc(oldPage, fits);
  assert.ok(e instanceof Uint8Array);
  assert.equal(e.length, 4092);
  const target = new Uint8Array(PAGE);
  xbzrleDecode(e, target);
  assert.deepEqual(target, fits);

  const over = new Uint8Array(PAGE);
  for (let k = 0; k < 1365; k++) over[2 * k + 1] = 0xa5;
  assert.equal(enc(oldPage, over), -1);
});

test('encode: a run ending exactly at dlen returns dlen', () => {
  // zrun 3 (1 byte) + nzrun 4093 (2 bytes) + 4093 literals = 4096, ending at the page end.
  const newPage = new Uint8Array(PAGE);
  newPage.fill(9, 3);
  const e = enc(new Uint8Array(PAGE), newPage);
  assert.ok(e instanceof Uint8Array);
  assert.equal(e.length, 4096);
  // One more changed byte needs 4097.
  newPage[2] = 9;
  assert.equal(enc(new Uint8Array(PAGE), newPage), -1);
});

test('encode: the top-of-loop check fails even when only a trailing zrun is left', () => {
  // zrun 0 + nzrun 4093 fills dst exactly, but 3 unchanged bytes remain.
  const newPage = new Uint8Array(PAGE);
  newPage.fill(9, 0, 4093);
  assert.equal(enc(new Uint8Array(PAGE), newPage), -1);
});

test('encode: extra vectors from the addendum', () => {
  const zero = new Uint8Array(PAGE);
  const a = new Uint8Array(PAGE);
  a.set([0xaa, 0xbb, 0xcc, 0xdd], 0);
  assert.equal(hex(enc(zero, a) as Uint8Array), '0004aabbccdd');

  const b = new Uint8Array(PAGE);
  b[100] = 7;
  b.set([1, 2, 3], 200);
  assert.equal(hex(enc(zero, b) as Uint8Array), '6401076303010203');

  assert.equal(enc(zero, new Uint8Array(PAGE).fill(1)), -1);
});

test('decode: malformed inputs throw the QEMU decode error', () => {
  const bad: number[][] = [
    [0x80, 0x80, 0x01, 0x01], // bad uleb
    [0x00, 0x00], // zero nzrun
    [0x05], // one byte left
    [0x00, 0x01, 0xaa, 0x00, 0x01, 0xbb], // second zrun is 0
    [0x00, 0x05, 0x01], // nzrun runs past src
    [0xff, 0x1f, 0x02, 0x01, 0x01], // nzrun runs past dst
    [0x81, 0x20, 0x01, 0x01], // zrun past dst (4097)
    [0x01, 0x81, 0x80], // bad uleb in nzrun
  ];
  for (const bytes of bad) {
    assert.throws(() => xbzrleDecode(new Uint8Array(bytes), new Uint8Array(PAGE)), isDecodeError);
  }
  assert.throws(
    () => xbzrleDecode(new Uint8Array([5]), new Uint8Array(PAGE), 1234),
    (e: unknown) => isDecodeError(e) && (e as ProtocolError).offset === 1234,
  );
  // The empty encoding is valid and changes nothing.
  assert.equal(xbzrleDecode(new Uint8Array(0), new Uint8Array(PAGE)), 0);
});

test('encode/decode: 10000 random cases shaped like QEMU test-xbzrle', () => {
  // A small deterministic PRNG so a failure can be reproduced.
  let seed = 0x12345678;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const compressed = new Uint8Array(PAGE);
  for (let iter = 0; iter < 10000; iter++) {
    // Bytes 1000+1..1000+diffLen differ, and again at +3 and +5 past that run.
    const diffLen = rnd(PAGE - 1006);
    const oldPage = new Uint8Array(PAGE);
    const newPage = new Uint8Array(PAGE);
    for (let j = 1; j <= diffLen; j++) {
      oldPage[1000 + j] = j & 0xff;
      newPage[1000 + j] = (j + 4) & 0xff;
    }
    oldPage[1000 + diffLen + 3] = 103;
    oldPage[1000 + diffLen + 5] = 105;
    newPage[1000 + diffLen + 3] = 107;
    newPage[1000 + diffLen + 5] = 109;
    assert.equal(xbzrleEncode(oldPage, oldPage, compressed), 0);
    const r = xbzrleEncode(oldPage, newPage, compressed);
    const ref = new Uint8Array(PAGE);
    assert.equal(r, referenceEncode(oldPage, newPage, ref));
    if (r <= 0) continue;
    assert.deepEqual(compressed.subarray(0, r), ref.subarray(0, r));
    const d = xbzrleDecode(compressed.subarray(0, r), oldPage);
    assert.ok(d < PAGE);
    assert.deepEqual(oldPage, newPage);
  }
});

/** A page pair that differs in a few runs, so encodings are not always -1. */
const pagePair = fc
  .tuple(
    fc.uint8Array({ minLength: 256, maxLength: 256 }),
    fc.array(
      fc.record({
        at: fc.nat(255),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
      { maxLength: 12 },
    ),
    fc.nat(3),
    fc.nat(3),
  )
  .map(([base, edits, oo, no]) => {
    // Place both pages at chosen byte offsets to exercise aligned and unaligned paths.
    const oldPage = new Uint8Array(new ArrayBuffer(base.length + 8), oo, base.length);
    const newPage = new Uint8Array(new ArrayBuffer(base.length + 8), no, base.length);
    oldPage.set(base);
    newPage.set(base);
    for (const e of edits) newPage.set(e.bytes.subarray(0, base.length - e.at), e.at);
    return { oldPage, newPage };
  });

test('property: encode matches the naive encoder and decode reproduces the page', () => {
  fc.assert(
    fc.property(pagePair, fc.integer({ min: 0, max: 300 }), ({ oldPage, newPage }, dlen) => {
      const dst = new Uint8Array(dlen);
      const ref = new Uint8Array(dlen);
      const r = xbzrleEncode(oldPage, newPage, dst);
      assert.equal(r, referenceEncode(oldPage, newPage, ref));
      if (r === 0) assert.deepEqual(oldPage, newPage);
      if (r > 0) {
        assert.deepEqual(dst.subarray(0, r), ref.subarray(0, r));
        const target = oldPage.slice();
        const d = xbzrleDecode(dst.subarray(0, r), target);
        assert.ok(d <= newPage.length);
        assert.deepEqual(target, newPage);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: decoding arbitrary bytes stays in bounds or throws the XBZRLE error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 96 }), (src, dlen) => {
      // Guard bytes around dst detect any write outside it.
      const backing = new Uint8Array(dlen + 16).fill(0xee);
      const dst = backing.subarray(8, 8 + dlen);
      try {
        const d = xbzrleDecode(src, dst);
        assert.ok(d >= 0 && d <= dlen);
      } catch (e) {
        assert.ok(isDecodeError(e), String(e));
      }
      for (let k = 0; k < 8; k++) {
        assert.equal(backing[k], 0xee);
        assert.equal(backing[8 + dlen + k], 0xee);
      }
    }),
    { numRuns: 5000 },
  );
});
