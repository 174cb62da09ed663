/**
 * Dirty-page logging for one RAM block. `sync()` is QEMU's migration_bitmap_sync
 * seen from the log: it hands over the pages written since the previous sync and
 * clears them. More than one implementation is planned (a shared bitmap here; a
 * shadow-compare log for memory nothing can instrument, such as v86's).
 */
import { countSetBits, forEachSetBit, nextSetBit } from './bitmap-walk.js';

/** A snapshot of dirty pages: bit p of `words` set ⇔ page p was written. Not shared. */
export class DirtyBitmap {
  readonly pageCount: number;
  readonly words: Uint32Array;

  constructor(pageCount: number, words: Uint32Array = new Uint32Array((pageCount + 31) >>> 5)) {
    this.pageCount = pageCount;
    this.words = words;
  }

  has(page: number): boolean {
    return ((this.words[page >>> 5]! >>> (page & 31)) & 1) === 1;
  }

  count(): number {
    return countSetBits(this.words);
  }

  forEach(fn: (page: number) => void): void {
    forEachSetBit(this.words, fn);
  }

  /** First dirty page ≥ `page`, or -1. */
  next(page: number): number {
    return nextSetBit(this.words, page);
  }

  /** ORs another snapshot in (a migration keeps unsent pages across syncs). */
  or(other: DirtyBitmap): void {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i] = (a[i]! | b[i]!) >>> 0;
  }
}

export interface DirtyLog {
  readonly pageCount: number;
  /** Pages dirtied since the last sync; the log is cleared as it is read. */
  sync(): DirtyBitmap;
  /** Marks every page dirty (migration start: the first pass sends everything). */
  markAll(): void;
}

/**
 * Marks page `page` in a shared bitmap. The plain test first keeps marking almost
 * free while the bit is already set (one locked RMW per page between two syncs,
 * not per write: node-datapath.md §6). Call it AFTER the write it covers, so a
 * sync that clears the bit either sees this mark or happens before the write.
 */
export function markDirty(bm: Int32Array, page: number): void {
  const w = page >>> 5;
  const bit = 1 << (page & 31);
  if ((bm[w]! & bit) === 0) Atomics.or(bm, w, bit);
}

/** One bit per page in an Int32Array over a SharedArrayBuffer; any thread may mark. */
export class SharedDirtyLog implements DirtyLog {
  readonly pageCount: number;
  readonly buffer: SharedArrayBuffer;
  readonly bits: Int32Array;
  /**
   * Every page reported by any sync so far (this thread's copy). With the live
   * bits it tells which pages were ever written: the rest are still zero, and
   * migration can skip reading them (first reads of fresh memory fault, and
   * faults are expensive here: node-datapath.md §7).
   */
  readonly #touched: Uint32Array;

  constructor(pageCount: number, buffer?: SharedArrayBuffer) {
    const words = (pageCount + 31) >>> 5;
    this.pageCount = pageCount;
    this.buffer = buffer ?? new SharedArrayBuffer(words * 4);
    this.bits = new Int32Array(this.buffer, 0, words);
    this.#touched = new Uint32Array(words);
  }

  /** Was `page` ever written (marked) since this log was created? */
  everWritten(page: number): boolean {
    const w = page >>> 5;
    const bit = 1 << (page & 31);
    return ((this.#touched[w]! | this.bits[w]!) & bit) !== 0;
  }

  mark(page: number): void {
    markDirty(this.bits, page);
  }

  /**
   * Fetch-and-clear per word: a mark racing with the sweep lands either in the
   * word before the exchange (reported now) or after it (reported next time);
   * none is lost. Zero words are skipped with a plain read, which is what keeps
   * a sweep over a mostly clean 16 GiB bitmap in the low milliseconds.
   */
  sync(): DirtyBitmap {
    const bm = this.bits;
    const out = new Uint32Array(bm.length);
    const touched = this.#touched;
    for (let w = 0; w < bm.length; w++) {
      if (bm[w] !== 0) {
        const v = Atomics.exchange(bm, w, 0) >>> 0;
        out[w] = v;
        touched[w] = touched[w]! | v;
      }
    }
    return new DirtyBitmap(this.pageCount, out);
  }

  markAll(): void {
    const bm = this.bits;
    const full = this.pageCount >>> 5;
    for (let w = 0; w < full; w++) Atomics.store(bm, w, -1);
    const rest = this.pageCount & 31;
    if (rest !== 0) Atomics.or(bm, full, (1 << rest) - 1);
  }
}
