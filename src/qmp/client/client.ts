/**
 * A QMP client for QEMU and livemig. One socket at a time; commands carry ids
 * ("livemig-N") and replies are matched by id, so several commands may be in
 * flight and replies may come in any order.
 *
 * Protocol failures follow QEMU's python QMPClient: a reply whose id we do not
 * know (e.g. one that arrives after its command timed out) is dropped and
 * counted; a reply *without* an id is QEMU's answer to input it could not parse,
 * which belongs to no command and means the stream is out of step, so the
 * connection is torn down and every pending command fails with QMP_CONNECTION.
 * Lines that are not JSON objects, or overlong lines, are treated the same way.
 */
import net from 'node:net';
import { formatQmpAddress, parseQmpAddress, type QmpAddress } from './address.js';
import { bounded, type Settle, type WaitOptions } from './cancel.js';
import type { QmpArgs, QmpCommandName, QmpReturn } from './commands.js';
import { QmpConnectionError, QmpError } from './errors.js';
import { EventHub, type EventPredicate } from './events.js';
import { parseJson, stringifyJson } from './json.js';
import { LineSplitter } from './lines.js';
import type { QmpEvent, QmpGreeting } from './types.js';

export interface QmpConnectOptions extends WaitOptions {
  /** Bounds connecting, the greeting and negotiation together (default 10 s). */
  timeoutMs?: number;
  /** Send qmp_capabilities after the greeting (default true). */
  negotiate?: boolean;
  /** Ask for out-of-band execution while negotiating (default false). */
  enableOob?: boolean;
  /** Default timeout for execute() when the call gives none (default: none). */
  commandTimeoutMs?: number;
  /** Longest accepted server message in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /** Events kept for later while nobody consumes them (default 1000). */
  eventBufferSize?: number;
}

export interface QmpExecOptions extends WaitOptions {
  /** Send as `exec-oob` (needs enableOob and a command that allows it). */
  oob?: boolean;
}

/** Arguments may be left out exactly when the command has no required ones. */
export type QmpExecRest<C extends QmpCommandName> =
  Record<never, never> extends QmpArgs<C>
    ? [args?: QmpArgs<C>, opts?: QmpExecOptions]
    : [args: QmpArgs<C>, opts?: QmpExecOptions];

interface Pending {
  command: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Message = Record<string, unknown>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function isObject(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class QmpClient {
  readonly address: QmpAddress;
  /** Replies dropped because their id matched no pending command. */
  droppedReplies = 0;
  private sock: net.Socket | undefined;
  private greetingValue: QmpGreeting | undefined;
  /** The connect or greeting step in progress: a socket failure must reject it at once. */
  private step: Settle<never> | undefined;
  private greetingWaiter: ((g: QmpGreeting) => void) | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly hub: EventHub;
  private nextId = 0;
  private negotiatedFlag = false;

  private constructor(
    address: QmpAddress,
    private readonly opts: QmpConnectOptions,
  ) {
    this.address = address;
    this.hub = new EventHub(opts.eventBufferSize ?? 1000);
  }

  static async connect(
    address: QmpAddress | string,
    opts: QmpConnectOptions = {},
  ): Promise<QmpClient> {
    const client = new QmpClient(parseQmpAddress(address), opts);
    await client.open(opts);
    return client;
  }

  /** The server's greeting from the current connection. */
  get greeting(): QmpGreeting {
    if (this.greetingValue === undefined) throw new QmpConnectionError('not connected');
    return this.greetingValue;
  }

  get connected(): boolean {
    return this.sock !== undefined;
  }

  /** True once qmp_capabilities succeeded on the current connection. */
  get negotiated(): boolean {
    return this.negotiatedFlag;
  }

  /** Events discarded because a buffer was full (see events.ts). */
  get droppedEvents(): number {
    return this.hub.dropped;
  }

  /** Closes the current connection (if any), then connects, greets and negotiates again. */
  async reconnect(opts: WaitOptions = {}): Promise<void> {
    this.teardown(new QmpConnectionError('connection reset by reconnect()'));
    await this.open({ ...this.opts, ...opts });
  }

  async close(): Promise<void> {
    const sock = this.sock;
    this.teardown(new QmpConnectionError('connection closed by client'));
    if (sock !== undefined && !sock.closed) await new Promise((r) => sock.once('close', r));
  }

  execute<C extends QmpCommandName>(cmd: C, ...rest: QmpExecRest<C>): Promise<QmpReturn<C>> {
    const [args, opts] = rest;
    return this.executeRaw(cmd, args as Record<string, unknown> | undefined, opts) as Promise<
      QmpReturn<C>
    >;
  }

  /** Untyped execute: the `return` value as parsed (bigints beyond 2^53). */
  executeRaw(
    name: string,
    args?: Record<string, unknown>,
    opts: QmpExecOptions = {},
  ): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs;
    return bounded<unknown>(`QMP command ${name}`, { timeoutMs, signal: opts.signal }, (settle) => {
      const sock = this.sock;
      if (sock === undefined) {
        settle.reject(new QmpConnectionError(`cannot run ${name}: not connected`));
        return () => {};
      }
      const id = `livemig-${++this.nextId}`;
      const msg: Message = { [opts.oob ? 'exec-oob' : 'execute']: name };
      if (args !== undefined) msg.arguments = args;
      msg.id = id;
      let line: string;
      try {
        line = stringifyJson(msg) + '\n';
      } catch (e) {
        settle.reject(e);
        return () => {};
      }
      this.pending.set(id, { command: name, resolve: settle.resolve, reject: settle.reject });
      sock.write(line);
      return () => this.pending.delete(id);
    });
  }

  /** All events, from the backlog on, until the connection ends (see events.ts). */
  events(opts: { signal?: AbortSignal } = {}): AsyncIterableIterator<QmpEvent> {
    return this.hub.iterate(opts.signal);
  }

  waitEvent(name: string, predicate?: EventPredicate, opts: WaitOptions = {}): Promise<QmpEvent> {
    return this.hub.wait(name, predicate, opts);
  }

  /** Removes and returns the events buffered while nobody consumed them. */
  drainEvents(): QmpEvent[] {
    return this.hub.drain();
  }

  private async open(opts: QmpConnectOptions): Promise<void> {
    const started = Date.now();
    const total = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const left = (): WaitOptions => ({
      timeoutMs: Math.max(0, total - (Date.now() - started)),
      signal: opts.signal,
    });
    const where = formatQmpAddress(this.address);
    try {
      await bounded<void>(`connecting to ${where}`, left(), (settle) => {
        this.step = settle as Settle<never>;
        const sock = this.attach();
        sock.once('connect', () => settle.resolve());
        return () => this.teardown(new QmpConnectionError(`connecting to ${where} interrupted`));
      });
      await bounded<QmpGreeting>(`greeting from ${where}`, left(), (settle) => {
        if (this.greetingValue !== undefined) settle.resolve(this.greetingValue);
        else if (this.sock === undefined) settle.reject(new QmpConnectionError('not connected'));
        else {
          this.step = settle as Settle<never>;
          this.greetingWaiter = settle.resolve;
        }
        return () => {
          this.greetingWaiter = undefined;
        };
      });
      this.step = undefined;
      if (opts.negotiate ?? true) {
        const caps = opts.enableOob ? { enable: ['oob' as const] } : undefined;
        await this.execute('qmp_capabilities', caps, left());
        this.negotiatedFlag = true;
      }
    } catch (e) {
      this.teardown(e);
      throw e;
    }
  }

  /** Opens a socket wired to this client; events from a replaced socket are ignored. */
  private attach(): net.Socket {
    const a = this.address;
    const sock = 'path' in a ? net.createConnection(a.path) : net.createConnection(a.port, a.host);
    const splitter = new LineSplitter(this.opts.maxLineBytes ?? 64 * 1024 * 1024);
    this.sock = sock;
    this.greetingValue = undefined;
    this.negotiatedFlag = false;
    this.hub.open();
    const where = formatQmpAddress(a);
    let established = false;
    sock.once('connect', () => (established = true));
    sock.on('data', (chunk: Buffer) => {
      if (this.sock !== sock) return;
      try {
        for (const line of splitter.push(chunk)) {
          this.onLine(line);
          if (this.sock !== sock) return; // torn down by a protocol error
        }
      } catch (e) {
        this.fail(`protocol error from ${where}: ${(e as Error).message}`, e);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (this.sock !== sock) return;
      const msg = !established
        ? `cannot connect to ${where}: ${e.code ?? e.message}`
        : `connection to ${where} failed: ${e.code ?? e.message}`;
      this.fail(msg, e);
    });
    sock.on('close', () => {
      if (this.sock !== sock) return;
      const partial = splitter.pendingBytes > 0 ? ' in the middle of a message' : '';
      this.fail(`connection closed by ${where}${partial}`);
    });
    return sock;
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = parseJson(line);
    } catch (e) {
      throw new Error(`not JSON (${(e as Error).message}): ${preview(line)}`);
    }
    if (!isObject(msg)) throw new Error(`not a JSON object: ${preview(line)}`);
    if (this.greetingValue === undefined) {
      if (!isObject(msg.QMP)) throw new Error(`expected the QMP greeting, got ${preview(line)}`);
      this.greetingValue = msg as unknown as QmpGreeting;
      this.greetingWaiter?.(this.greetingValue);
      this.greetingWaiter = undefined;
      return;
    }
    if (typeof msg.event === 'string') {
      const ts = isObject(msg.timestamp) ? msg.timestamp : {};
      this.hub.push({
        event: msg.event,
        data: isObject(msg.data) ? msg.data : {},
        timestamp: {
          seconds: Number(ts.seconds ?? 0),
          microseconds: Number(ts.microseconds ?? 0),
        },
      });
      return;
    }
    const isReturn = 'return' in msg;
    const err = msg.error;
    if (!isReturn && !isObject(err)) throw new Error(`unexpected message: ${preview(line)}`);
    if (!('id' in msg)) {
      const what = isObject(err) ? `${String(err.class)}: ${String(err.desc)}` : preview(line);
      throw new Error(`reply without id (the server could not parse a request): ${what}`);
    }
    const p = typeof msg.id === 'string' ? this.pending.get(msg.id) : undefined;
    if (p === undefined) {
      this.droppedReplies++;
      return;
    }
    this.pending.delete(msg.id as string);
    if (isReturn) p.resolve(msg.return);
    else {
      const e = err as Message;
      p.reject(new QmpError(p.command, String(e.class), String(e.desc)));
    }
  }

  private fail(message: string, cause?: unknown): void {
    this.teardown(new QmpConnectionError(message, cause === undefined ? undefined : { cause }));
  }

  /** Drops the current socket; everything waiting on it rejects with `error`. */
  private teardown(error: unknown): void {
    const sock = this.sock;
    this.sock = undefined;
    this.greetingWaiter = undefined;
    this.negotiatedFlag = false;
    const step = this.step;
    this.step = undefined;
    step?.reject(error);
    sock?.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
    this.hub.end(error);
  }
}

function preview(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}
