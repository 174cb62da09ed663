/**
 * Guest RAM as QEMU's RAMBlock: an idstr ("pc.ram"), a used length and 4 KiB
 * target pages, backed by SharedArrayBuffers so vCPU and migration workers touch
 * the same bytes without copies.
 *
 * Why chunks: Node 20 (V8 11.3) allocates a SharedArrayBuffer larger than 4 GiB,
 * but refuses a typed-array view over more than 2^32 bytes ("Invalid typed array
 * length"), so a 16 GiB block cannot be one view. The block is cut into 1 GiB
 * chunks; the chunk size is a power of two and a multiple of the page size, so a
 * page never spans chunks and page → (chunk, offset) is a shift and a mask.
 *
 * Allocation touches nothing: V8 takes SharedArrayBuffer memory from mmap, whose
 * pages read as zero and are only backed on first write, so a 16 GiB guest starts
 * in milliseconds with a small RSS. `prefault()` is for the destination, which
 * should pay the first-touch faults (~11 µs/page here) before the stream arrives.
 */
import { ErrorCode, LivemigError } from '../errors.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const DEFAULT_CHUNK_SIZE = 1 << 30;

/** What a worker needs to rebuild a RamBlock over the same memory (structured-clone safe). */
export interface RamBlockHandle {
  readonly idstr: string;
  readonly usedLength: number;
  readonly chunkSize: number;
  readonly chunks: readonly SharedArrayBuffer[];
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function invalid(text: string): LivemigError {
  return new LivemigError(ErrorCode.INVALID_PARAMETER, text);
}

export class RamBlock {
  readonly idstr: string;
  readonly usedLength: number;
  readonly pageSize = PAGE_SIZE;
  readonly pageCount: number;
  readonly chunkSize: number;
  /** log2(pages per chunk): `page >>> chunkPageShift` is the chunk index. */
  readonly chunkPageShift: number;
  readonly chunks: readonly SharedArrayBuffer[];
  /** One byte view per chunk, created once so page access allocates only the subarray. */
  readonly views: readonly Uint8Array[];

  constructor(
    idstr: string,
    usedLength: number,
    options: { chunkSize?: number; chunks?: readonly SharedArrayBuffer[] } = {},
  ) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (idstr.length === 0 || idstr.length > 255) throw invalid(`Bad RAM block id '${idstr}'`);
    if (!isPow2(chunkSize) || chunkSize < PAGE_SIZE || chunkSize > 2 ** 32) {
      throw invalid(`RAM chunk size ${chunkSize} must be a power of two in [4 KiB, 4 GiB]`);
    }
    if (!Number.isSafeInteger(usedLength) || usedLength <= 0 || usedLength % PAGE_SIZE !== 0) {
      throw invalid(`RAM size ${usedLength} must be a positive multiple of ${PAGE_SIZE}`);
    }
    this.idstr = idstr;
    this.usedLength = usedLength;
    this.pageCount = usedLength / PAGE_SIZE;
    this.chunkSize = chunkSize;
    this.chunkPageShift = Math.log2(chunkSize) - PAGE_SHIFT;
    const n = Math.ceil(usedLength / chunkSize);
    const sizeOf = (i: number): number => Math.min(chunkSize, usedLength - i * chunkSize);
    if (options.chunks) {
      const given = options.chunks;
      if (given.length !== n || given.some((c, i) => c.byteLength !== sizeOf(i))) {
        throw invalid(`RAM block '${idstr}': chunks do not match its size`);
      }
      this.chunks = [...given];
    } else {
      this.chunks = Array.from({ length: n }, (_, i) => new SharedArrayBuffer(sizeOf(i)));
    }
    this.views = this.chunks.map((c) => new Uint8Array(c));
  }

  static fromHandle(h: RamBlockHandle): RamBlock {
    return new RamBlock(h.idstr, h.usedLength, { chunkSize: h.chunkSize, chunks: h.chunks });
  }

  handle(): RamBlockHandle {
    return {
      idstr: this.idstr,
      usedLength: this.usedLength,
      chunkSize: this.chunkSize,
      chunks: this.chunks,
    };
  }

  private check(addr: number, len: number): void {
    if (
      !Number.isSafeInteger(addr) ||
      !Number.isSafeInteger(len) ||
      addr < 0 ||
      len < 0 ||
      addr + len > this.usedLength
    ) {
      throw invalid(
        `RAM block '${this.idstr}': range ${addr}+${len} is outside 0..${this.usedLength}`,
      );
    }
  }

  /** The page holding `addr` (rounded down) as a 4 KiB view into guest RAM. */
  page(addr: number): Uint8Array {
    this.check(addr, 1);
    const page = Math.floor(addr / PAGE_SIZE);
    return this.pageByIndex(page);
  }

  /** Page number → its 4 KiB view. No range check beyond the typed array's own. */
  pageByIndex(page: number): Uint8Array {
    const view = this.views[page >>> this.chunkPageShift];
    if (view === undefined || page >= this.pageCount) {
      throw invalid(`RAM block '${this.idstr}': page ${page} is outside 0..${this.pageCount}`);
    }
    const off = (page & ((1 << this.chunkPageShift) - 1)) * PAGE_SIZE;
    return view.subarray(off, off + PAGE_SIZE);
  }

  /** Copies `len` guest bytes from `addr` into `dst` (default: a new array), across chunks. */
  read(addr: number, len: number, dst: Uint8Array = new Uint8Array(len)): Uint8Array {
    this.check(addr, len);
    if (dst.length < len) throw invalid(`read: destination holds ${dst.length} < ${len} bytes`);
    this.forEachPiece(addr, len, (view, off, n, done) => {
      dst.set(view.subarray(off, off + n), done);
    });
    return dst;
  }

  /** Copies `src` into guest RAM at `addr`, across chunks. Does not mark the dirty log. */
  write(addr: number, src: Uint8Array): void {
    this.check(addr, src.length);
    this.forEachPiece(addr, src.length, (view, off, n, done) => {
      view.set(src.subarray(done, done + n), off);
    });
  }

  private forEachPiece(
    addr: number,
    len: number,
    fn: (view: Uint8Array, off: number, n: number, done: number) => void,
  ): void {
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const ci = Math.floor(a / this.chunkSize);
      const off = a - ci * this.chunkSize;
      const view = this.views[ci]!;
      const n = Math.min(len - done, view.length - off);
      fn(view, off, n, done);
      done += n;
    }
  }

  /**
   * Backs every page with memory now. An atomic add of zero writes without
   * changing a byte, so it is safe while vCPUs run and still forces a private page.
   */
  prefault(): void {
    for (const view of this.views) {
      for (let off = 0; off < view.length; off += PAGE_SIZE) Atomics.add(view, off, 0);
    }
  }
}
