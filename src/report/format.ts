/**
 * Number formatting for the report. Every formatter takes `undefined` (a value
 * the run did not record, e.g. a failed run's downtime) and prints "n/a", so the
 * renderer never has to special-case missing values. Output is fixed to en-US
 * grouping so a report reads the same wherever it was rendered.
 */

export const NA = 'n/a';

const MIB = 1024 * 1024;

function known(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** 1234.5 → "1,234.5": at most `decimals` fraction digits, none when whole. */
export function formatNumber(n: number | undefined, decimals = 0): string {
  if (!known(n)) return NA;
  return n.toLocaleString('en-US', { maximumFractionDigits: decimals });
}

/** A count of things (pages, passes): "65,536". */
export function formatCount(n: number | undefined): string {
  return formatNumber(n, 0);
}

/**
 * Bytes in binary units, since RAM sizes are powers of two: "256 MiB",
 * "512.1 MiB", "4 KiB". Small values keep two decimals so they stay distinct.
 */
export function formatBytes(n: number | undefined): string {
  if (!known(n)) return NA;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const decimals = u === 0 ? 0 : Math.abs(v) < 10 ? 2 : 1;
  return `${formatNumber(v, decimals)} ${units[u]}`;
}

/** Bytes as MiB, the unit of the timeline's left axis. */
export function bytesToMiB(n: number): number {
  return n / MIB;
}

/**
 * Milliseconds, exactly as recorded: "1,400 ms", "9 ms", "0.4 ms". Used for
 * downtime, where the difference between 16 ms and 1,412 ms is the point.
 */
export function formatMs(ms: number | undefined): string {
  if (!known(ms)) return NA;
  return `${formatNumber(ms, Math.abs(ms) < 100 ? 1 : 0)} ms`;
}

/** A duration: milliseconds below ten seconds, then seconds ("12.35 s"). */
export function formatDuration(ms: number | undefined): string {
  if (!known(ms)) return NA;
  if (Math.abs(ms) < 10_000) return formatMs(ms);
  return `${formatNumber(ms / 1000, 2)} s`;
}

/** A rate in QEMU's unit (decimal megabits per second): "2,150 Mbit/s", "41.5 Mbit/s". */
export function formatMbps(mbps: number | undefined): string {
  if (!known(mbps)) return NA;
  return `${formatNumber(mbps, Math.abs(mbps) < 100 ? 1 : 0)} Mbit/s`;
}

/** Bytes per second as Mbit/s, the timeline's right axis (QEMU's mbps is decimal too). */
export function bytesPerSecToMbps(bytesPerSec: number): number {
  return (bytesPerSec * 8) / 1e6;
}

/** A check result: ✓ pass, ✗ fail, or n/a when it was not checked. */
export function formatCheck(ok: boolean | undefined): string {
  if (ok === undefined) return NA;
  return ok ? '✓ pass' : '✗ fail';
}
