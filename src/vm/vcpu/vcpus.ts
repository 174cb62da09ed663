/**
 * The main thread's side of the vCPU workers: spawn, pause (resolves once no
 * vCPU can write), resume, quit, and the vCPU state while parked.
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode, LivemigError } from '../../errors.js';
import type { RamBlock } from '../ram-block.js';
import { HELPER_WORKER_LIMITS } from '../worker-limits.js';
import {
  Ack,
  CTL_CMD,
  CTL_PROGRESS,
  Cmd,
  MAX_VCPUS,
  STATE_SLOTS,
  Slot,
  ackIndex,
  ctlBytes,
  doneIndex,
  seedFor,
  vcpuShare,
} from './layout.js';
import type { VcpuWorkerData, WorkloadName } from './layout.js';
import type { VcpuPosition } from './workloads.js';

export interface VcpuSetOptions {
  readonly smp: number;
  readonly workload: WorkloadName;
  /** Whole-VM cap in pages/s, split evenly between vCPUs; 0 = none. */
  readonly dirtyRatePagesPerSec: number;
  readonly ram: RamBlock;
  readonly dirtyBuffer: SharedArrayBuffer;
  readonly serialBuffer: SharedArrayBuffer;
  /** A vCPU died: an uncaught error, or an exit nobody asked for. Called once per vCPU. */
  readonly onCrash: (index: number, error: Error) => void;
}

/** Atomics.waitAsync is in Node 20 but not in TypeScript's ES2023 lib. */
type WaitAsync = (
  ta: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** How long to wait for a quitting worker before terminating it. */
const QUIT_GRACE_MS = 5000;

export class VcpuSet {
  readonly smp: number;
  readonly workload: WorkloadName;
  readonly workers: readonly Worker[];
  readonly #ctl: Int32Array;
  readonly #state: Float64Array;
  readonly #exited: boolean[];
  readonly #exits: Promise<void>[];
  #quitting = false;
  #parked = true;

  private constructor(o: VcpuSetOptions) {
    if (!Number.isInteger(o.smp) || o.smp < 1 || o.smp > MAX_VCPUS) {
      throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Invalid number of CPUs: ${o.smp}`);
    }
    this.smp = o.smp;
    this.workload = o.workload;
    const ctlBuf = new SharedArrayBuffer(ctlBytes(o.smp));
    const stateBuf = new SharedArrayBuffer(o.smp * STATE_SLOTS * 8);
    this.#ctl = new Int32Array(ctlBuf);
    this.#state = new Float64Array(stateBuf);
    // Workers start parked: nothing runs until resume().
    Atomics.store(this.#ctl, CTL_CMD, Cmd.PAUSE);
    for (let i = 0; i < o.smp; i++) {
      const [lo] = vcpuShare(o.workload, o.ram.pageCount, i, o.smp);
      this.setPosition(i, { pass: 0, cursor: lo, prng: seedFor(i), pages: 0, waiting: 0 });
      Atomics.store(this.#ctl, ackIndex(i), Ack.RUNNING);
    }
    this.#exited = Array.from({ length: o.smp }, () => false);
    const workers: Worker[] = [];
    this.#exits = [];
    for (let i = 0; i < o.smp; i++) {
      const data: VcpuWorkerData = {
        index: i,
        smp: o.smp,
        workload: o.workload,
        pagesPerSec: o.dirtyRatePagesPerSec / o.smp,
        ram: o.ram.handle(),
        dirty: o.dirtyBuffer,
        ctl: ctlBuf,
        state: stateBuf,
        serial: o.serialBuffer,
      };
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: data,
        name: `CPU ${i}/TCG`,
        resourceLimits: HELPER_WORKER_LIMITS,
      });
      let reported = false;
      const crash = (e: Error): void => {
        if (reported) return;
        reported = true;
        o.onCrash(i, e);
      };
      w.on('error', (e) => crash(e));
      this.#exits.push(
        new Promise((resolve) =>
          w.once('exit', (code) => {
            this.#exited[i] = true;
            if (!this.#quitting) {
              crash(new LivemigError(ErrorCode.BAD_STATE, `vCPU ${i} exited (code ${code})`));
            }
            resolve();
          }),
        ),
      );
      workers.push(w);
    }
    this.workers = workers;
  }

  /** Spawns the workers and waits until each is parked, before any guest write. */
  static async create(o: VcpuSetOptions): Promise<VcpuSet> {
    const set = new VcpuSet(o);
    await set.#waitParked();
    return set;
  }

  /** True while every vCPU is parked (or dead): nothing writes guest RAM. */
  get parked(): boolean {
    return this.#parked;
  }

  /** Page writes so far, all vCPUs (read live; exact while parked). */
  pagesWritten(): number {
    let n = 0;
    for (let i = 0; i < this.smp; i++) n += this.#state[i * STATE_SLOTS + Slot.PAGES]!;
    return n;
  }

  resume(): void {
    if (this.#quitting) throw new LivemigError(ErrorCode.BAD_STATE, 'vCPUs have quit');
    this.#parked = false;
    Atomics.store(this.#ctl, CTL_CMD, Cmd.RUN);
    Atomics.notify(this.#ctl, CTL_CMD);
  }

  /** Resolves once every vCPU is parked or dead, i.e. none can write any more. */
  async pause(): Promise<void> {
    if (this.#quitting) return;
    this.#setCmd(Cmd.PAUSE);
    await this.#waitParked();
    this.#parked = true;
  }

  async #waitParked(): Promise<void> {
    for (let i = 0; i < this.smp; i++) {
      const idx = ackIndex(i);
      for (;;) {
        const a = Atomics.load(this.#ctl, idx);
        if (a === Ack.PARKED || a === Ack.EXITED) break;
        if (this.#exited[i]) {
          await this.#exits[i];
          break;
        }
        // A timeout so a worker that dies without acknowledging is noticed.
        const r = waitAsync(this.#ctl, idx, a, 100);
        if (r.async) await r.value;
      }
    }
  }

  #setCmd(cmd: number): void {
    Atomics.store(this.#ctl, CTL_CMD, cmd);
    Atomics.notify(this.#ctl, CTL_CMD);
    // Wakes vCPUs waiting at the pass barrier, so they see the new command.
    Atomics.notify(this.#ctl, CTL_PROGRESS);
  }

  /** Stops and joins every worker. Idempotent. */
  async quit(): Promise<void> {
    if (!this.#quitting) {
      this.#quitting = true;
      this.#setCmd(Cmd.QUIT);
    }
    const all = Promise.all(this.#exits);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), QUIT_GRACE_MS)));
    if ((await Promise.race([all, late])) === 'late') {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
    clearTimeout(timer);
    this.#parked = true;
  }

  #requireParked(what: string): void {
    if (!this.#parked) {
      throw new LivemigError(ErrorCode.BAD_STATE, `vCPU state can only be ${what} while stopped`);
    }
  }

  #checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.smp) {
      throw new LivemigError(ErrorCode.INVALID_PARAMETER, `No vCPU ${i}`);
    }
  }

  getPosition(i: number): VcpuPosition {
    this.#checkIndex(i);
    this.#requireParked('read');
    const b = i * STATE_SLOTS;
    const st = this.#state;
    return {
      pass: st[b + Slot.PASS]!,
      cursor: st[b + Slot.CURSOR]!,
      prng: st[b + Slot.PRNG]!,
      pages: st[b + Slot.PAGES]!,
      waiting: st[b + Slot.WAITING]!,
    };
  }

  /** Sets vCPU i's position (and its barrier count, which the others read). */
  setPosition(i: number, p: VcpuPosition): void {
    this.#checkIndex(i);
    this.#requireParked('set');
    const b = i * STATE_SLOTS;
    const st = this.#state;
    st[b + Slot.PASS] = p.pass;
    st[b + Slot.CURSOR] = p.cursor;
    st[b + Slot.PRNG] = p.prng;
    st[b + Slot.PAGES] = p.pages;
    st[b + Slot.WAITING] = p.waiting;
    Atomics.store(this.#ctl, doneIndex(i), (p.pass % 2 ** 32) | 0);
  }
}
