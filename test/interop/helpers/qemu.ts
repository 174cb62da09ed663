// Starting and stopping QEMU for the interop tests. Every process is tracked by
// pid so stopAll() (called from after()) and an exit hook can always reap it,
// even when a test fails half-way.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QEMU } from './env.js';
import { QmpClient } from './qmp.js';

export interface Qemu {
  readonly pid: number;
  readonly qmp: QmpClient;
  /** Everything QEMU printed on stderr so far (for assertion messages). */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

const live = new Set<ChildProcess>();

// Last resort if the test runner exits without running after(): never leave QEMU behind.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A fresh private directory for sockets, serial output and migration files. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `livemig-${prefix}-`));
}

export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Spawns QEMU with a QMP unix socket in `dir` (added here, with wait=off so QEMU
 * runs without a client) and returns once QMP is negotiated.
 */
export async function startQemu(dir: string, args: string[]): Promise<Qemu> {
  const socketPath = join(dir, 'qmp.sock');
  const child = spawn(QEMU, [...args, '-qmp', `unix:${socketPath},server=on,wait=off`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      live.delete(child);
      stderr += String(err);
      resolve('spawn-error');
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));

  // The socket appears shortly after start; retry connecting until it answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const qmp = await QmpClient.open(socketPath);
      if (child.pid === undefined) throw new Error('QEMU has no pid');
      return { pid: child.pid, qmp, stderr: () => stderr, exited };
    } catch (err) {
      if (gone || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`QEMU did not offer QMP (${String(err)}); stderr:\n${stderr}`);
      }
      await sleep(50);
    }
  }
}

/** Asks QEMU to quit, then escalates to SIGTERM and SIGKILL on its pid. */
export async function stopQemu(q: Qemu): Promise<void> {
  const graceful = q.qmp.execute('quit').catch(() => undefined);
  const done = await Promise.race([q.exited.then(() => true), sleep(3000).then(() => false)]);
  void graceful;
  q.qmp.close();
  if (done) return;
  signal(q.pid, 'SIGTERM');
  if (await Promise.race([q.exited.then(() => true), sleep(3000).then(() => false)])) return;
  signal(q.pid, 'SIGKILL');
  await q.exited;
}

/** Kills every QEMU still running (for after() hooks). */
export async function stopAll(): Promise<void> {
  const waits = [...live].map(
    (child) => new Promise<void>((resolve) => child.once('exit', () => resolve())),
  );
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(waits);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone between our check and the kill: nothing left to stop.
  }
}
