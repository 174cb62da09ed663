// A scriptable QMP server for the client tests: it greets, answers
// qmp_capabilities (unless told not to) and queues every other request so the
// test decides what, when and in which order to reply — or to misbehave.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Request = { execute?: string; arguments?: Record<string, unknown>; id?: unknown };

export const GREETING = {
  QMP: {
    version: { qemu: { micro: 0, minor: 1, major: 8 }, package: 'fake' },
    capabilities: ['oob'],
  },
};

class Queue<T> {
  private items: T[] = [];
  private waiters: ((v: T) => void)[] = [];
  push(v: T): void {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }
  next(): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((r) => this.waiters.push(r));
  }
  get size(): number {
    return this.items.length;
  }
}

export class FakeConn {
  readonly requests = new Queue<Request>();
  /** Every raw line received, including qmp_capabilities. */
  readonly rawLines: string[] = [];
  constructor(readonly socket: net.Socket) {}

  send(msg: unknown): void {
    this.raw(JSON.stringify(msg) + '\r\n');
  }
  raw(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }
  reply(req: Request, ret: unknown): void {
    this.send({ return: ret, id: req.id });
  }
  error(req: Request, cls: string, desc: string): void {
    this.send({ id: req.id, error: { class: cls, desc } });
  }
  event(event: string, data?: Record<string, unknown>): void {
    const msg: Record<string, unknown> = { timestamp: { seconds: 1, microseconds: 2 }, event };
    if (data) msg.data = data;
    this.send(msg);
  }
  nextRequest(): Promise<Request> {
    return this.requests.next();
  }
  close(): void {
    this.socket.end();
  }
}

export interface FakeOptions {
  /** Greeting object or raw text; null sends nothing. */
  greeting?: unknown;
  /** Answer qmp_capabilities automatically (default true). */
  negotiate?: boolean;
}

export class FakeQmpServer {
  private readonly conns = new Queue<FakeConn>();
  readonly all: FakeConn[] = [];
  private constructor(
    readonly server: net.Server,
    readonly dir: string,
    readonly path: string,
  ) {}

  static async start(opts: FakeOptions = {}): Promise<FakeQmpServer> {
    const dir = await mkdtemp(join(tmpdir(), 'livemig-qmpc-'));
    const path = join(dir, 'qmp.sock');
    const server = net.createServer();
    const fake = new FakeQmpServer(server, dir, path);
    server.on('connection', (sock) => {
      const conn = new FakeConn(sock);
      fake.all.push(conn);
      sock.on('error', () => {});
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          conn.rawLines.push(line);
          const req = JSON.parse(line) as Request;
          if (req.execute === 'qmp_capabilities' && opts.negotiate !== false) conn.reply(req, {});
          else conn.requests.push(req);
        }
      });
      const g = opts.greeting === undefined ? GREETING : opts.greeting;
      if (typeof g === 'string') conn.raw(g);
      else if (g !== null) conn.send(g);
      fake.conns.push(conn);
    });
    await new Promise<void>((r) => server.listen(path, r));
    return fake;
  }

  nextConnection(): Promise<FakeConn> {
    return this.conns.next();
  }

  async stop(): Promise<void> {
    for (const c of this.all) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
    await rm(this.dir, { recursive: true, force: true });
  }
}
