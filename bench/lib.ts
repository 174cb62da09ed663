/**
 * Shared helpers for the benchmarks: timing, medians, deterministic test data
 * and result formatting. Every figure a bench reports is a ratio against a
 * baseline measured in the same process and run, because absolute numbers on a
 * shared 2-vCPU VM swing by ±30 % from run to run while ratios stay put.
 */
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** One row of the summary table. `ratio` is always measured ÷ baseline throughput. */
export interface BenchResult {
  name: string;
  measured: string;
  baseline: string;
  ratio: number;
  /** Human-readable target, e.g. '≥ 0.50', or 'info' for informative rows. */
  target: string;
  /** Whether the ratio meets the target; undefined for informative rows. */
  ok?: boolean;
}

export const MiB = 1 << 20;
export const GiB = 1 << 30;
export const PAGE = 4096;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds taken by fn. */
export function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** A variant to time, optionally with untimed preparation before each round. */
export type Variant = (() => void) | { prepare: () => void; run: () => void };

/**
 * Runs each variant `warmup` times, then `rounds` times, interleaved (A B C, A B C,
 * ...) so a burst of noise from another tenant hits every variant alike. Returns
 * each variant's round times in ms.
 */
export function interleave(variants: readonly Variant[], rounds: number, warmup = 1): number[][] {
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < warmup + rounds; r++) {
    variants.forEach((v, i) => {
      if (typeof v !== 'function') v.prepare();
      const t = timeMs(typeof v === 'function' ? v : v.run);
      if (r >= warmup) times[i]!.push(t);
    });
  }
  return times;
}

/** Throws unless cond holds: a bench that measured a no-op must not report a number. */
export function verify(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`bench verification failed: ${what}`);
}

export function mibPerSec(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

export function fmtRate(bytes: number, ms: number): string {
  return `${mibPerSec(bytes, ms).toFixed(0)} MiB/s`;
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** "min / median / max" of a list of round times, to show the spread. */
export function spread(ms: readonly number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${fmtMs(s[0]!)} / ${fmtMs(median(s))} / ${fmtMs(s[s.length - 1]!)}`;
}

/**
 * Deterministic pseudo-random bytes (xorshift32), so runs are comparable and a
 * checksum computed at build time can be checked after decoding.
 */
export function pseudoRandom(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  const w = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x >>> 0;
  }
  return out;
}

const POOL = pseudoRandom(MiB);

/**
 * Fills `ram` with non-zero, page-distinct data: a 1 MiB random pool tiled at
 * 1 MiB-aligned offsets (so the copies take V8's fast aligned path even into a
 * SharedArrayBuffer), with each page's first 4 bytes stamped with its page
 * number + 1. `firstPage` is the page number of ram[0] in the guest.
 */
export function fillGuestPages(ram: Uint8Array, firstPage = 0): void {
  for (let off = 0; off < ram.length; off += MiB) {
    ram.set(POOL.subarray(0, Math.min(MiB, ram.length - off)), off);
  }
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  for (let off = 0, p = firstPage; off + PAGE <= ram.length; off += PAGE, p++) {
    dv.setUint32(off, p + 1);
  }
}

/** Touches every page of `buf` so first-touch page faults (≈11 µs each here) stay out of timings. */
export function prefault(buf: Uint8Array): void {
  buf.fill(1);
  buf.fill(0);
}

export function printTable(rows: readonly BenchResult[]): void {
  const head = ['bench', 'measured', 'baseline', 'ratio', 'target', ''];
  const body = rows.map((r) => [
    r.name,
    r.measured,
    r.baseline,
    `${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}×`,
    r.target,
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

/**
 * Entry point for a bench module run on its own (`node dist/bench/x.js`) or
 * forked by run.ts, which receives the rows over IPC.
 */
export async function benchMain(
  moduleUrl: string,
  run: () => Promise<BenchResult[]> | BenchResult[],
): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const rows = await run();
  if (process.send) {
    process.send({ rows });
  } else {
    console.log();
    printTable(rows);
  }
}
