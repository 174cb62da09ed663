/**
 * The engine's writer: a channel plus QEMU's rate limit and the transferred-bytes
 * count that query-migrate reports. It adds no buffering of its own, so the
 * channel's backpressure and the rate limit are the only two reasons to wait.
 */
import type { MigrationChannel } from './channel.js';
import type { RateLimiter, WindowSample } from './rate-limit.js';

export class RateLimitedWriter {
  constructor(
    readonly channel: MigrationChannel,
    readonly limiter: RateLimiter,
  ) {}

  /** Bytes written through this writer (and any other user of the limiter). */
  get transferred(): number {
    return this.limiter.transferred;
  }

  /** Same contract as MigrationChannel.write; also counts the bytes against the window. */
  write(chunks: readonly Uint8Array[]): boolean {
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    this.limiter.account(n);
    return this.channel.write(chunks);
  }

  /** True when the producer should stop: over the window's budget. */
  rateLimitExceeded(): boolean {
    return this.limiter.rateLimitExceeded();
  }

  /** Waits until the channel has drained and the rate window allows more. */
  async throttle(signal?: AbortSignal): Promise<WindowSample | undefined> {
    await this.channel.waitDrain(signal);
    return this.limiter.waitForWindow(signal);
  }
}
