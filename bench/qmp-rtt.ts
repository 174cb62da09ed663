/**
 * QMP round-trip latency of `query-status` against a real `livemig run` process
 * (issue 3: "QMP round-trip latency [is] printed by bench"), one command in flight
 * at a time, through `QmpClient` over a unix socket.
 *
 * Variants, interleaved in blocks of BLOCK requests after a warm-up block:
 *   echo      baseline: a child Node process with a raw JSON-line server on a unix
 *             socket (QMP greeting, then one canned reply per line, echoing the id);
 *   paused    livemig run -S (vCPU stopped);
 *   ab        the same process after `cont`, the `ab` workload running on 1 vCPU
 *             (stopped again after its block, so the other variants see no spinning vCPU).
 * The ratio is baseline latency ÷ measured latency (above 1 = faster than echo).
 * Every reply is checked (status matches the run state). Processes are quit via QMP.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '../src/qmp/client/index.js';
import { type BenchResult, benchMain, median, verify } from './lib.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TOTAL = Number(process.env.QMP_RTT_REQUESTS ?? 2000);
const BLOCK = 250;

type Variant = 'echo' | 'paused' | 'ab';
const VARIANTS: Variant[] = ['echo', 'paused', 'ab'];

// ---- baseline server (child process) ----
function echoServer(sockPath: string): void {
  const server = net.createServer((c) => {
    c.write(
      '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 8}, "package": ""}, ' +
        '"capabilities": []}}\r\n',
    );
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, i)) as { execute?: string; id?: unknown };
        buf = buf.slice(i + 1);
        const ret =
          m.execute === 'query-status'
            ? { status: 'running', singlestep: false, running: true }
            : {};
        c.write(JSON.stringify({ return: ret, id: m.id }) + '\r\n');
        if (m.execute === 'quit') c.end(() => process.exit(0));
      }
    });
  });
  server.listen(sockPath, () => process.send!('ready'));
}

async function connectRetry(sockPath: string, isAlive: () => boolean): Promise<QmpClient> {
  for (let i = 0; ; i++) {
    if (!isAlive()) throw new Error('server process exited');
    try {
      return await QmpClient.connect(sockPath, { timeoutMs: 5000, commandTimeoutMs: 10_000 });
    } catch (e) {
      if (i > 600) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function block(c: QmpClient, n: number, status: string, out: number[] | null): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await c.execute('query-status');
    const dt = performance.now() - t0;
    verify(r.status === status, `query-status: ${status} (got ${r.status})`);
    out?.push(dt);
  }
}

/** user + system CPU time of a process, from /proc/PID/stat (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-bench-qmp-'));
  const echoSock = path.join(dir, 'echo.sock');
  const vmSock = path.join(dir, 'vm.sock');
  const echoChild = fork(fileURLToPath(import.meta.url), ['echo', echoSock]);
  const vmChild = spawn(
    process.execPath,
    [CLI, 'run', '-S', '-m', '256M', '-qmp', `unix:${vmSock},server=on,wait=off`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const vmExit = new Promise<number | null>((r) => vmChild.on('exit', (code) => r(code)));
  const echoExit = new Promise<number | null>((r) => echoChild.on('exit', (code) => r(code)));
  const lat = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  let abCpuMs = 0;
  let abWallMs = 0;
  try {
    await new Promise((r) => echoChild.once('message', r));
    const echo = await connectRetry(echoSock, () => echoChild.exitCode === null);
    const vm = await connectRetry(vmSock, () => vmChild.exitCode === null);
    /** Puts the VM in the variant's state; returns the status query-status must report. */
    const state = async (v: Variant): Promise<string> => {
      const cur = (await vm.execute('query-status')).status;
      if (v === 'ab' && cur !== 'running') await vm.execute('cont');
      if (v === 'ab') await new Promise((r) => setTimeout(r, 20)); // let the vCPU get going
      const now = (await vm.execute('query-status')).status;
      // -S starts in 'prelaunch'; after a stop it is 'paused'.
      verify(v === 'ab' ? now === 'running' : now === 'prelaunch' || now === 'paused', `VM ${v}`);
      return now;
    };
    const rounds = Math.ceil(TOTAL / BLOCK);
    for (let r = 0; r < rounds + 1; r++) {
      for (const v of VARIANTS) {
        const out = r === 0 ? null : lat.get(v)!;
        if (v === 'echo') {
          await block(echo, BLOCK, 'running', out);
        } else {
          const status = await state(v);
          const c0 = cpuMs(vmChild.pid!);
          const t0 = performance.now();
          await block(vm, BLOCK, status, out);
          if (v === 'ab') {
            abCpuMs += cpuMs(vmChild.pid!) - c0;
            abWallMs += performance.now() - t0;
            await vm.execute('stop'); // the other variants run with no vCPU spinning
          }
        }
      }
    }
    // The vCPU thread spins while ab runs (about a core when the machine is otherwise idle).
    console.log(`  livemig CPU during ab blocks: ${((100 * abCpuMs) / abWallMs).toFixed(0)} %`);
    verify(abCpuMs > 0.2 * abWallMs, 'ab kept a vCPU busy while measuring');
    await vm.execute('quit').catch(() => {});
    await echo.execute('quit').catch(() => {});
    await Promise.all([vm.close(), echo.close()]);
    verify((await vmExit) === 0, 'livemig run exited 0 after quit');
    await echoExit;
  } finally {
    if (vmChild.exitCode === null) vmChild.kill('SIGKILL');
    if (echoChild.exitCode === null) echoChild.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }

  for (const v of VARIANTS) verify(lat.get(v)!.length >= TOTAL, `${v}: ${TOTAL} replies`);
  const p50 = (v: Variant): number => median(lat.get(v)!);
  const p99 = (v: Variant): number => pct(lat.get(v)!, 99);
  for (const v of VARIANTS) {
    console.log(
      `  ${v.padEnd(6)} p50 ${us(p50(v))}  p90 ${us(pct(lat.get(v)!, 90))}  ` +
        `p99 ${us(p99(v))}  max ${us(pct(lat.get(v)!, 100))}  (n=${lat.get(v)!.length})`,
    );
  }
  const rows: BenchResult[] = [];
  for (const v of ['paused', 'ab'] as const) {
    const what = v === 'ab' ? 'ab running, 1 vCPU' : 'paused';
    rows.push({
      name: `qmp query-status RTT p50, ${what}`,
      measured: us(p50(v)),
      baseline: `${us(p50('echo'))} echo`,
      ratio: p50('echo') / p50(v),
      target: 'info',
    });
    rows.push({
      name: `qmp query-status RTT p99, ${what}`,
      measured: us(p99(v)),
      baseline: `${us(p99('echo'))} echo`,
      ratio: p99('echo') / p99(v),
      target: 'info',
    });
  }
  rows.push({
    name: 'qmp RTT p50 ab running vs paused',
    measured: us(p50('ab')),
    baseline: `${us(p50('paused'))} paused`,
    ratio: p50('paused') / p50('ab'),
    target: '≥ 0.50',
    ok: p50('paused') / p50('ab') >= 0.5,
  });
  return rows;
}

if (process.argv[2] === 'echo') {
  echoServer(process.argv[3]!);
} else {
  await benchMain(import.meta.url, run);
}
