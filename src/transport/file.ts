/**
 * `file:PATH[,offset=N]` channels (QEMU 8.2 semantics). The source creates or
 * truncates the file (mode 0600) and writes the stream from `offset`; the
 * destination reads it from `offset` to the end. A file has no return path.
 */
import fs from 'node:fs';
import type { ChannelOptions, MigrationChannel } from './channel.js';
import { DEFAULT_HIGH_WATER_MARK, DEFAULT_READ_BUFFER } from './channel.js';
import { abortable, ioError } from './io-errors.js';
import type { ReadSource } from './stream-channel.js';
import { StreamChannel } from './stream-channel.js';

export function openFileWriter(
  path: string,
  offset: number,
  signal: AbortSignal | undefined,
  opts: ChannelOptions,
): Promise<MigrationChannel> {
  return abortable<MigrationChannel>(`opening ${path}`, signal, (ok, bad) => {
    // QEMU opens with O_TRUNC even with an offset, so bytes before it read back as zeros.
    const ws = fs.createWriteStream(path, {
      flags: 'w',
      mode: 0o600,
      start: offset,
      highWaterMark: opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    });
    const onOpen = (): void => {
      ws.off('error', onError);
      ok(
        new StreamChannel({
          kind: 'file',
          writer: ws,
          writerErrorText: () => 'Unable to write to file',
          readErrorText: 'Unable to read from file',
          // 'finish' only means flushed; the data is in the file once the fd is closed.
          afterShutdown: () =>
            new Promise<void>((res) => (ws.closed ? res() : ws.once('close', () => res()))),
        }),
      );
    };
    const onError = (e: Error): void => bad(ioError(`Unable to open ${path}`, e));
    ws.once('ready', onOpen);
    ws.once('error', onError);
    return () => {
      ws.off('ready', onOpen);
      ws.off('error', onError);
      if (signal?.aborted) ws.destroy();
    };
  });
}

/** Reads the file with positioned reads straight into the static buffer. */
class FileReader implements ReadSource {
  private paused = false;
  private busy = false;
  private closed = false;
  private onData: ((v: Uint8Array) => void) | undefined;
  private onEnd: (() => void) | undefined;
  private onError: ((e: unknown) => void) | undefined;
  constructor(
    private readonly fd: number,
    private pos: number,
    private readonly buffer: Uint8Array,
  ) {}
  start(onData: (v: Uint8Array) => void, onEnd: () => void, onError: (e: unknown) => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    this.onError = onError;
    this.pump();
  }
  private pump(): void {
    if (this.busy || this.paused || this.closed) return;
    this.busy = true;
    fs.read(this.fd, this.buffer, 0, this.buffer.byteLength, this.pos, (err, n) => {
      this.busy = false;
      if (this.closed) return fs.close(this.fd, () => {});
      if (err) return this.onError!(err);
      if (n === 0) {
        this.destroy();
        return this.onEnd!();
      }
      this.pos += n;
      this.onData!(this.buffer.subarray(0, n));
      this.pump();
    });
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    if (this.onData) this.pump();
  }
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    // A read in flight still owns the fd; its callback closes it.
    if (!this.busy) fs.close(this.fd, () => {});
  }
}

export function openFileReader(
  path: string,
  offset: number,
  signal: AbortSignal | undefined,
  opts: ChannelOptions,
): Promise<MigrationChannel> {
  return abortable<MigrationChannel>(`opening ${path}`, signal, (ok, bad) => {
    let aborted = false;
    fs.open(path, 'r', (err, fd) => {
      if (aborted) {
        if (!err) fs.close(fd, () => {});
        return;
      }
      if (err) return bad(ioError(`Unable to open ${path}`, err));
      const buf = opts.readBuffer ?? new Uint8Array(DEFAULT_READ_BUFFER);
      ok(
        new StreamChannel({
          kind: 'file',
          reader: new FileReader(fd, offset, buf),
          writerErrorText: () => 'Unable to write to file',
          readErrorText: 'Unable to read from file',
        }),
      );
    });
    return () => {
      if (signal?.aborted) aborted = true;
    };
  });
}
