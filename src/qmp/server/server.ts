/**
 * A QMP server with QEMU 8.1's wire behaviour, on unix sockets and TCP.
 * Owns qmp_capabilities, query-version and query-commands; everything else
 * comes from the CommandRegistry it is given.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { MemberOrder } from '../json/writer.js';
import { QMP_CAPABILITIES, queryCommandsCommand, queryVersionCommand } from './builtins.js';
import type { QmpVersion } from './builtins.js';
import { QmpConnection } from './connection.js';
import type { CommandRegistry, RegisteredCommand } from './registry.js';

export interface QmpServerOptions {
  version: QmpVersion;
  registry: CommandRegistry;
  /** Called for socket errors and dropped clients; the server carries on. */
  onClientError?: (err: Error, connectionId: number) => void;
  /** Offer the "oob" capability in the greeting (QEMU does with an I/O thread). Default true. */
  offerOob?: boolean;
  /** Member order of everything written. Default 'qemu' (QEMU's QDict order). */
  memberOrder?: MemberOrder;
  /** Unsent output above which a client that does not read is dropped. Default 64 MiB. */
  maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

export class QmpServer {
  private readonly listeners: net.Server[] = [];
  private readonly unixPaths: string[] = [];
  private readonly connections = new Set<QmpConnection>();
  private readonly builtins = new Map<string, RegisteredCommand>();
  private nextId = 1;

  constructor(private readonly opts: QmpServerOptions) {
    const own = [
      queryVersionCommand(opts.version),
      queryCommandsCommand(() => this.commandNames()),
    ];
    for (const cmd of own) this.builtins.set(cmd.name, cmd);
    for (const name of [QMP_CAPABILITIES, ...this.builtins.keys()]) {
      if (opts.registry.has(name)) throw new Error(`command ${name} is built into QmpServer`);
    }
  }

  /** Every command name, built-ins first, in definition order. */
  private commandNames(): string[] {
    return [QMP_CAPABILITIES, ...this.builtins.keys(), ...this.opts.registry.names()];
  }

  private find(name: string): RegisteredCommand | undefined {
    return this.builtins.get(name) ?? this.opts.registry.get(name);
  }

  get clientCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    const conn = new QmpConnection({
      id: this.nextId++,
      socket,
      version: this.opts.version,
      offerOob: this.opts.offerOob ?? true,
      memberOrder: this.opts.memberOrder ?? 'qemu',
      maxOutputBytes: this.opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
      find: (name) => this.find(name),
      broadcastEvent: (name, data) => this.emitEvent(name, data),
      onError: (err, id) => this.opts.onClientError?.(err, id),
      onClose: (c) => this.connections.delete(c),
    });
    this.connections.add(conn);
  }

  private newListener(): net.Server {
    const srv = net.createServer((socket) => this.accept(socket));
    this.listeners.push(srv);
    return srv;
  }

  /** Listens on a unix socket created with mode 0600, replacing a stale socket file. */
  async listenUnix(path: string): Promise<void> {
    try {
      if ((await lstat(path)).isSocket()) await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const srv = this.newListener();
    // Narrow the umask around bind so the socket is never reachable by others.
    let oldMask: number | undefined;
    try {
      oldMask = process.umask(0o177);
    } catch {
      oldMask = undefined; // worker threads cannot change the umask; chmod below
    }
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(path, () => {
          srv.off('error', reject);
          resolve();
        });
        if (oldMask !== undefined) process.umask(oldMask);
        oldMask = undefined;
      });
    } finally {
      if (oldMask !== undefined) process.umask(oldMask);
    }
    await chmod(path, 0o600);
    this.unixPaths.push(path);
  }

  /** Listens on TCP; returns the bound port (useful with port 0). */
  async listenTcp(host = '127.0.0.1', port = 0): Promise<number> {
    const srv = this.newListener();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const addr = srv.address();
    if (addr === null || typeof addr === 'string') throw new Error('TCP listener has no port');
    return addr.port;
  }

  /** Sends an event to every client that finished capabilities negotiation. */
  emitEvent(name: string, data?: unknown): void {
    for (const conn of this.connections) conn.sendEvent(name, data);
  }

  async close(): Promise<void> {
    const closing = this.listeners.map(
      (srv) => new Promise<void>((resolve) => srv.close(() => resolve())),
    );
    for (const conn of [...this.connections]) conn.close();
    await Promise.all(closing);
    this.listeners.length = 0;
    for (const path of this.unixPaths.splice(0)) {
      await unlink(path).catch(() => undefined);
    }
  }
}
