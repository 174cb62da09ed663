/**
 * A `livemig run` child process for the demo: QMP on a unix socket, serial
 * and stderr (the trace lines) in files, all in one directory. stderr goes to
 * a file rather than a pipe so a VM left running with --keep does not die of
 * a broken pipe when the demo exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '../qmp/client/client.js';
import type { QmpEvent } from '../qmp/client/types.js';

/** The `livemig` entry point next to this module (dist/src/cli/main.js). */
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Every child still alive, killed (and its directory removed) if the demo exits first. */
const alive = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [c, dir] of alive) {
      c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export interface ChildVmOptions {
  /** Short name: file names and messages ("source", "destination"). */
  name: string;
  dir: string;
  /** `livemig run` arguments besides -qmp, -serial. */
  args: string[];
  /** LIVEMIG_TRACE for the child. */
  trace: string;
  /** Leave it running when the demo exits (--keep): not waited for by the event loop. */
  detached: boolean;
}

/** A QMP event with the time it was sent, in ms since the Unix epoch. */
export interface TimedEvent {
  atMs: number;
  event: QmpEvent;
}

export class ChildVm {
  readonly qmpPath: string;
  readonly serialPath: string;
  readonly logPath: string;
  /** Every event received, in order, with the server's timestamp. */
  readonly events: TimedEvent[] = [];
  #qmp: QmpClient | undefined;
  #exited: Promise<number | null>;
  #eventPump: AbortController | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    dir: string,
  ) {
    this.qmpPath = path.join(dir, `${name}.qmp`);
    this.serialPath = path.join(dir, `${name}.serial`);
    this.logPath = path.join(dir, `${name}.log`);
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      child.once('exit', (code) => {
        alive.delete(child);
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get qmp(): QmpClient {
    if (!this.#qmp) throw new Error(`${this.name}: QMP is not connected`);
    return this.#qmp;
  }

  /** Starts the process and connects QMP (with events recorded). */
  static async start(o: ChildVmOptions): Promise<ChildVm> {
    const qmpPath = path.join(o.dir, `${o.name}.qmp`);
    const logFd = openSync(path.join(o.dir, `${o.name}.log`), 'w');
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [
          CLI,
          'run',
          '-qmp',
          `unix:${qmpPath},server=on,wait=off`,
          '-serial',
          `file:${path.join(o.dir, `${o.name}.serial`)}`,
          ...o.args,
        ],
        {
          stdio: ['ignore', logFd, logFd],
          // Its own process group: a Ctrl-C at the terminal reaches only the
          // demo, which cancels the migration and then stops the VMs itself.
          detached: true,
          env: { ...process.env, LIVEMIG_TRACE: o.trace },
        },
      );
    } finally {
      closeSync(logFd);
    }
    installExitHook();
    alive.set(child, o.dir);
    const vm = new ChildVm(o.name, child, o.dir);
    if (o.detached) child.unref();
    await vm.#connect();
    return vm;
  }

  async #connect(): Promise<void> {
    for (let i = 0; ; i++) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`${this.name} VM exited at start-up: ${this.log().trim()}`);
      try {
        this.#qmp = await QmpClient.connect(this.qmpPath, {
          timeoutMs: 2000,
          commandTimeoutMs: 60_000,
        });
        break;
      } catch (e) {
        if (i > 400) throw new Error(`${this.name} VM: no QMP socket: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const pump = new AbortController();
    this.#eventPump = pump;
    const qmp = this.#qmp;
    void (async () => {
      for await (const event of qmp.events({ signal: pump.signal })) {
        const t = event.timestamp;
        this.events.push({ atMs: t.seconds * 1000 + t.microseconds / 1000, event });
      }
    })().catch(() => undefined);
  }

  /** What the process wrote on stderr/stdout so far (trace lines, errors). */
  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  serial(): string {
    return existsSync(this.serialPath) ? readFileSync(this.serialPath, 'latin1') : '';
  }

  /** Closes QMP but leaves the process running (--keep). */
  async detach(): Promise<void> {
    this.#eventPump?.abort();
    await this.#qmp?.close();
    alive.delete(this.child);
  }

  /** `quit`, then SIGKILL if it has not exited within `graceMs`. Resolves once it is gone. */
  async stop(graceMs = 5000): Promise<void> {
    this.#eventPump?.abort();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.#qmp?.execute('quit', undefined, { timeoutMs: graceMs }).catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#qmp?.close().catch(() => undefined);
  }
}
