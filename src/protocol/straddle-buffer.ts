/**
 * The bytes of one decoder unit that straddles input chunks, with the stream
 * offset of its first byte. Only such a unit is ever copied; everything else
 * is parsed straight out of the chunk.
 *
 * The storage is kept between units: a device whose sections are ~1 MiB
 * straddles chunks in nearly every section, and a fresh megabyte each time
 * fragmented the destination's heap by tens of MiB (issue 4's RSS). Only an
 * outsized one (a huge vmdesc or device payload) is given back.
 */
const INITIAL = 4096 + 512; // a page and a record header
const KEEP_MAX = 4 << 20;

export class StraddleBuffer {
  bytes = new Uint8Array(INITIAL);
  length = 0;
  /** Absolute stream offset of bytes[0]. */
  base = 0;

  get empty(): boolean {
    return this.length === 0;
  }

  append(src: Uint8Array, from: number, count: number): void {
    if (this.length + count > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.length + count) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
    }
    this.bytes.set(src.subarray(from, from + count), this.length);
    this.length += count;
  }

  /** Drops the first `consumed` bytes (a parsed unit); true when nothing is left. */
  drop(consumed: number): boolean {
    if (consumed >= this.length) {
      this.length = 0;
      if (this.bytes.length > KEEP_MAX) this.bytes = new Uint8Array(INITIAL);
      return true;
    }
    this.bytes.copyWithin(0, consumed, this.length);
    this.length -= consumed;
    this.base += consumed;
    return false;
  }
}
