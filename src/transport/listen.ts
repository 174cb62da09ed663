/**
 * The destination side: `migrate-incoming URI` / `-incoming URI`. Binding happens
 * before `listenIncoming` resolves, so a busy port fails the command itself with
 * QEMU's text, as in QEMU. Like QEMU without multifd, the listener takes one
 * connection and then stops listening.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, LivemigError } from '../errors.js';
import type { ChannelOptions, MigrationChannel } from './channel.js';
import { checkPort, fdUnsupported } from './connect.js';
import { openExecChannel } from './exec.js';
import { openFileReader } from './file.js';
import { abortable, ioError } from './io-errors.js';
import { SocketReader, adoptAccepted, socketChannel } from './socket.js';
import type { MigrationUri } from './uri.js';
import { parseIncomingUri } from './uri.js';

/** Where the destination listens, in the shape of query-migrate's `socket-address`. */
export type ListenAddress =
  | { type: 'inet'; host: string; port: string; ipv4?: boolean; ipv6?: boolean }
  | { type: 'unix'; path: string };

export interface IncomingListener {
  /** The bound address (with the real port when the URI asked for port 0); none for exec:/file:. */
  readonly address: ListenAddress | undefined;
  /** The first incoming connection as a channel. Abort leaves the listener open. */
  accept(signal?: AbortSignal): Promise<MigrationChannel>;
  /** Stops listening; a channel already accepted is not affected. */
  close(): void;
}

export async function listenIncoming(
  uri: string | MigrationUri,
  signal?: AbortSignal,
  opts: ChannelOptions = {},
): Promise<IncomingListener> {
  const u = typeof uri === 'string' ? parseIncomingUri(uri) : uri;
  switch (u.kind) {
    case 'tcp':
      return listenSocket(
        'tcp',
        { host: u.host || undefined, port: checkPort(u.host, u.port) },
        u.host,
        signal,
        opts,
      );
    case 'unix':
      await unlinkStale(u.path);
      return listenSocket('unix', { path: u.path }, u.path, signal, opts);
    case 'exec':
      return ready(await openExecChannel(u.command, signal, opts));
    case 'file':
      return ready(await openFileReader(u.path, u.offset, signal, opts));
    case 'fd':
      throw fdUnsupported(u.name);
  }
}

/** QEMU removes whatever is at a unix socket path before binding. */
async function unlinkStale(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw ioError(`Failed to unlink socket ${path}`, e);
    }
  }
}

/** exec: and file: have their one channel at once. */
function ready(channel: MigrationChannel): IncomingListener {
  let taken = false;
  return {
    address: undefined,
    accept: async () => {
      if (taken) throw new LivemigError(ErrorCode.BAD_STATE, 'incoming channel already taken');
      taken = true;
      return channel;
    },
    close: () => {
      if (!taken) channel.destroy();
    },
  };
}

function bindError(kind: 'tcp' | 'unix', name: string, e: NodeJS.ErrnoException): LivemigError {
  if (kind === 'unix') {
    // libuv reports a missing directory as EACCES; bind(2) itself says ENOENT.
    const missing = e.code === 'EACCES' && !existsSync(dirname(name));
    return ioError(`Failed to bind socket to ${name}`, missing ? { code: 'ENOENT' } : e);
  }
  if (e.code === 'EADDRINUSE') return ioError('Failed to find an available port', e);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return new LivemigError(
      ErrorCode.IO,
      `address resolution failed for ${name}: Name or service not known`,
    );
  }
  return ioError('Failed to bind socket', e);
}

async function listenSocket(
  kind: 'tcp' | 'unix',
  where: { host?: string | undefined; port: number } | { path: string },
  name: string,
  signal: AbortSignal | undefined,
  opts: ChannelOptions,
): Promise<IncomingListener> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  const pending: net.Socket[] = [];
  let waiter: ((s: net.Socket) => void) | undefined;
  server.on('connection', (c) => {
    // One migration connection; later ones find the port closed, as with QEMU.
    server.close();
    if (waiter) return waiter(c);
    // Paused, so it cannot fail before accept() except by a reset; keep that from crashing us.
    c.on('error', () => {});
    pending.push(c);
  });
  await abortable<void>(`listening on '${name}'`, signal, (ok, bad) => {
    const onError = (e: NodeJS.ErrnoException): void => bad(bindError(kind, name, e));
    server.once('error', onError);
    server.listen({ ...where, backlog: 1 }, () => ok());
    return () => {
      server.off('error', onError);
      if (signal?.aborted) server.close();
    };
  });
  server.on('error', () => {});
  const a = server.address();
  const address: ListenAddress =
    typeof a === 'object' && a
      ? {
          type: 'inet',
          host: a.address,
          port: String(a.port),
          ...(a.family === 'IPv6' ? { ipv6: true } : { ipv4: true }),
        }
      : { type: 'unix', path: (where as { path: string }).path };
  let taken = false;
  return {
    address,
    accept(sig?: AbortSignal): Promise<MigrationChannel> {
      if (taken)
        return Promise.reject(
          new LivemigError(ErrorCode.BAD_STATE, 'incoming connection already accepted'),
        );
      return abortable<MigrationChannel>('waiting for the incoming migration', sig, (ok) => {
        const take = (c: net.Socket): void => {
          waiter = undefined;
          taken = true;
          const reader = new SocketReader(opts.readBuffer);
          const { socket, usesOnread } = adoptAccepted(c, reader, opts);
          ok(socketChannel(kind, socket, reader, usesOnread));
        };
        const first = pending.shift();
        if (first) take(first);
        else waiter = take;
        return () => {
          if (waiter === take) waiter = undefined;
        };
      });
    },
    close: () => {
      server.close();
      for (const c of pending.splice(0)) c.destroy();
    },
  };
}
