/**
 * `exec:CMD` channels. QEMU runs `/bin/sh -c CMD` with the child's stdin and
 * stdout as one duplex channel: the source writes the stream to stdin and the
 * destination reads it from stdout; the opposite pipe is the (rarely useful)
 * return path. The child's stderr is inherited, as in QEMU.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ErrorCode, LivemigError } from '../errors.js';
import type { ChannelOptions, MigrationChannel } from './channel.js';
import { DEFAULT_READ_BUFFER } from './channel.js';
import { abortable, ioError } from './io-errors.js';
import type { ReadSource } from './stream-channel.js';
import { StreamChannel } from './stream-channel.js';

/**
 * Reads a pipe with 'data' events, copying into the static buffer so that the
 * view contract (one reused buffer) is the same as for sockets.
 */
class PipeReader implements ReadSource {
  constructor(
    private readonly stream: Readable,
    private readonly buffer: Uint8Array,
  ) {
    stream.pause();
  }
  start(onData: (v: Uint8Array) => void, onEnd: () => void, onError: (e: unknown) => void): void {
    const buf = this.buffer;
    this.stream.on('data', (b: Buffer) => {
      for (let off = 0; off < b.length; off += buf.length) {
        const n = Math.min(buf.length, b.length - off);
        buf.set(b.subarray(off, off + n));
        onData(buf.subarray(0, n));
      }
    });
    this.stream.once('end', onEnd);
    this.stream.on('error', onError);
    this.stream.resume();
  }
  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }
  destroy(): void {
    this.stream.destroy();
  }
}

function exitText(code: number | null, sig: NodeJS.Signals | null): string {
  return sig ? `Process killed by signal ${sig}` : `Process exited with status ${code}`;
}

/** Spawns the command and resolves once it runs (QEMU fails `migrate` if spawning fails). */
export function openExecChannel(
  command: string,
  signal: AbortSignal | undefined,
  opts: ChannelOptions,
): Promise<MigrationChannel> {
  return abortable<MigrationChannel>('starting the migration command', signal, (ok, bad) => {
    const child: ChildProcess = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let exited: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    const exit = new Promise<void>((res) =>
      child.once('exit', (code, sig) => {
        exited = { code, sig };
        res();
      }),
    );
    // An 'error' without a listener would crash the process; stdin and stdout get theirs in the channel.
    child.on('error', () => {});
    const onSpawn = (): void => {
      const channel = new StreamChannel({
        kind: 'exec',
        writer: child.stdin!,
        reader: new PipeReader(
          child.stdout!,
          opts.readBuffer ?? new Uint8Array(DEFAULT_READ_BUFFER),
        ),
        writerErrorText: () => 'Unable to write to command',
        silentCloseIsBrokenPipe: true,
        readErrorText: 'Unable to read from command',
        // Like QEMU's close of a command channel: the stream is only done when the child is.
        afterShutdown: async () => {
          await exit;
          if (exited && (exited.code !== 0 || exited.sig)) {
            throw new LivemigError(ErrorCode.IO, exitText(exited.code, exited.sig));
          }
        },
        onDestroy: () => {
          if (!exited) child.kill('SIGTERM');
        },
      });
      ok(channel);
    };
    const onError = (e: Error): void => bad(ioError('Unable to spawn command', e));
    child.once('spawn', onSpawn);
    child.once('error', onError);
    return () => {
      child.off('spawn', onSpawn);
      child.off('error', onError);
      if (!exited && !child.stdin?.writableFinished) {
        // Aborted (or settled): only an abort leaves the child without an owner.
        if (signal?.aborted) child.kill('SIGTERM');
      }
    };
  });
}
