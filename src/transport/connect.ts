/**
 * The source side: open the channel a `migrate` URI names, failing with QEMU's
 * texts ("Failed to connect to '127.0.0.1:1': Connection refused"). QEMU reports
 * these asynchronously, after `migrate` has returned; so does this promise.
 */
import net from 'node:net';
import { ErrorCode, LivemigError } from '../errors.js';
import type { ChannelOptions, MigrationChannel } from './channel.js';
import { openExecChannel } from './exec.js';
import { openFileWriter } from './file.js';
import { abortable, ioError } from './io-errors.js';
import { SocketReader, socketChannel, socketWriteOptions } from './socket.js';
import type { MigrationUri } from './uri.js';
import { parseMigrateUri } from './uri.js';

export async function connectOutgoing(
  uri: string | MigrationUri,
  signal?: AbortSignal,
  opts: ChannelOptions = {},
): Promise<MigrationChannel> {
  const u = typeof uri === 'string' ? parseMigrateUri(uri) : uri;
  switch (u.kind) {
    case 'tcp': {
      const port = checkPort(u.host, u.port);
      return connectSocket('tcp', { host: u.host, port }, `${u.host}:${u.port}`, signal, opts);
    }
    case 'unix':
      return connectSocket('unix', { path: u.path }, u.path, signal, opts);
    case 'exec':
      return openExecChannel(u.command, signal, opts);
    case 'file':
      return openFileWriter(u.path, u.offset, signal, opts);
    case 'fd':
      throw fdUnsupported(u.name);
  }
}

export function fdUnsupported(name: string): LivemigError {
  return new LivemigError(
    ErrorCode.UNSUPPORTED,
    `fd:${name}: passing file descriptors is not supported by livemig; use tcp:, unix:, exec: or file:`,
  );
}

/**
 * QEMU hands host and port to getaddrinfo, which rejects what is not a numeric
 * service (livemig does not look up service names).
 */
export function checkPort(host: string, port: string): number {
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n <= 65535)) {
    throw new LivemigError(
      ErrorCode.IO,
      `address resolution failed for ${host}:${port}: Servname not supported for ai_socktype`,
    );
  }
  return n;
}

function connectSocket(
  kind: 'tcp' | 'unix',
  target: { host: string; port: number } | { path: string },
  name: string,
  signal: AbortSignal | undefined,
  opts: ChannelOptions,
): Promise<MigrationChannel> {
  return abortable<MigrationChannel>(`connecting to '${name}'`, signal, (ok, bad) => {
    const reader = new SocketReader(opts.readBuffer);
    const sock = net.connect({
      ...target,
      onread: reader.onread,
      allowHalfOpen: true,
      ...socketWriteOptions(opts),
    } as net.NetConnectOpts);
    const onConnect = (): void => ok(socketChannel(kind, sock, reader, true));
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
        const [h, p] = 'host' in target ? [target.host, target.port] : [name, ''];
        bad(
          new LivemigError(
            ErrorCode.IO,
            `address resolution failed for ${h}:${p}: Name or service not known`,
            { cause: e },
          ),
        );
      } else bad(ioError(`Failed to connect to '${name}'`, e));
    };
    sock.once('connect', onConnect);
    sock.once('error', onError);
    return () => {
      sock.off('connect', onConnect);
      sock.off('error', onError);
      if (signal?.aborted) sock.destroy();
    };
  });
}
