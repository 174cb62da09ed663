/**
 * MigrationChannel over Node streams: a Writable for our direction (a socket, a
 * pipe to a child, a file) and a ReadSource for the other. The writer path is
 * cork / write each chunk / uncork, which hands the whole batch to the stream's
 * _writev in one go (one writev syscall for sockets, fs.writev for files) without
 * copying; node-datapath.md measured it level with a hand-rolled _writev.
 */
import type { Writable } from 'node:stream';
import { ErrorCode, LivemigError } from '../errors.js';
import type { MigrationChannel } from './channel.js';
import { abortable, ioError } from './io-errors.js';

/** The reading half: delivers views into one reused buffer. */
export interface ReadSource {
  start(onData: (view: Uint8Array) => void, onEnd: () => void, onError: (e: unknown) => void): void;
  pause(): void;
  resume(): void;
  destroy(): void;
}

export interface StreamChannelParts {
  kind: string;
  writer?: Writable;
  reader?: ReadSource;
  /** QEMU's "<what>" for a failure of the writer stream, e.g. "Unable to write to socket". */
  writerErrorText: (e: unknown) => string;
  readErrorText: string;
  /**
   * The writer may close without an 'error' while unfinished, and that means
   * the peer is gone: Node destroys a child's stdin when the child exits, so a
   * command that quits early may never produce EPIPE. Counted as EPIPE, or a
   * writer waiting to drain would wait forever.
   */
  silentCloseIsBrokenPipe?: boolean;
  /** Extra work after the writer finished (e.g. wait for the child to exit). */
  afterShutdown?: () => Promise<void>;
  /** Extra teardown (e.g. kill the child). */
  onDestroy?: () => void;
}

type Listener<T> = (v: T) => void;

export class StreamChannel implements MigrationChannel {
  readonly kind: string;
  readonly readable: boolean;
  readonly writable: boolean;
  bytesQueued = 0;
  bytesRead = 0;
  private readonly parts: StreamChannelParts;
  private failure: LivemigError | undefined;
  private destroyed = false;
  private ended = false;
  private readCb: ((v: Uint8Array) => void) | undefined;
  private endCbs: Listener<void>[] = [];
  private errorCbs: Listener<LivemigError>[] = [];
  /** Pending waitDrain/shutdown calls; they also hear about destroy(). */
  private waiters = new Set<Listener<LivemigError>>();
  private peerEnded = false;

  constructor(parts: StreamChannelParts) {
    this.parts = parts;
    this.kind = parts.kind;
    this.readable = parts.reader !== undefined;
    this.writable = parts.writer !== undefined;
    // A listener must exist from the start: an 'error' without one would crash the process.
    parts.writer?.on('error', (e) => this.fail(ioError(parts.writerErrorText(e), e)));
    if (parts.silentCloseIsBrokenPipe) {
      const w = parts.writer;
      w?.on('close', () => {
        if (this.failure || this.destroyed || w.writableFinished) return;
        const e = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        this.fail(ioError(parts.writerErrorText(e), e));
      });
    }
  }

  get writableLength(): number {
    return this.parts.writer?.writableLength ?? 0;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const w = this.parts.writer;
    if (!w || this.failure || this.destroyed || this.ended) return false;
    let ok = true;
    if (chunks.length === 1) {
      ok = w.write(chunks[0]!);
      this.bytesQueued += chunks[0]!.byteLength;
    } else {
      w.cork();
      for (const c of chunks) {
        ok = w.write(c);
        this.bytesQueued += c.byteLength;
      }
      w.uncork();
    }
    return ok;
  }

  waitDrain(signal?: AbortSignal): Promise<void> {
    const w = this.parts.writer;
    if (this.failure) return Promise.reject(this.failure);
    if (this.destroyed) return Promise.reject(this.closedError());
    if (!w || !w.writableNeedDrain) return Promise.resolve();
    return abortable<void>('waiting for the migration channel to drain', signal, (ok, bad) => {
      const onDrain = (): void => ok();
      const onFail = (e: LivemigError): void => bad(e);
      w.on('drain', onDrain);
      this.waiters.add(onFail);
      return () => {
        w.off('drain', onDrain);
        this.waiters.delete(onFail);
      };
    });
  }

  onRead(cb: (view: Uint8Array) => void): void {
    const r = this.parts.reader;
    if (!r) throw new LivemigError(ErrorCode.UNSUPPORTED, `${this.kind} channel has no read side`);
    if (this.readCb) throw new LivemigError(ErrorCode.BAD_STATE, 'onRead already installed');
    this.readCb = cb;
    r.start(
      (view) => {
        this.bytesRead += view.byteLength;
        cb(view);
      },
      () => {
        this.peerEnded = true;
        if (!this.failure && !this.destroyed) for (const f of this.endCbs) f();
      },
      (e) => this.fail(ioError(this.parts.readErrorText, e)),
    );
  }

  pauseReading(): void {
    this.parts.reader?.pause();
  }

  resumeReading(): void {
    this.parts.reader?.resume();
  }

  onEnd(cb: () => void): void {
    this.endCbs.push(cb);
    if (this.peerEnded && !this.failure) queueMicrotask(cb);
  }

  onError(cb: (err: LivemigError) => void): void {
    this.errorCbs.push(cb);
    const f = this.failure;
    if (f) queueMicrotask(() => cb(f));
  }

  async shutdown(signal?: AbortSignal): Promise<void> {
    const w = this.parts.writer;
    if (this.failure) throw this.failure;
    if (this.destroyed) throw this.closedError();
    if (w && !this.ended) {
      this.ended = true;
      await abortable<void>('shutting down the migration channel', signal, (ok, bad) => {
        const onFinish = (): void => ok();
        const onFail = (e: LivemigError): void => bad(e);
        w.once('finish', onFinish);
        this.waiters.add(onFail);
        w.end();
        return () => {
          w.off('finish', onFinish);
          this.waiters.delete(onFail);
        };
      });
    }
    await this.parts.afterShutdown?.();
    if (this.failure) throw this.failure;
  }

  destroy(err?: LivemigError): void {
    if (this.destroyed) return;
    // Recorded before tearing down so that waiters reject with the caller's reason.
    if (err && !this.failure) this.failure = err;
    this.destroyed = true;
    const reason = this.failure ?? this.closedError();
    for (const f of [...this.waiters]) f(reason);
    this.parts.reader?.destroy();
    this.parts.writer?.destroy();
    this.parts.onDestroy?.();
  }

  private closedError(): LivemigError {
    return new LivemigError(ErrorCode.IO, `${this.kind} migration channel closed`);
  }

  private fail(err: LivemigError): void {
    if (this.failure || this.destroyed) return;
    this.failure = err;
    for (const f of [...this.waiters]) f(err);
    for (const f of this.errorCbs) f(err);
    this.parts.reader?.destroy();
    this.parts.writer?.destroy();
    this.parts.onDestroy?.();
  }
}
