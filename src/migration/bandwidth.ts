/**
 * QEMU's convergence arithmetic (migration_update_counters, 8.1): bandwidth is
 * measured over 100 ms windows, and the source may switch over once what is
 * pending could be sent within downtime-limit at that bandwidth (or at
 * avail-switchover-bandwidth when the user set it). Before the first window
 * closes the threshold is 0, so only "nothing pending" can complete.
 */
export class Bandwidth {
  /** Bytes per millisecond of the last closed window (QEMU's bandwidth). */
  bytesPerMs = 0;
  /** QEMU's threshold_size. */
  threshold = 0;
  /** Mbit/s of the last window (query-migrate's mbps). */
  mbps = 0;

  /** Folds in a closed window; `availBytesPerSec` is avail-switchover-bandwidth (0 = measured). */
  update(bytes: number, ms: number, downtimeLimitMs: number, availBytesPerSec: number): void {
    if (ms <= 0) return;
    this.bytesPerMs = bytes / ms;
    this.mbps = (bytes * 8) / ms / 1000;
    const bw = availBytesPerSec > 0 ? availBytesPerSec / 1000 : this.bytesPerMs;
    this.threshold = bw * downtimeLimitMs;
  }

  /** Milliseconds to send `pending` bytes at the measured bandwidth (QEMU's expected_downtime). */
  expectedDowntime(pending: number, downtimeLimitMs: number): number {
    return this.bytesPerMs > 0 ? Math.round(pending / this.bytesPerMs) : downtimeLimitMs;
  }
}
