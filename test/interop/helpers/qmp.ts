// A deliberately tiny QMP client for the interop tests: one unix socket, one JSON
// object per line. Replies are matched to commands by "id"; events are collected.
// The product's real QMP client is separate; this one only has to drive QEMU.
import { connect, type Socket } from 'node:net';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface QmpEvent {
  event: string;
  data?: Json;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve: (value: Json) => void;
  reject: (err: Error) => void;
}

export class QmpClient {
  readonly events: QmpEvent[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private closedError: Error | undefined;
  private greeted: (() => void) | undefined;
  private greetingFailed: ((err: Error) => void) | undefined;
  // Settled by the first line QEMU sends ({"QMP": ...}) or by the socket failing first.
  private readonly greeting = new Promise<void>((resolve, reject) => {
    this.greeted = resolve;
    this.greetingFailed = reject;
  });

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('QMP socket closed')));
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static async open(path: string): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const client = new QmpClient(socket);
    await client.greeting;
    await client.execute('qmp_capabilities');
    return client;
  }

  /** Runs one command; resolves with its "return" value, rejects with its error desc. */
  execute(command: string, args?: Record<string, Json>): Promise<Json> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const msg: Record<string, Json> = { execute: command, id };
    if (args !== undefined) msg.arguments = args;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify(msg) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== '') this.onMessage(JSON.parse(line) as Record<string, Json>);
    }
  }

  private onMessage(msg: Record<string, Json>): void {
    if (msg.QMP !== undefined) {
      this.greeted?.();
      return;
    }
    if (typeof msg.event === 'string') {
      this.events.push(msg as unknown as QmpEvent);
      return;
    }
    const id = msg.id;
    const waiter = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (typeof id !== 'number' || !waiter) return;
    this.pending.delete(id);
    const error = msg.error as { class?: string; desc?: string } | undefined;
    if (error) waiter.reject(new Error(`QMP ${error.class}: ${error.desc}`));
    else waiter.resolve(msg.return ?? null);
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.greetingFailed?.(err);
    this.pending.clear();
  }
}
