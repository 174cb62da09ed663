/**
 * Bounds-checked big-endian readers and writers over Uint8Array. Every multi-byte
 * integer in QEMU's stream is big-endian. Nothing here allocates per read except
 * where a caller asks for a string.
 */
import { ErrorCode, ProtocolError } from '../errors.js';

/**
 * Thrown by ByteReader when a read runs past the bytes it holds. It is a
 * ProtocolError (code TRUNCATED) so that a caller decoding a complete buffer sees
 * an ordinary truncation error; incremental decoders catch it to mean "wait for
 * more input" and use `needed` (absolute stream offset) to know how much.
 */
export class NeedMoreData extends ProtocolError {
  readonly needed: number;
  constructor(what: string, at: number, needed: number) {
    super(
      ErrorCode.PROTOCOL_TRUNCATED,
      `Truncated stream: expected ${needed - at} more byte(s) for ${what} at byte ${at}`,
      at,
    );
    this.name = 'NeedMoreData';
    this.needed = needed;
  }
}

/** Decodes bytes as Latin-1 so that every byte maps to one code unit and back. */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Encodes a Latin-1 string; refuses code units above 0xff. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `Name '${s}' is not a byte string`);
    }
    out[i] = c;
  }
  return out;
}

export const TWO_32 = 0x1_0000_0000;

/** Writes a be64 from a non-negative safe integer (as two halves: no BigInt on the hot path) or a bigint. */
export function setU64(view: DataView, at: number, v: number | bigint): void {
  if (typeof v === 'bigint') {
    view.setBigUint64(at, BigInt.asUintN(64, v));
  } else {
    view.setUint32(at, Math.floor(v / TWO_32));
    view.setUint32(at + 4, v >>> 0);
  }
}

/**
 * A cursor over one contiguous byte range. `base` is the absolute stream offset
 * of `buf[0]`, so error messages can name the real position in a file.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  readonly base: number;
  pos: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length, base = 0) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
    this.base = base;
  }

  /** Absolute stream offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws NeedMoreData unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new NeedMoreData(what, this.base + this.pos, this.base + this.pos + n);
    }
  }

  peekU8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.pos]!;
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'be16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'be32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(what = 'be32'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'be64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  i64(what = 'be64'): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * A be64 that must fit in a JS number exactly (sizes, offsets). Values above
   * 2^53 are rejected as over the limit rather than silently rounded.
   */
  u64Number(what = 'be64'): number {
    this.need(8, what);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    if (hi > 0x1f_ffff) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_LIMIT,
        `${what} 0x${(BigInt(hi) * 2n ** 32n + BigInt(lo)).toString(16)} is too large`,
        this.base + this.pos,
      );
    }
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  /**
   * A copy of the next `n` bytes as a plain Uint8Array. (Buffer#slice would
   * return a view when the input is a Buffer, so copies are made explicitly.)
   */
  copy(n: number, what = 'bytes'): Uint8Array {
    return new Uint8Array(this.bytes(n, what));
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** QEMU's counted string: u8 length, then that many bytes, no NUL. */
  countedString(what = 'counted string'): string {
    this.need(1, what);
    const len = this.buf[this.pos]!;
    this.need(1 + len, what);
    const s = latin1(this.buf.subarray(this.pos + 1, this.pos + 1 + len));
    this.pos += 1 + len;
    return s;
  }
}

/**
 * A growable big-endian writer for small, structured payloads (headers, device
 * state, commands). Bulk page data does not go through here; see StreamWriter.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves `n` bytes and returns their offset. Call before touching buf/view: it may replace them. */
  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length = at + n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.buf[at] = v;
    return this;
  }

  u16(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v);
    return this;
  }

  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0);
    return this;
  }

  i32(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v);
    return this;
  }

  /** be64 from a non-negative safe integer or a bigint. */
  u64(v: number | bigint): this {
    const at = this.room(8);
    setU64(this.view, at, v);
    return this;
  }

  i64(v: bigint): this {
    const at = this.room(8);
    this.view.setBigInt64(at, BigInt.asIntN(64, v));
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }

  countedString(s: string): this {
    if (s.length > 255) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_ENCODE,
        `Name '${s.slice(0, 40)}...' is longer than 255 bytes`,
      );
    }
    this.u8(s.length);
    this.bytes(latin1Bytes(s));
    return this;
  }

  /** The bytes written so far, as a view of the internal buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
