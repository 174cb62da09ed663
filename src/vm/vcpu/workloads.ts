/**
 * What a vCPU does, one batch at a time. Every write is followed by its dirty
 * mark (test the bit, Atomics.or only when clear), so a sync never misses a page
 * whose bytes changed after it. Loops are kept free of calls and allocation: the
 * `ab` loop runs millions of page writes per second.
 */
import { PAGE_SIZE } from '../ram-block.js';

/** The vCPU's position; mirrors the shared state slots (layout.ts Slot). */
export interface VcpuPosition {
  pass: number;
  cursor: number;
  prng: number;
  pages: number;
  waiting: number;
}

/** Where a vCPU writes. lo/hi: its share of pages. */
export interface WriteContext {
  readonly bytes: readonly Uint8Array[];
  readonly words: readonly Int32Array[];
  /** log2(pages per chunk) and the matching mask. */
  readonly shift: number;
  readonly mask: number;
  readonly bm: Int32Array;
  readonly pageCount: number;
  readonly lo: number;
  readonly hi: number;
}

/** step() results besides a page count. */
export const PASS_END = -1;
export const IDLE = -2;

export type Step = (c: WriteContext, s: VcpuPosition, budget: number) => number;

/** +1 to the first byte of each page of the share; a pass ends at `hi`. */
export const abStep: Step = (c, s, budget) => {
  if (s.cursor >= c.hi) {
    s.pass += 1;
    s.cursor = c.lo;
    s.waiting = 1;
    return PASS_END;
  }
  const { bytes, shift, mask, bm } = c;
  const start = s.cursor;
  const end = Math.min(start + budget, c.hi);
  for (let p = start; p < end; p++) {
    const v = bytes[p >>> shift]!;
    const off = (p & mask) * PAGE_SIZE;
    v[off] = v[off]! + 1;
    const w = p >>> 5;
    const bit = 1 << (p & 31);
    if ((bm[w]! & bit) === 0) Atomics.or(bm, w, bit);
  }
  s.cursor = end;
  s.pages += end - start;
  return end - start;
};

/** One random 32-bit word at a random place in a random page of the whole block. */
export const randomStep: Step = (c, s, budget) => {
  const { words, shift, mask, bm, pageCount } = c;
  let x = s.prng | 0;
  for (let i = 0; i < budget; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const p = (x >>> 0) % pageCount;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[p >>> shift]![(p & mask) * 1024 + (x >>> 22)] = x;
    const w = p >>> 5;
    const bit = 1 << (p & 31);
    if ((bm[w]! & bit) === 0) Atomics.or(bm, w, bit);
  }
  s.prng = x >>> 0;
  s.pages += budget;
  return budget;
};

/** Each page of the share once, with an xorshift stream whose first byte is never 0. */
export const fillStep: Step = (c, s, budget) => {
  if (s.pass >= 1) return IDLE;
  if (s.cursor >= c.hi) {
    s.pass = 1;
    s.waiting = 1;
    return PASS_END;
  }
  const { words, shift, mask, bm } = c;
  let x = s.prng | 0;
  const start = s.cursor;
  const end = Math.min(start + budget, c.hi);
  for (let p = start; p < end; p++) {
    const v = words[p >>> shift]!;
    const base = (p & mask) * 1024;
    for (let k = 0; k < 1024; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      v[base + k] = x;
    }
    // Little-endian: the low byte of word 0 is the page's first byte.
    v[base] = v[base]! | 1;
    const w = p >>> 5;
    const bit = 1 << (p & 31);
    if ((bm[w]! & bit) === 0) Atomics.or(bm, w, bit);
  }
  s.prng = x >>> 0;
  s.cursor = end;
  s.pages += end - start;
  return end - start;
};

export const idleStep: Step = () => IDLE;

/** Pages per batch: between two looks at the command word (stop latency ≈ one batch). */
export const BATCH = { ab: 2048, random: 2048, fill: 32, idle: 1 } as const;
