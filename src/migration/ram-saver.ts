/**
 * The source side of RAM migration, as a live device: section "ram", version 4.
 * It keeps its own bitmap of pages still to send. Setup marks every page
 * (QEMU's bulk stage); each sync ORs in the pages the guest dirtied since the
 * previous one and counts a pass (MIGRATION_PASS). Pages go out as views of
 * guest RAM (zero-copy); all-zero pages go out as ZERO records.
 */
import { RamEncoder } from '../protocol/ram-encoder.js';
import type { ChunkSink } from '../protocol/stream-writer.js';
import { trace } from '../trace.js';
import { nextSetBit } from '../vm/bitmap-walk.js';
import type { SharedDirtyLog } from '../vm/dirty-log.js';
import type { RamBlock } from '../vm/ram-block.js';
import type { LiveDevice } from './savevm/entries.js';
import type { RamStats } from './ram-stats.js';

const PAGE = 4096;

export interface RamSaverHooks {
  /** A dirty-bitmap sync happened: pass number (QEMU's MIGRATION_PASS). */
  onPass(pass: number): void;
  now(): number;
}

export class RamSaver implements LiveDevice {
  readonly #block: RamBlock;
  readonly #log: SharedDirtyLog;
  readonly #stats: RamStats;
  readonly #hooks: RamSaverHooks;
  readonly #enc = new RamEncoder();
  /** Pages still to send. */
  #todo: Uint32Array;
  #todoCount = 0;
  /** Where the scan resumes. */
  #cursor = 0;
  /** One Int32Array per RAM chunk, for word-wise zero-page checks. */
  readonly #words: Int32Array[];
  #rateStart = 0;
  #rateSyncPages = 0;

  constructor(block: RamBlock, log: SharedDirtyLog, stats: RamStats, hooks: RamSaverHooks) {
    this.#block = block;
    this.#log = log;
    this.#stats = stats;
    this.#hooks = hooks;
    this.#todo = new Uint32Array((block.pageCount + 31) >>> 5);
    this.#words = block.chunks.map((c) => new Int32Array(c));
  }

  get pagesToSend(): number {
    return this.#todoCount;
  }

  saveSetup(w: ChunkSink): void {
    // Bulk stage: everything is to be sent; the log is cleared so that later
    // syncs report only what the guest writes from now on.
    const n = this.#block.pageCount;
    this.#todo.fill(0xffffffff);
    if (n & 31) this.#todo[this.#todo.length - 1] = (1 << (n & 31)) - 1;
    this.#todoCount = n;
    this.#cursor = 0;
    this.#rateStart = this.#hooks.now();
    this.#sync(); // pass 1; every page is already marked, so it adds nothing
    this.#enc.reset();
    this.#enc.memSize(w, [{ idstr: this.#block.idstr, usedLength: this.#block.usedLength }]);
    this.#enc.eos(w);
  }

  saveIterate(w: ChunkSink, _ctx: unknown, budget: number): boolean {
    this.#sendPages(w, budget);
    this.#enc.eos(w);
    return this.#todoCount === 0;
  }

  saveComplete(w: ChunkSink): void {
    this.#sync();
    this.#sendPages(w, Infinity);
    this.#enc.eos(w);
  }

  pendingEstimate(): number {
    return this.#todoCount * PAGE;
  }

  pendingExact(): number {
    this.#sync();
    return this.#todoCount * PAGE;
  }

  loadState(): void {
    // The destination reads RAM records through the stream decoder's built-in RAM format.
    throw new Error('RamSaver is the source side only');
  }

  /** QEMU's migration_bitmap_sync: fold the guest's dirty log into the to-send bitmap. */
  #sync(): void {
    const dirty = this.#log.sync();
    const todo = this.#todo;
    const src = dirty.words;
    let added = 0;
    for (let i = 0; i < todo.length; i++) {
      const d = src[i]!;
      if (d === 0) continue;
      const fresh = d & ~todo[i]!;
      if (fresh !== 0) {
        todo[i] = todo[i]! | fresh;
        added += popcount(fresh);
      }
    }
    this.#todoCount += added;
    const dirtied = dirty.count();
    const s = this.#stats;
    s.dirtySyncCount++;
    this.#rateSyncPages += dirtied;
    const now = this.#hooks.now();
    // QEMU refreshes the dirty rate at syncs at least a second apart.
    if (now - this.#rateStart >= 1000) {
      s.dirtyPagesRate = Math.round((this.#rateSyncPages * 1000) / (now - this.#rateStart));
      this.#rateStart = now;
      this.#rateSyncPages = 0;
    }
    s.remaining = this.#todoCount * PAGE;
    trace('migration_bitmap_sync_end', { dirty_pages: dirtied });
    this.#hooks.onPass(s.dirtySyncCount);
  }

  /** Sends to-send pages from the cursor until `budget` bytes or none are left. */
  #sendPages(w: ChunkSink, budget: number): void {
    const block = this.#block;
    const idstr = block.idstr;
    const todo = this.#todo;
    const shift = block.chunkPageShift;
    const mask = (1 << shift) - 1;
    const s = this.#stats;
    const start = w.written;
    let page = this.#cursor;
    let wrapped = false;
    while (this.#todoCount > 0 && w.written - start < budget) {
      page = nextSetBit(todo, page);
      if (page < 0) {
        if (wrapped) break;
        wrapped = true;
        page = 0;
        continue;
      }
      todo[page >>> 5] = todo[page >>> 5]! & ~(1 << (page & 31));
      this.#todoCount--;
      const chunk = page >>> shift;
      const inChunk = page & mask;
      const addr = page * PAGE;
      // A page never written is zero without reading it (and faulting it in).
      if (!this.#log.everWritten(page) || isZeroPage(this.#words[chunk]!, inChunk << 10)) {
        this.#enc.zeroPage(w, idstr, addr);
        s.duplicate++;
      } else {
        this.#enc.page(
          w,
          idstr,
          addr,
          block.views[chunk]!.subarray(inChunk * PAGE, inChunk * PAGE + PAGE),
        );
        s.normal++;
      }
      page++;
    }
    this.#cursor = page < 0 ? 0 : page;
    s.remaining = this.#todoCount * PAGE;
  }
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) | 0;
}

/** 1024 words from `at`: all zero? Exits at the first set word (most data pages fail fast). */
function isZeroPage(words: Int32Array, at: number): boolean {
  for (let i = at, end = at + 1024; i < end; i += 4) {
    if ((words[i]! | words[i + 1]! | words[i + 2]! | words[i + 3]!) !== 0) return false;
  }
  return true;
}
