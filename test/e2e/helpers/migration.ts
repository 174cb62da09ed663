/**
 * Shared helpers for the two-process migration tests: start VMs (with QMP
 * connected and every event recorded), set capabilities and parameters, start
 * a source/destination pair, wait for a migration status or an event, dump
 * and compare RAM, read serial files and trace lines, and QEMU's `ab`
 * consistency check (tests/qtest/migration-test.c check_guests_ram).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { QmpClient, QmpError, type QmpEvent } from '../../../src/qmp/client/index.js';
import {
  freePort,
  removeDir,
  startLivemig,
  stopAllLivemig,
  tempDir,
  type LivemigProcess,
} from './livemig-process.js';

export const MiB = 1 << 20;

/** A running `livemig run` with a negotiated QMP connection and all its events. */
export interface Vm {
  proc: LivemigProcess;
  qmp: QmpClient;
  /** Every event received on `qmp`, in arrival order. */
  events: QmpEvent[];
  dir: string;
  serialPath: string;
}

export interface VmOptions {
  /** LIVEMIG_TRACE for this process. */
  trace?: string;
  /** Directory for the QMP socket and the serial file (default: a fresh temp dir). */
  dir?: string;
}

const scratch: string[] = [];

/** A temp dir removed by cleanupMigrationTests (RAM dumps are large). */
export function scratchDir(): string {
  const dir = tempDir('livemig-mig-');
  scratch.push(dir);
  return dir;
}

/** For after(): kills every livemig process and removes the scratch dirs. */
export async function cleanupMigrationTests(): Promise<void> {
  await stopAllLivemig();
  for (const dir of scratch.splice(0)) removeDir(dir);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `livemig run -serial file:DIR/serial.txt ARGS` and connects QMP. */
export async function startVm(args: string[], opts: VmOptions = {}): Promise<Vm> {
  const dir = opts.dir ?? scratchDir();
  const serialPath = path.join(dir, 'serial.txt');
  const saved = process.env.LIVEMIG_TRACE;
  // spawn() reads the environment synchronously, before startLivemig's first await.
  if (opts.trace !== undefined) process.env.LIVEMIG_TRACE = opts.trace;
  else delete process.env.LIVEMIG_TRACE;
  let started: Promise<LivemigProcess>;
  try {
    started = startLivemig(['-serial', `file:${serialPath}`, ...args], { dir });
  } finally {
    if (saved === undefined) delete process.env.LIVEMIG_TRACE;
    else process.env.LIVEMIG_TRACE = saved;
  }
  const proc = await started;
  const qmp = await QmpClient.connect(proc.qmpPath, { commandTimeoutMs: 30_000 });
  const events: QmpEvent[] = [];
  void (async () => {
    for await (const ev of qmp.events()) events.push(ev);
  })().catch(() => undefined);
  return { proc, qmp, events, dir, serialPath };
}

/** Closes the QMP connections (processes are killed by stopAllLivemig). */
export async function closeVms(...vms: Array<Vm | undefined>): Promise<void> {
  for (const vm of vms) await vm?.qmp.close().catch(() => undefined);
}

export async function setCaps(vm: Vm, caps: Record<string, boolean>): Promise<void> {
  const list = Object.entries(caps).map(([capability, state]) => ({ capability, state }));
  if (list.length > 0) await vm.qmp.executeRaw('migrate-set-capabilities', { capabilities: list });
}

export async function setParams(vm: Vm, params: Record<string, unknown>): Promise<void> {
  await vm.qmp.executeRaw('migrate-set-parameters', params);
}

export async function queryMigrate(vm: Vm): Promise<Record<string, unknown>> {
  return (await vm.qmp.executeRaw('query-migrate')) as Record<string, unknown>;
}

export async function runState(vm: Vm): Promise<{ status: string; running: boolean }> {
  return (await vm.qmp.executeRaw('query-status')) as { status: string; running: boolean };
}

/** migrate-set-parameters that make a live `ab` migration converge on loopback. */
export const CONVERGE = { 'max-bandwidth': 1_000_000_000, 'downtime-limit': 30_000 };

export interface PairOptions {
  transport?: 'tcp' | 'unix';
  /** Arguments of both sides (default: an `ab` testvm of 128M with a dirty-rate cap). */
  common?: string[];
  srcArgs?: string[];
  dstArgs?: string[];
  /** Capabilities set on both sides (srcCaps/dstCaps override per side). */
  caps?: Record<string, boolean>;
  srcCaps?: Record<string, boolean>;
  dstCaps?: Record<string, boolean>;
  /** Source parameters (default CONVERGE). */
  params?: Record<string, unknown>;
  srcTrace?: string;
  dstTrace?: string;
  /** Destination started with `-incoming defer` + migrate-incoming. */
  defer?: boolean;
}

export const AB_VM = ['-m', '128M', '-machine', 'testvm,workload=ab,dirty-rate=20000'];

export interface Pair {
  src: Vm;
  dst: Vm;
  uri: string;
}

/** The URI a fresh destination listens on. */
export async function incomingUri(transport: 'tcp' | 'unix', dir: string): Promise<string> {
  return transport === 'tcp'
    ? `tcp:127.0.0.1:${await freePort()}`
    : `unix:${path.join(dir, 'mig.sock')}`;
}

/**
 * A destination listening on `uri` with `caps` set before anything connects:
 * `-incoming URI`, or with `defer`, `-incoming defer` then migrate-incoming
 * (as QEMU 8.1's tests do; only then is the MIGRATION {setup} event seen).
 */
export async function startDestination(
  uri: string | ((dir: string) => Promise<string>),
  args: string[],
  caps: Record<string, boolean> = {},
  opts: VmOptions & { defer?: boolean } = {},
): Promise<{ dst: Vm; uri: string }> {
  const dir = opts.dir ?? scratchDir();
  const u = typeof uri === 'string' ? uri : await uri(dir);
  const vmOpts: VmOptions = { dir, ...(opts.trace === undefined ? {} : { trace: opts.trace }) };
  const dst = await startVm([...args, '-incoming', opts.defer ? 'defer' : u], vmOpts);
  await setCaps(dst, caps);
  if (opts.defer) await dst.qmp.executeRaw('migrate-incoming', { uri: u });
  return { dst, uri: u };
}

/** Starts a source and a listening destination with their capabilities and parameters set. */
export async function startPair(o: PairOptions = {}): Promise<Pair> {
  const transport = o.transport ?? 'tcp';
  const common = o.common ?? AB_VM;
  const src = await startVm([...common, ...(o.srcArgs ?? [])], {
    ...(o.srcTrace === undefined ? {} : { trace: o.srcTrace }),
  });
  const { dst, uri } = await startDestination(
    (dir) => incomingUri(transport, dir),
    [...common, ...(o.dstArgs ?? [])],
    { ...o.caps, ...o.dstCaps },
    { ...(o.dstTrace === undefined ? {} : { trace: o.dstTrace }), defer: o.defer ?? false },
  );
  await setCaps(src, { ...o.caps, ...o.srcCaps });
  await setParams(src, o.params ?? CONVERGE);
  return { src, dst, uri };
}

/**
 * Polls query-migrate until its status is one of `goals`. Like QEMU's
 * wait_for_migration_status, reaching `failed` (or `completed`, unless it is a
 * goal) or one of `ungoals` is an error.
 */
export async function waitStatus(
  vm: Vm,
  goals: string | string[],
  opts: { timeoutMs?: number; ungoals?: string[] } = {},
): Promise<Record<string, unknown>> {
  const want = Array.isArray(goals) ? goals : [goals];
  const bad = opts.ungoals ?? ['failed', 'completed', 'cancelled'];
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: Record<string, unknown> = {};
  for (;;) {
    last = await queryMigrate(vm);
    const s = last.status as string | undefined;
    if (s !== undefined && want.includes(s)) return last;
    if (s !== undefined && bad.includes(s)) {
      assert.fail(`migration reached ${s} waiting for ${want.join('|')}: ${JSON.stringify(last)}`);
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${want.join('|')}: ${JSON.stringify(last)}`);
    }
    await sleep(20);
  }
}

/** Waits for a recorded event (from the start of the connection) matching name and data. */
export async function waitEvent(
  vm: Vm,
  name: string,
  data?: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<QmpEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ev = vm.events.find((e) => e.event === name && matches(e.data, data));
    if (ev) return ev;
    if (Date.now() > deadline) {
      assert.fail(`no ${name} ${JSON.stringify(data ?? {})} event; got ${eventSummary(vm)}`);
    }
    await sleep(20);
  }
}

function matches(actual: unknown, want: Record<string, unknown> | undefined): boolean {
  if (want === undefined) return true;
  if (typeof actual !== 'object' || actual === null) return false;
  const a = actual as Record<string, unknown>;
  return Object.entries(want).every(([k, v]) => a[k] === v);
}

/** Events as short strings: `MIGRATION:active`, `MIGRATION_PASS:3`, `STOP`. */
export function eventSummary(vm: Vm, names?: string[]): string[] {
  return vm.events
    .filter((e) => names === undefined || names.includes(e.event))
    .map((e) => {
      const d = e.data as Record<string, unknown> | undefined;
      if (e.event === 'MIGRATION') return `MIGRATION:${String(d?.status)}`;
      if (e.event === 'MIGRATION_PASS') return `MIGRATION_PASS:${String(d?.pass)}`;
      return e.event;
    });
}

/** pmemsave of the first `size` bytes into the VM's dir. */
export async function dump(vm: Vm, size: number, name: string): Promise<Buffer> {
  const file = path.join(vm.dir, name);
  await vm.qmp.executeRaw('pmemsave', { val: 0, size, filename: file });
  return readFileSync(file);
}

/** First byte of each page in [1 MiB, 100 MiB): the `ab` guest's pass counters. */
export function abCounters(ram: Buffer): number[] {
  const out: number[] = [];
  for (let off = MiB; off < Math.min(100 * MiB, ram.length); off += 4096) out.push(ram[off]!);
  return out;
}

/**
 * QEMU's check_guests_ram: going up the range each page equals the previous
 * one or is one below it (mod 256), and only one such step (the cursor) exists.
 * Also asserts the guest ran at all (the counters are not all zero).
 */
export function assertAbConsistent(ram: Buffer): void {
  const c = abCounters(ram);
  assert.ok(c.length > 1000, 'RAM too small for the ab range');
  let steps = 0;
  const bad: string[] = [];
  for (let i = 1; i < c.length; i++) {
    const d = (c[i - 1]! - c[i]! + 256) & 0xff;
    if (d === 1) steps++;
    else if (d !== 0 && bad.length < 10) {
      bad.push(`Memory content inconsistency at ${(MiB + i * 4096).toString(16)}`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(steps <= 1, `${steps} steps in one pass`);
  assert.ok(
    c.some((v) => v !== 0),
    'the ab guest never ran',
  );
}

export function readSerial(vm: Vm): string {
  return existsSync(vm.serialPath) ? readFileSync(vm.serialPath, 'latin1') : '';
}

/** Waits until the serial file holds more than `after` characters and only 'B's. */
export async function waitSerialB(vm: Vm, after = 0, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = readSerial(vm);
    if (s.length > after && s.includes('B')) {
      assert.match(s, /^[AB]+$/, 'unexpected serial output');
      return s;
    }
    if (Date.now() > deadline) assert.fail(`no 'B' on ${vm.serialPath} (have ${s.length})`);
    await sleep(20);
  }
}

/** The trace lines of a process started with `trace`: {name, args}. */
export function traceLines(vm: Vm): Array<{ name: string; args: string }> {
  const out: Array<{ name: string; args: string }> = [];
  for (const line of vm.proc.stderr().split('\n')) {
    const m = /^\d+\.\d+ \d+ (\S+) ?(.*)$/.exec(line);
    if (m) out.push({ name: m[1]!, args: m[2]! });
  }
  return out;
}

/** Index of the first trace line called `name` (and whose args contain `args`), or -1. */
export function traceIndex(vm: Vm, name: string, args?: string): number {
  return traceLines(vm).findIndex(
    (l) => l.name === name && (args === undefined || l.args.includes(args)),
  );
}

/** Asserts `p` rejects with a QMP error whose desc matches. */
export async function rejectsDesc(p: Promise<unknown>, desc: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof QmpError, `not a QmpError: ${String(e)}`);
    if (typeof desc === 'string') assert.equal(e.desc, desc);
    else assert.match(e.desc, desc);
    return true;
  });
}

/** Waits for the process to exit, with a timeout; returns its exit code. */
export async function waitExit(vm: Vm, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('process did not exit')), timeoutMs);
  });
  try {
    return await Promise.race([vm.proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
