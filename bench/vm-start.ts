/**
 * Start-up time and RSS of a real `livemig run -m SIZE` process (issue 3: "a 4 GiB
 * testvm starts in under 2 s and uses no more than guest RAM + 64 MiB of RSS").
 *
 * Start-up: from spawn() to the first successful `query-status` reply on the QMP
 * unix socket (polling connect every 5 ms, then greeting, qmp_capabilities,
 * query-status). Baseline, same run, same client code: a bare `node -e` process
 * whose script only opens a unix socket, sends a QMP-like greeting and answers
 * every line, i.e. the cost of starting Node and reaching the same point.
 * Variants are interleaved per round; medians after one warm-up round.
 *
 * RSS: VmRSS (and peak VmHWM) from /proc/PID/status after the default `ab`
 * workload ran ~1 s on 1 vCPU, against the budget guest RAM + 64 MiB. Each round
 * verifies the VM reports `running`, that ab dirtied memory (RSS grew), and that
 * `quit` ends the process with code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { type BenchResult, benchMain, fmtMs, GiB, median, MiB, spread, verify } from './lib.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROUNDS = Number(process.env.VM_START_ROUNDS ?? 3);
const AB_MS = 1000;
/** ab writes guest pages [1 MiB, 100 MiB): the guest RAM resident after it ran. */
const AB_SET_MIB = 99;

/** The baseline: bare Node, a unix socket, a greeting, one reply per line. */
const BARE_SCRIPT = `
const net = require('node:net');
net.createServer((c) => {
  c.write('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 8}, "package": ""}, "capabilities": []}}\\r\\n');
  let buf = '';
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      c.write(JSON.stringify({ return: m.execute === 'query-status'
        ? { status: 'running', singlestep: false, running: true } : {}, id: m.id }) + '\\r\\n');
      if (m.execute === 'quit') c.end(() => process.exit(0));
    }
  });
}).listen(process.argv[1]);
`;

/** A minimal QMP line client over a unix socket, used the same way for both variants. */
class LineClient {
  private buf = '';
  private waiters: { resolve(line: string): void; reject(e: Error): void }[] = [];
  private closed = false;
  private lines: string[] = [];
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiters.shift();
        if (w) w.resolve(line);
        else this.lines.push(line);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error('QMP socket closed'));
    });
  }

  static connect(sockPath: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(sockPath);
      s.once('connect', () => {
        s.off('error', reject);
        s.on('error', () => {});
        resolve(new LineClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Next message that is not an event. */
  async next(): Promise<Record<string, unknown>> {
    for (;;) {
      let line = this.lines.shift();
      if (line === undefined) {
        if (this.closed) throw new Error('QMP socket closed');
        line = await new Promise<string>((resolve, reject) =>
          this.waiters.push({ resolve, reject }),
        );
      }
      const m = JSON.parse(line) as Record<string, unknown>;
      if (!('event' in m)) return m;
    }
  }

  async exec(cmd: string): Promise<Record<string, unknown>> {
    this.sock.write(JSON.stringify({ execute: cmd, id: cmd }) + '\n');
    const r = await this.next();
    if (!('return' in r)) throw new Error(`${cmd}: ${JSON.stringify(r)}`);
    return r;
  }

  close(): void {
    this.sock.destroy();
  }
}

interface Started {
  child: ChildProcess;
  client: LineClient;
  startMs: number;
  exited: Promise<number | null>;
}

async function startAndQuery(args: string[], sockPath: string): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${err}`);
    if (performance.now() - t0 > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`no QMP reply within 30 s: ${err}`);
    }
    let client: LineClient;
    try {
      client = await LineClient.connect(sockPath);
    } catch {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const greeting = await client.next();
    verify('QMP' in greeting, 'QMP greeting');
    await client.exec('qmp_capabilities');
    const st = (await client.exec('query-status')).return as { status?: string };
    const startMs = performance.now() - t0;
    verify(st.status === 'running', `query-status says running (got ${st.status})`);
    return { child, client, startMs, exited };
  }
}

async function quit(s: Started): Promise<void> {
  await s.client.exec('quit').catch(() => {});
  s.client.close();
  const t = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  const code = await s.exited;
  clearTimeout(t);
  verify(code === 0, `process exited with code 0 after quit (got ${code})`);
}

function procStatusKiB(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  verify(m !== null, `${key} in /proc/${pid}/status`);
  return Number(m[1]);
}

interface VmRound {
  startMs: number;
  rss0MiB: number;
  rssMiB: number;
  hwmMiB: number;
}

async function vmRound(dir: string, size: string, round: number): Promise<VmRound> {
  const sock = path.join(dir, `vm-${size}-${round}.sock`);
  const s = await startAndQuery(
    [CLI, 'run', '-m', size, '-qmp', `unix:${sock},server=on,wait=off`],
    sock,
  );
  try {
    const pid = s.child.pid!;
    const rss0 = procStatusKiB(pid, 'VmRSS');
    await new Promise((r) => setTimeout(r, AB_MS));
    const st = (await s.client.exec('query-status')).return as { status?: string };
    verify(st.status === 'running', 'still running after ab');
    const rss = procStatusKiB(pid, 'VmRSS');
    const hwm = procStatusKiB(pid, 'VmHWM');
    // ab writes [1 MiB, 100 MiB) of guest RAM: after 1 s most of it is resident.
    verify(rss - rss0 > 32 * 1024, `ab dirtied guest RAM (RSS ${rss0} -> ${rss} KiB)`);
    await quit(s);
    return { startMs: s.startMs, rss0MiB: rss0 / 1024, rssMiB: rss / 1024, hwmMiB: hwm / 1024 };
  } catch (e) {
    s.child.kill('SIGKILL');
    throw e;
  }
}

async function bareRound(dir: string, round: number): Promise<number> {
  const sock = path.join(dir, `bare-${round}.sock`);
  const s = await startAndQuery(['-e', BARE_SCRIPT, sock], sock);
  await quit(s);
  return s.startMs;
}

async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-bench-start-'));
  const sizes = [
    { size: '4G', bytes: 4 * GiB },
    { size: '16G', bytes: 16 * GiB },
  ];
  const bare: number[] = [];
  const vm = new Map<string, VmRound[]>(sizes.map((s) => [s.size, []]));
  try {
    for (let r = 0; r < ROUNDS + 1; r++) {
      const b = await bareRound(dir, r);
      if (r > 0) bare.push(b);
      for (const { size } of sizes) {
        const v = await vmRound(dir, size, r);
        if (r > 0) vm.get(size)!.push(v);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bareMs = median(bare);
  console.log(`  bare node start + socket + reply: ${spread(bare)} (min / median / max)`);
  const rows: BenchResult[] = [];
  for (const { size, bytes } of sizes) {
    const rs = vm.get(size)!;
    const starts = rs.map((x) => x.startMs);
    const ms = median(starts);
    const rss = median(rs.map((x) => x.rssMiB));
    const hwm = Math.max(...rs.map((x) => x.hwmMiB));
    const budget = bytes / MiB + 64;
    console.log(
      `  ${size}: start ${spread(starts)}; RSS at first reply ` +
        `${median(rs.map((x) => x.rss0MiB)).toFixed(0)} MiB, after ${AB_MS} ms ab ` +
        `${rs.map((x) => x.rssMiB.toFixed(0)).join(' / ')} MiB, peak ${hwm.toFixed(0)} MiB`,
    );
    rows.push({
      name: `vm start ${size}: spawn to query-status reply`,
      measured: fmtMs(ms),
      baseline: `${fmtMs(bareMs)} bare node`,
      ratio: bareMs / ms,
      target: '< 2 s',
      ok: ms < 2000,
    });
    rows.push({
      name: `vm RSS ${size} after 1 s ab (ratio = RSS ÷ budget)`,
      measured: `${rss.toFixed(0)} MiB (peak ${hwm.toFixed(0)})`,
      baseline: `${budget} MiB RAM+64M`,
      ratio: hwm / budget,
      target: '≤ 1.00',
      ok: hwm <= budget,
    });
    const over = hwm - AB_SET_MIB;
    rows.push({
      name: `vm RSS ${size} beyond ab's ${AB_SET_MIB} MiB (ratio = ÷ 64 MiB)`,
      measured: `${over.toFixed(0)} MiB`,
      baseline: '64 MiB',
      ratio: over / 64,
      target: 'info',
    });
  }
  return rows;
}

await benchMain(import.meta.url, run);
