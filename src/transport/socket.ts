/**
 * Socket channels (tcp and unix). Reads go through a static `onread` buffer
 * instead of 'data' events: node-datapath.md measured the receiver as the
 * bottleneck and this as worth 2.4x, because 'data' allocates a fresh 64 KiB
 * Buffer per read. Node offers `onread` only when it creates the socket, so an
 * accepted connection is adopted into a new net.Socket around the same handle;
 * that relies on the private `_handle`, hence the plain 'data' fallback.
 */
import net from 'node:net';
import type { ChannelOptions } from './channel.js';
import { DEFAULT_HIGH_WATER_MARK, DEFAULT_READ_BUFFER } from './channel.js';
import type { ReadSource } from './stream-channel.js';
import { StreamChannel } from './stream-channel.js';

/** Reader state shared between the onread hook (fixed at socket creation) and the channel. */
export class SocketReader implements ReadSource {
  readonly buffer: Uint8Array;
  private socket: net.Socket | undefined;
  private sink: ((view: Uint8Array) => void) | undefined;
  private started = false;
  private paused = false;
  /** True when the socket reads into `buffer`; false on the 'data' fallback. */
  usesOnread = false;

  constructor(buffer?: Uint8Array) {
    this.buffer = buffer ?? new Uint8Array(DEFAULT_READ_BUFFER);
  }

  /** The `onread` option for net.Socket / net.connect. */
  get onread(): { buffer: Uint8Array; callback: (n: number, buf: Uint8Array) => boolean } {
    return {
      buffer: this.buffer,
      callback: (n, buf) => {
        this.sink?.(buf.subarray(0, n));
        // Returning false stops the handle. Needed because Readable.resume() defers a
        // read(0) to the next tick that restarts reading even after a pause().
        return !this.paused;
      },
    };
  }

  attach(socket: net.Socket, usesOnread: boolean): void {
    this.socket = socket;
    this.usesOnread = usesOnread;
    // Nothing may be read before the engine installs its reader.
    socket.pause();
  }

  start(onData: (v: Uint8Array) => void, onEnd: () => void): void {
    const s = this.socket!;
    this.sink = onData;
    this.started = true;
    if (!this.usesOnread) s.on('data', (b: Buffer) => onData(b));
    s.once('end', onEnd);
    s.resume();
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.started) this.socket?.resume();
  }

  destroy(): void {
    this.socket?.destroy();
  }
}

export function socketWriteOptions(opts: ChannelOptions): { writableHighWaterMark: number } {
  return { writableHighWaterMark: opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK };
}

/** Wraps a connected socket whose reads the given reader already controls. */
export function socketChannel(
  kind: 'tcp' | 'unix',
  socket: net.Socket,
  reader: SocketReader,
  usesOnread: boolean,
): StreamChannel {
  reader.attach(socket, usesOnread);
  socket.setNoDelay?.(true);
  return new StreamChannel({
    kind,
    writer: socket,
    reader,
    // One socket carries both directions, so its 'error' says which side failed.
    writerErrorText: (e) =>
      (e as { syscall?: string }).syscall === 'read'
        ? 'Unable to read from socket'
        : 'Unable to write to socket',
    readErrorText: 'Unable to read from socket',
  });
}

/**
 * Re-creates an accepted (paused) connection as a socket that reads into
 * `reader.buffer`. Falls back to the accepted socket itself, with 'data'
 * events, if this Node has no `_handle` to adopt.
 */
export function adoptAccepted(
  accepted: net.Socket,
  reader: SocketReader,
  opts: ChannelOptions,
): { socket: net.Socket; usesOnread: boolean } {
  const handle = (accepted as unknown as { _handle?: unknown })._handle;
  if (handle === null || typeof handle !== 'object') return { socket: accepted, usesOnread: false };
  try {
    const s = new net.Socket({
      handle: handle as never,
      onread: reader.onread,
      allowHalfOpen: true,
      pauseOnCreate: true,
      ...socketWriteOptions(opts),
    } as net.SocketConstructorOpts);
    (accepted as unknown as { _handle: unknown })._handle = null;
    return { socket: s, usesOnread: true };
  } catch {
    return { socket: accepted, usesOnread: false };
  }
}
