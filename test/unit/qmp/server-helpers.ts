import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRegistry, QmpServer } from '../../../src/qmp/server/index.js';
import { t } from '../../../src/qmp/schema/index.js';

export const PACKAGE = 'Debian 1:7.2+dfsg-7+deb12u18+b3';

export function makeRegistry(): CommandRegistry {
  const reg = new CommandRegistry();
  reg.define({ name: 'query-migrate', handler: () => ({}) });
  reg.define({
    name: 'migrate',
    args: t.struct('migrate-arg', { uri: t.str, blk: t.optional(t.bool) }),
    handler: () => undefined,
  });
  reg.define({
    name: 'migrate-recover',
    allowOob: true,
    args: t.struct('migrate-recover-arg', { uri: t.str }),
    handler: () => undefined,
  });
  reg.define({
    name: 'sleep',
    args: t.struct('sleep-arg', { ms: t.uint32, tag: t.str }),
    handler: async (a) => {
      await new Promise((r) => setTimeout(r, a.ms));
      return { tag: a.tag };
    },
  });
  reg.define({
    name: 'fail',
    handler: () => {
      throw new Error('boom');
    },
  });
  return reg;
}

export function makeServer(reg = makeRegistry()): QmpServer {
  return new QmpServer({
    version: { qemu: { major: 7, minor: 2, micro: 22 }, package: PACKAGE },
    registry: reg,
  });
}

export function tmpSock(): string {
  return join(mkdtempSync(join(tmpdir(), 'qmps-')), 'qmp.sock');
}

/** A raw client that collects CRLF-terminated lines. */
export class Client {
  readonly lines: string[] = [];
  private parts: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      // Lines are split per chunk so a 16 MiB reply stays linear to read.
      let from = 0;
      for (let i = d.indexOf(0x0a); i >= 0; i = d.indexOf(0x0a, from)) {
        this.parts.push(d.subarray(from, i + 1));
        const line = Buffer.concat(this.parts).toString('latin1');
        this.parts = [];
        this.lines.push(line.endsWith('\r\n') ? line.slice(0, -2) : `BAD-EOL:${line}`);
        from = i + 1;
      }
      if (from < d.length) this.parts.push(d.subarray(from));
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => undefined);
  }
  static connect(opts: net.NetConnectOpts): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(opts, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
  get rawBuffer(): string {
    return Buffer.concat(this.parts).toString('latin1');
  }
  async waitLines(n: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < n) {
      if (this.closed) throw new Error(`closed with ${this.lines.length} lines`);
      if (Date.now() > deadline) throw new Error(`timeout with ${this.lines.length} lines`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.lines.splice(0, n);
  }
  async next(): Promise<string> {
    return (await this.waitLines(1))[0] as string;
  }
  send(s: string | Buffer): void {
    this.sock.write(s);
  }
  async cmd(s: string): Promise<string> {
    this.send(s);
    return this.next();
  }
  async negotiate(): Promise<void> {
    await this.next();
    const r = await this.cmd('{"execute": "qmp_capabilities"}');
    if (r !== '{"return": {}}') throw new Error(r);
  }
}
