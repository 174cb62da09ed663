/**
 * QEMU's migration rate limit (migration-stats.c, 8.1). `max-bandwidth` is in
 * bytes per second but is enforced per BUFFER_DELAY (100 ms) window: a window may
 * carry bandwidth / 10 bytes (integer division). The check is "used > max", so
 * the write that crosses the line still goes out and the next one waits. A
 * per-window maximum of 0 means unlimited (RATE_LIMIT_DISABLED), which QEMU also
 * gets for any max-bandwidth below 10. A new window starts when the producer asks
 * after at least 100 ms (migration_update_counters), from that moment, not from
 * the previous window's end.
 */
import { abortable } from './io-errors.js';

export const BUFFER_DELAY_MS = 100;
const XFER_LIMIT_RATIO = 1000 / BUFFER_DELAY_MS;

export interface RateLimiterOptions {
  /** max-bandwidth in bytes/s (uint64 as QEMU takes it; 0 = unlimited). */
  bytesPerSec: number | bigint;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
  /** Sleep used by waitForWindow (default setTimeout); injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What a closed window carried, for bandwidth and expected-downtime figures. */
export interface WindowSample {
  bytes: number;
  ms: number;
}

export class RateLimiter {
  /** Bytes accounted since creation (QEMU's migration_transferred_bytes). */
  transferred = 0;
  private maxPerWindow = 0;
  private windowStart: number;
  private windowStartBytes = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: RateLimiterOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? defaultSleep;
    this.windowStart = this.now();
    this.setRate(opts.bytesPerSec);
  }

  /** migration_rate_set: takes effect in the current window. */
  setRate(bytesPerSec: number | bigint): void {
    const b = BigInt(bytesPerSec);
    if (b < 0n) throw new RangeError('rate must be non-negative');
    this.maxPerWindow = Number(b / BigInt(XFER_LIMIT_RATIO));
  }

  /** Bytes allowed per 100 ms window; 0 = unlimited. */
  get windowLimit(): number {
    return this.maxPerWindow;
  }

  /** Counts bytes handed to the channel. */
  account(bytes: number): void {
    this.transferred += bytes;
  }

  /** Bytes sent in the current window. */
  get windowUsed(): number {
    return this.transferred - this.windowStartBytes;
  }

  /** migration_rate_exceeded: stop producing until the next window. */
  rateLimitExceeded(): boolean {
    return this.maxPerWindow !== 0 && this.windowUsed > this.maxPerWindow;
  }

  /** Milliseconds until the current window may be closed (0 if it may now). */
  msUntilNextWindow(): number {
    return Math.max(0, this.windowStart + BUFFER_DELAY_MS - this.now());
  }

  /**
   * Closes the window if at least 100 ms have passed and starts a new one now;
   * returns what the closed window carried, or undefined if it is still open.
   */
  updateWindow(): WindowSample | undefined {
    const t = this.now();
    if (t < this.windowStart + BUFFER_DELAY_MS) return undefined;
    const sample = { bytes: this.windowUsed, ms: t - this.windowStart };
    this.windowStart = t;
    this.windowStartBytes = this.transferred;
    return sample;
  }

  /**
   * migration_rate_limit: if over the limit, sleep until the window ends (or the
   * signal aborts), then open the next window. Resolves at once when not limited.
   */
  async waitForWindow(signal?: AbortSignal): Promise<WindowSample | undefined> {
    const closed = this.updateWindow();
    if (closed || !this.rateLimitExceeded()) return closed;
    await this.sleep(this.msUntilNextWindow(), signal);
    return this.updateWindow();
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortable<void>('waiting for the rate limit window', signal, (ok) => {
    const t = setTimeout(ok, ms);
    return () => clearTimeout(t);
  });
}
