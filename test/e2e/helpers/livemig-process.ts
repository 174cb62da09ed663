/** Starts real `livemig run` processes for end-to-end tests and always stops them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '../../../src/qmp/client/index.js';

export const repo = fileURLToPath(new URL('../../../../', import.meta.url));
export const cli = path.join(repo, 'dist/src/cli/main.js');

export interface LivemigProcess {
  child: ChildProcess;
  dir: string;
  qmpPath: string;
  stderr(): string;
  exited: Promise<number | null>;
}

const running = new Set<LivemigProcess>();

export function tempDir(prefix = 'livemig-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A free TCP port on 127.0.0.1 (bound and released; fine for tests on this host). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * Spawns `livemig run` with a unix QMP socket in a fresh temp dir, plus `args`,
 * and resolves once the socket accepts connections.
 */
export async function startLivemig(
  args: string[],
  opts: { dir?: string } = {},
): Promise<LivemigProcess> {
  const dir = opts.dir ?? tempDir();
  const qmpPath = path.join(dir, 'qmp.sock');
  const child = spawn(
    process.execPath,
    [cli, 'run', '-qmp', `unix:${qmpPath},server=on,wait=off`, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p: LivemigProcess = { child, dir, qmpPath, stderr: () => err, exited };
  running.add(p);
  void exited.then(() => running.delete(p));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`livemig run exited: ${err}`);
    try {
      const c = await QmpClient.connect(qmpPath, { timeoutMs: 2000 });
      await c.close();
      return p;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`livemig run did not open its QMP socket: ${err}`);
}

/** Kills every process started here and removes their temp dirs. */
export async function stopAllLivemig(): Promise<void> {
  for (const p of [...running]) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  running.clear();
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `livemig ARGS` to completion. */
export function runLivemig(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
