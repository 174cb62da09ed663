/**
 * XBZRLE page delta codec (QEMU `migration/xbzrle.c`), byte-exact with QEMU's
 * generic (non-AVX512) encoder, including where it gives up: the caller falls
 * back to a full page exactly when QEMU would.
 *
 * Encoded form: alternating `zrun nzrun zrun nzrun ...`, each a 14-bit ULEB128
 * length; an nzrun length is followed by that many literal bytes. Only the first
 * zrun may be 0, and a trailing zrun is not written.
 */
import { ErrorCode, ProtocolError } from '../errors.js';

/** The largest value `uleb128EncodeSmall` can write (14 bits). */
export const ULEB128_SMALL_MAX = 0x3fff;

const DECODE_ERROR = 'Failed to load XBZRLE page - decode error!';

/**
 * Writes `n` as one or two ULEB128 bytes at `dst[pos]`; returns the count. The
 * caller guarantees room for two bytes, as QEMU's encoder does.
 */
export function uleb128EncodeSmall(dst: Uint8Array, pos: number, n: number): number {
  if (n < 0x80) {
    dst[pos] = n;
    return 1;
  }
  if (n > ULEB128_SMALL_MAX || !Number.isInteger(n)) {
    // QEMU asserts here; only pages above 16 KiB can produce such a run.
    throw new ProtocolError(ErrorCode.PROTOCOL_XBZRLE, `XBZRLE run length ${n} exceeds 0x3fff`);
  }
  dst[pos] = (n & 0x7f) | 0x80;
  dst[pos + 1] = n >>> 7;
  return 2;
}

/**
 * Result of `uleb128DecodeSmall`. `length` is 1 or 2, or -1 on failure; on
 * failure `value` holds what QEMU's out-parameter would (the low 7 bits read).
 */
export interface UlebSmall {
  value: number;
  length: number;
}

/**
 * Reads a 14-bit ULEB128 at `src[pos]`. A second byte with bit 7 set is an
 * error, as is running off the end of `src` (QEMU's callers check that first).
 */
export function uleb128DecodeSmall(src: Uint8Array, pos: number): UlebSmall {
  if (pos < 0 || pos >= src.length) return { value: 0, length: -1 };
  const b0 = src[pos]!;
  if (b0 < 0x80) return { value: b0, length: 1 };
  const low = b0 & 0x7f;
  if (pos + 1 >= src.length) return { value: low, length: -1 };
  const b1 = src[pos + 1]!;
  if (b1 & 0x80) return { value: low, length: -1 };
  return { value: low | (b1 << 7), length: 2 };
}

/*
 * Word-at-a-time scanning. Equality of 4-byte words does not depend on byte
 * order, and every boundary is refined byte by byte, so the runs found are the
 * same as a plain byte loop's. One Uint32Array per ArrayBuffer is cached so the
 * encoder does not allocate per call; page caches are usually one big buffer.
 */
const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();

function wordsOf(a: Uint8Array): Uint32Array {
  const buf = a.buffer;
  const words = buf.byteLength >>> 2;
  let v = wordViews.get(buf);
  if (v === undefined || v.length !== words) {
    v = new Uint32Array(buf, 0, words);
    wordViews.set(buf, v);
  }
  return v;
}

/** First index in [i, end) where a and b differ, or end. */
function scanEqual(
  a: Uint8Array,
  b: Uint8Array,
  aw: Uint32Array | null,
  bw: Uint32Array | null,
  i: number,
  end: number,
): number {
  if (aw !== null && bw !== null) {
    const aoff = a.byteOffset;
    while (i < end && ((aoff + i) & 3) !== 0) {
      if (a[i] !== b[i]) return i;
      i++;
    }
    let ai = (aoff + i) >>> 2;
    let bi = (b.byteOffset + i) >>> 2;
    const last = end - 4;
    while (i <= last && aw[ai] === bw[bi]) {
      i += 4;
      ai++;
      bi++;
    }
  }
  while (i < end && a[i] === b[i]) i++;
  return i;
}

/** First index in [i, end) where a and b are equal, or end. */
function scanDiffer(
  a: Uint8Array,
  b: Uint8Array,
  aw: Uint32Array | null,
  bw: Uint32Array | null,
  i: number,
  end: number,
): number {
  if (aw !== null && bw !== null) {
    const aoff = a.byteOffset;
    while (i < end && ((aoff + i) & 3) !== 0) {
      if (a[i] === b[i]) return i;
      i++;
    }
    let ai = (aoff + i) >>> 2;
    let bi = (b.byteOffset + i) >>> 2;
    const last = end - 4;
    while (i <= last) {
      const x = aw[ai]! ^ bw[bi]!;
      // Classic has-zero-byte test: a zero byte in x is an equal byte.
      if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
      i += 4;
      ai++;
      bi++;
    }
  }
  while (i < end && a[i] !== b[i]) i++;
  return i;
}

/**
 * Encodes `newPage` against `oldPage` into `dst` (dlen = dst.length, normally
 * the page size). Returns -1 if the encoding does not fit (send a full page),
 * 0 if the pages are equal (send nothing), else the encoded length.
 */
export function xbzrleEncode(oldPage: Uint8Array, newPage: Uint8Array, dst: Uint8Array): number {
  const slen = newPage.length;
  if (oldPage.length !== slen) {
    throw new RangeError(`XBZRLE pages differ in size (${oldPage.length} != ${slen})`);
  }
  const dlen = dst.length;
  // Words only pay when both pages share the same alignment phase.
  const aligned = ((oldPage.byteOffset ^ newPage.byteOffset) & 3) === 0 && slen >= 16;
  const ow = aligned ? wordsOf(oldPage) : null;
  const nw = aligned ? wordsOf(newPage) : null;
  let d = 0;
  let i = 0;
  while (i < slen) {
    // The overflow checks sit exactly where QEMU's are, so -1 agrees with it.
    if (d + 2 > dlen) return -1;
    const zstart = i;
    i = scanEqual(oldPage, newPage, ow, nw, i, slen);
    if (i - zstart === slen) return 0;
    if (i === slen) return d;
    d += uleb128EncodeSmall(dst, d, i - zstart);
    if (d + 2 > dlen) return -1;
    const nstart = i;
    i = scanDiffer(oldPage, newPage, ow, nw, i, slen);
    const n = i - nstart;
    d += uleb128EncodeSmall(dst, d, n);
    if (d + n > dlen) return -1;
    for (let k = 0; k < n; k++) dst[d + k] = newPage[nstart + k]!;
    d += n;
  }
  return d;
}

/**
 * Applies encoded data `src` in place to `dst`, the destination's current copy
 * of the page. Returns the final write position (usually below the page size,
 * since a trailing zrun is not sent). Malformed input throws QEMU's error;
 * `offset`, if given, is the absolute stream offset of `src[0]`.
 */
export function xbzrleDecode(src: Uint8Array, dst: Uint8Array, offset?: number): number {
  const slen = src.length;
  const dlen = dst.length;
  let i = 0;
  let d = 0;
  while (i < slen) {
    // zrun: QEMU insists on two bytes left even for a one-byte length.
    if (slen - i < 2) throw decodeError(offset);
    let b = src[i]!;
    let count: number;
    if (b < 0x80) {
      count = b;
      if (count === 0 && i > 0) throw decodeError(offset);
      i += 1;
    } else {
      const b1 = src[i + 1]!;
      if (b1 & 0x80) throw decodeError(offset);
      count = (b & 0x7f) | (b1 << 7);
      if (count === 0 && i > 0) throw decodeError(offset);
      i += 2;
    }
    d += count;
    if (d > dlen) throw decodeError(offset);

    // nzrun: a non-zero length, then that many literal bytes.
    if (slen - i < 2) throw decodeError(offset);
    b = src[i]!;
    if (b < 0x80) {
      count = b;
      i += 1;
    } else {
      const b1 = src[i + 1]!;
      if (b1 & 0x80) throw decodeError(offset);
      count = (b & 0x7f) | (b1 << 7);
      i += 2;
    }
    if (count === 0 || d + count > dlen || i + count > slen) throw decodeError(offset);
    for (let k = 0; k < count; k++) dst[d + k] = src[i + k]!;
    d += count;
    i += count;
  }
  return d;
}

function decodeError(offset: number | undefined): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_XBZRLE, DECODE_ERROR, offset);
}
