/**
 * Shared plumbing for the migrate-* benches: spawning `livemig run` processes
 * (source and `-incoming` destination) with a QMP unix socket, waiting for the
 * destination's RAM pre-fault, running one migration to completion and reading
 * its figures, and reading RSS. Every process is quit over QMP and killed if it
 * does not exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '../src/qmp/client/index.js';
import type { QmpEvent } from '../src/qmp/client/index.js';
import { verify } from './lib.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** "Unlimited" max-bandwidth: 100 GiB/s, as the QEMU baseline used. */
export const UNLIMITED = 100 * 1024 ** 3;

export interface VmOptions {
  dir: string;
  name: string;
  mem: string;
  /** -machine value, e.g. 'testvm,workload=fill'. */
  machine: string;
  paused?: boolean;
  incoming?: boolean;
  serial?: boolean;
  extra?: string[];
}

export class Vm {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  readonly serialPath: string;
  qmp!: QmpClient;
  /** ms from spawn to the `ram_prefault_done` trace (destinations only). */
  readonly prefaultMs: Promise<number>;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly o: VmOptions) {
    const sock = path.join(o.dir, `${o.name}.sock`);
    this.serialPath = path.join(o.dir, `${o.name}.serial`);
    const args = [CLI, 'run', '-m', o.mem, '-machine', o.machine];
    args.push('-qmp', `unix:${sock},server=on,wait=off`);
    if (o.paused) args.push('-S');
    if (o.serial) args.push('-serial', `file:${this.serialPath}`);
    if (o.incoming) args.push('-incoming', 'tcp:127.0.0.1:0');
    args.push(...(o.extra ?? []));
    this.spawnedAt = performance.now();
    this.child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LIVEMIG_TRACE: o.incoming ? 'ram_prefault*' : '' },
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
    let seen: (ms: number) => void;
    this.prefaultMs = new Promise((r) => (seen = r));
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.includes('ram_prefault_done')) seen(performance.now() - this.spawnedAt);
    });
    this.sockPath = sock;
  }

  private readonly sockPath: string;

  get pid(): number {
    return this.child.pid!;
  }

  async connect(): Promise<this> {
    for (let i = 0; ; i++) {
      if (this.child.exitCode !== null) throw new Error(`${this.o.name} exited: ${this.stderr}`);
      try {
        this.qmp = await QmpClient.connect(this.sockPath, {
          timeoutMs: 5000,
          commandTimeoutMs: 60_000,
        });
        return this;
      } catch (e) {
        if (i > 3000) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  exec<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    return this.qmp.executeRaw(cmd, args) as Promise<T>;
  }

  async status(): Promise<string> {
    return (await this.exec<{ status: string }>('query-status')).status;
  }

  /** Capabilities (all `true`) and parameters. */
  async configure(caps: string[], params: Record<string, number>): Promise<void> {
    if (caps.length > 0) {
      await this.exec('migrate-set-capabilities', {
        capabilities: caps.map((capability) => ({ capability, state: true })),
      });
    }
    if (Object.keys(params).length > 0) await this.exec('migrate-set-parameters', params);
  }

  /** The destination's listening port (from query-migrate's socket-address). */
  async port(): Promise<number> {
    const r = await this.exec<{ 'socket-address'?: { port: string }[] }>('query-migrate');
    const p = Number(r['socket-address']?.[0]?.port);
    verify(p > 0, `${this.o.name}: listening port`);
    return p;
  }

  waitEvent(name: string, pred?: (e: QmpEvent) => boolean, timeoutMs = 120_000): Promise<QmpEvent> {
    return this.qmp.waitEvent(name, pred, { timeoutMs });
  }

  rssMiB(key = 'VmRSS'): number {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${this.pid}/status`, 'utf8'),
    );
    verify(m !== null, `${key} of ${this.o.name}`);
    return Number(m[1]) / 1024;
  }

  /** user + system CPU time of the process so far, in ms (/proc/PID/stat, 10 ms ticks). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  }

  serial(): string {
    try {
      return readFileSync(this.serialPath, 'latin1');
    } catch {
      return '';
    }
  }

  /** Quits over QMP; kills the process if it has not exited 10 s later. */
  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.qmp?.executeRaw('quit', undefined, { timeoutMs: 5000 }).catch(() => {});
    await this.qmp?.close().catch(() => {});
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Starts a VM and connects to its QMP socket. */
export async function startVm(o: VmOptions): Promise<Vm> {
  const vm = new Vm(o);
  try {
    return await vm.connect();
  } catch (e) {
    vm.child.kill('SIGKILL');
    throw e;
  }
}

/** Waits until a serial file holds `count` of `ch` (e.g. fill's 'F'). */
export async function waitSerial(vm: Vm, ch: string, count = 1, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  while (vm.serial().split(ch).length - 1 < count) {
    const what = `${vm.o.name}: ${count} '${ch}' on the serial port`;
    verify(performance.now() - t0 < timeoutMs, what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface MigrationResult {
  totalMs: number;
  downtimeMs: number;
  setupMs: number;
  /** Client wall time: `migrate` sent → destination MIGRATION completed event. */
  wallMs: number;
  /** Source STOP → destination RESUME, from the events' timestamps (running guests). */
  pauseMs: number | undefined;
  ram: Record<string, number>;
}

const evMs = (e: QmpEvent): number => e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000;

/**
 * Runs `migrate` from src to dst (both configured, events on both) and waits for
 * completion on both sides. Fails on a `failed` status. `live`: the source runs,
 * so its STOP and the destination's RESUME events time the guest pause.
 */
export async function migrate(src: Vm, dst: Vm, live: boolean): Promise<MigrationResult> {
  const port = await dst.port();
  const finished = (e: QmpEvent): boolean =>
    e.data.status === 'completed' || e.data.status === 'failed';
  src.qmp.drainEvents();
  dst.qmp.drainEvents();
  const dstDone = dst.waitEvent('MIGRATION', finished);
  const srcDone = src.waitEvent('MIGRATION', finished);
  const stop = live ? src.waitEvent('STOP').catch(() => undefined) : undefined;
  const resume = live ? dst.waitEvent('RESUME').catch(() => undefined) : undefined;
  const t0 = performance.now();
  await src.exec('migrate', { uri: `tcp:127.0.0.1:${port}` });
  const [de, se] = await Promise.all([dstDone, srcDone]);
  const wallMs = performance.now() - t0;
  if (se.data.status !== 'completed' || de.data.status !== 'completed') {
    const info = await src.exec('query-migrate').catch((e: Error) => e.message);
    throw new Error(`migration failed: ${JSON.stringify(info)}`);
  }
  // QEMU may report completed before total-time and downtime are filled in: re-query.
  let info: { 'total-time'?: number; downtime?: number; 'setup-time'?: number; ram?: object };
  for (;;) {
    info = await src.exec('query-migrate');
    if (info['total-time'] && info.downtime !== undefined) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  let pauseMs: number | undefined;
  if (live) {
    const [s, r] = await Promise.all([stop, resume]);
    if (s && r) pauseMs = evMs(r) - evMs(s);
  }
  return {
    totalMs: Number(info['total-time']),
    downtimeMs: Number(info.downtime),
    setupMs: Number(info['setup-time'] ?? 0),
    wallMs,
    pauseMs,
    ram: info.ram as Record<string, number>,
  };
}

/** sha256 of a file, streamed. */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) {
    h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

/** Quits every VM given, ignoring those never started. */
export async function quitAll(vms: readonly (Vm | undefined)[]): Promise<void> {
  await Promise.all(vms.map((v) => v?.quit()));
}
