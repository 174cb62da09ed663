/**
 * An in-memory channel pair for the engine's unit tests: the same contracts as a
 * socket (asynchronous delivery, views into one reused receive buffer, a write
 * queue with a high-water mark and 'drain', pausing, half close, errors), with
 * no kernel in between and fully deterministic ordering.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import type { ChannelOptions, MigrationChannel } from './channel.js';
import { DEFAULT_HIGH_WATER_MARK, DEFAULT_READ_BUFFER } from './channel.js';
import { abortable } from './io-errors.js';

class MemoryChannel implements MigrationChannel {
  readonly kind = 'memory';
  readonly readable = true;
  readonly writable = true;
  peer!: MemoryChannel;
  bytesQueued = 0;
  bytesRead = 0;
  writableLength = 0;
  private readonly hwm: number;
  private readonly rx: Uint8Array;
  /** Copies of what the peer wrote and we have not delivered yet. */
  private inbox: Uint8Array[] = [];
  private inboxEnd = false;
  private paused = false;
  private scheduled = false;
  private readCb: ((v: Uint8Array) => void) | undefined;
  private endCbs: (() => void)[] = [];
  private errorCbs: ((e: LivemigError) => void)[] = [];
  private drainWaiters = new Set<(e?: LivemigError) => void>();
  private ended = false;
  private failure: LivemigError | undefined;
  private destroyed = false;

  constructor(opts: ChannelOptions) {
    this.hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.rx = opts.readBuffer ?? new Uint8Array(DEFAULT_READ_BUFFER);
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.failure || this.destroyed || this.ended) return false;
    for (const c of chunks) {
      // Copied at once: the caller may recycle a chunk as soon as it counts as flushed.
      this.peer.inbox.push(c.slice());
      this.bytesQueued += c.byteLength;
      this.writableLength += c.byteLength;
    }
    this.peer.schedule();
    return this.writableLength < this.hwm;
  }

  waitDrain(signal?: AbortSignal): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.writableLength < this.hwm) return Promise.resolve();
    return abortable<void>('waiting for the migration channel to drain', signal, (ok, bad) => {
      const w = (e?: LivemigError): void => (e ? bad(e) : ok());
      this.drainWaiters.add(w);
      return () => this.drainWaiters.delete(w);
    });
  }

  onRead(cb: (view: Uint8Array) => void): void {
    if (this.readCb) throw new LivemigError(ErrorCode.BAD_STATE, 'onRead already installed');
    this.readCb = cb;
    this.schedule();
  }
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
    this.schedule();
  }
  onEnd(cb: () => void): void {
    this.endCbs.push(cb);
  }
  onError(cb: (err: LivemigError) => void): void {
    this.errorCbs.push(cb);
  }

  async shutdown(signal?: AbortSignal): Promise<void> {
    if (this.failure) throw this.failure;
    this.ended = true;
    this.peer.inboxEnd = true;
    this.peer.schedule();
    while (this.writableLength > 0) {
      await abortable<void>('shutting down the migration channel', signal, (ok, bad) => {
        const w = (e?: LivemigError): void => (e ? bad(e) : ok());
        this.drainWaiters.add(w);
        return () => this.drainWaiters.delete(w);
      });
    }
  }

  destroy(err?: LivemigError): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.failure ??= err;
    const reason =
      this.failure ?? new LivemigError(ErrorCode.IO, 'memory migration channel closed');
    for (const w of [...this.drainWaiters]) w(reason);
    // The peer sees what a socket peer sees when the other process vanishes: a reset.
    this.peer.fail(
      new LivemigError(ErrorCode.IO, 'Unable to read from socket: Connection reset by peer'),
    );
  }

  private fail(err: LivemigError): void {
    if (this.failure || this.destroyed) return;
    this.failure = err;
    for (const w of [...this.drainWaiters]) w(err);
    for (const f of this.errorCbs) f(err);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  /** One "read": fill the receive buffer from the inbox, hand it over, account the sender. */
  private deliver(): void {
    if (!this.readCb || this.paused || this.destroyed || this.failure) return;
    let n = 0;
    while (n < this.rx.length && this.inbox.length > 0) {
      const head = this.inbox[0]!;
      const k = Math.min(head.length, this.rx.length - n);
      this.rx.set(head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.inbox.shift();
      else this.inbox[0] = head.subarray(k);
    }
    if (n > 0) {
      this.bytesRead += n;
      this.peer.flushed(n);
      this.readCb(this.rx.subarray(0, n));
    }
    if (this.inbox.length > 0) this.schedule();
    else if (this.inboxEnd) {
      this.inboxEnd = false;
      for (const f of this.endCbs) f();
    }
  }

  private flushed(n: number): void {
    this.writableLength -= n;
    if (this.writableLength < this.hwm) {
      const ws = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const w of ws) w();
    }
  }
}

/** Two connected channels: what one writes, the other reads. */
export function memoryChannelPair(
  a: ChannelOptions = {},
  b: ChannelOptions = {},
): [MigrationChannel, MigrationChannel] {
  const x = new MemoryChannel(a);
  const y = new MemoryChannel(b);
  x.peer = y;
  y.peer = x;
  return [x, y];
}
