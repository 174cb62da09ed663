/**
 * The byte channel the migration engine talks to: the main stream in one
 * direction and, where the transport allows it, the return path in the other.
 * Socket channels are full duplex on one connection, as in QEMU, where the
 * return path reuses the migration socket.
 *
 * Contracts:
 *
 * - Writing. `write(chunks)` queues the chunks as one vectored write (one writev
 *   per batch) and never copies them: the caller must not change a chunk's
 *   bytes until it has been flushed. A chunk written so that it ends at stream
 *   position `end` (i.e. `bytesQueued` just after the call) is flushed once
 *   `bytesQueued - writableLength >= end`; staging buffers are recycled by that
 *   rule, not by callbacks.
 * - Backpressure. `write` returns false once `writableLength` reaches the
 *   channel's high-water mark; the caller should stop producing and
 *   `await waitDrain(signal)`. Nothing is lost if it writes anyway, but memory
 *   then grows with the queue.
 * - Reading. `onRead(cb)` delivers received bytes as views into one receive
 *   buffer that is reused: a view is valid only until `cb` returns, so a parser
 *   must copy what it keeps. There is no 'data' event and no per-read allocation.
 * - Errors. The first failure (peer reset, broken pipe, failed write) is turned
 *   into a LivemigError with QEMU's wording, reported once through `onError`,
 *   and from then on `write` returns false and `waitDrain`/`shutdown` reject
 *   with it. A clean end of the peer's stream is `onEnd`, not an error.
 */
import type { LivemigError } from '../errors.js';

export interface MigrationChannel {
  /** 'tcp' | 'unix' | 'exec' | 'file' | 'memory', for traces and stats. */
  readonly kind: string;
  /** Whether bytes can come back on this channel (the return path). */
  readonly readable: boolean;
  /** Whether the channel accepts writes (false for a file being loaded). */
  readonly writable: boolean;
  /** Bytes queued by `write` and not yet handed to the kernel. */
  readonly writableLength: number;
  /** Total bytes ever passed to `write` (monotonic; the stream position). */
  readonly bytesQueued: number;
  /** Total bytes delivered through `onRead`. */
  readonly bytesRead: number;
  /** Queue one batch; false means "back off until waitDrain resolves". */
  write(chunks: readonly Uint8Array[]): boolean;
  /** Resolves when the queue has drained below the high-water mark. */
  waitDrain(signal?: AbortSignal): Promise<void>;
  /** Installs the single reader and starts reading. */
  onRead(cb: (view: Uint8Array) => void): void;
  /**
   * Stop reading, so the kernel buffers fill and push back on the peer. One read
   * already under way may still be delivered after this call.
   */
  pauseReading(): void;
  resumeReading(): void;
  /** The peer finished its stream cleanly. */
  onEnd(cb: () => void): void;
  /** The first error; reported once. */
  onError(cb: (err: LivemigError) => void): void;
  /** Flush everything queued, then end our direction (FIN / close stdin / close file). */
  shutdown(signal?: AbortSignal): Promise<void>;
  /** Tear down at once; queued bytes are dropped. Idempotent. */
  destroy(err?: LivemigError): void;
}

/** Default size of the static receive buffer (node-datapath.md: 1 MiB is the sweet spot). */
export const DEFAULT_READ_BUFFER = 1 << 20;
/** Default high-water mark for the write queue. */
export const DEFAULT_HIGH_WATER_MARK = 4 << 20;

export interface ChannelOptions {
  /**
   * The receive buffer `onRead` views point into. Lets the engine place it where
   * it wants (e.g. aligned, or inside the guest-RAM memory). Default: 1 MiB.
   */
  readBuffer?: Uint8Array;
  /** Write-queue high-water mark in bytes (default 4 MiB). */
  highWaterMark?: number;
}
