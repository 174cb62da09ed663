/**
 * The memory the main thread and the vCPU workers share to coordinate, and the
 * workload names. Kept in one place so both sides agree on every index.
 *
 * ctl (Int32Array):
 *   CMD        what the vCPUs must do: RUN, PAUSE or QUIT (main writes, workers wait on it)
 *   PROGRESS   bumped by a vCPU that finished a pass; the pass barrier waits on it
 *   ACK+i      vCPU i: RUNNING, PARKED or EXITED (worker writes, main waits on it)
 *   DONE+i     vCPU i's completed pass count (mod 2^32), for the pass barrier
 * state (Float64Array, STATE_SLOTS per vCPU): the workload's position, published
 *   after every batch and authoritative while the vCPU is parked.
 */

/**
 * The most vCPUs a testvm has: each is a worker thread with its own V8 isolate
 * (~10 MiB), so this is the machine's max_cpus, and `-smp` beyond it is
 * refused with QEMU's "Invalid SMP CPUs" text.
 */
export const MAX_VCPUS = 64;

export const Cmd = { RUN: 0, PAUSE: 1, QUIT: 2 } as const;
export const Ack = { RUNNING: 0, PARKED: 1, EXITED: 2 } as const;

export const CTL_CMD = 0;
export const CTL_PROGRESS = 1;
const CTL_HEADER = 4;
export const ackIndex = (i: number): number => CTL_HEADER + 2 * i;
export const doneIndex = (i: number): number => CTL_HEADER + 2 * i + 1;
export const ctlBytes = (smp: number): number => (CTL_HEADER + 2 * smp) * 4;

export const Slot = {
  /** Completed passes over this vCPU's share (ab), 1 once filled (fill). */
  PASS: 0,
  /** Next page this vCPU writes (absolute page number in the block). */
  CURSOR: 1,
  /** xorshift32 state, never 0. */
  PRNG: 2,
  /** Page writes done so far (counts every write, marked or not). */
  PAGES: 3,
  /** 1 while the vCPU waits at the pass barrier with its share of the pass done. */
  WAITING: 4,
} as const;
export const STATE_SLOTS = 8;

/** Workloads by name; the number is what the vCPU state records. */
export const Workload = { ab: 1, random: 2, fill: 3, idle: 4 } as const;
export type WorkloadName = keyof typeof Workload;

export function isWorkloadName(s: string): s is WorkloadName {
  return Object.prototype.hasOwnProperty.call(Workload, s);
}

/** QEMU's migration-test guest range: [1 MiB, 100 MiB) in 4 KiB pages. */
export const AB_START_PAGE = (1 << 20) >>> 12;
export const AB_END_PAGE = (100 << 20) >>> 12;

/** Pages [lo, hi) of `total` (a range start..end) that vCPU `i` of `n` owns: contiguous, balanced. */
export function shareOf(start: number, end: number, i: number, n: number): [number, number] {
  const total = Math.max(0, end - start);
  return [start + Math.floor((i * total) / n), start + Math.floor(((i + 1) * total) / n)];
}

/** The per-vCPU PRNG seed: distinct per vCPU, fixed, never 0. */
export function seedFor(index: number): number {
  return Math.imul(0x9e3779b9, index + 1) >>> 0 || 1;
}

export interface VcpuWorkerData {
  readonly index: number;
  readonly smp: number;
  readonly workload: WorkloadName;
  /** 0 = unlimited; else this vCPU's share of the VM's dirty-rate (pages/s). */
  readonly pagesPerSec: number;
  readonly ram: import('../ram-block.js').RamBlockHandle;
  readonly dirty: SharedArrayBuffer;
  readonly ctl: SharedArrayBuffer;
  readonly state: SharedArrayBuffer;
  readonly serial: SharedArrayBuffer;
}

/**
 * The pages vCPU `i` of `smp` writes. `ab`: its slice of [1 MiB, 100 MiB) clipped
 * to RAM; `fill`: its slice of the whole block; `random` uses the whole block and
 * `idle` nothing, their share only seeds the cursor.
 */
export function vcpuShare(
  workload: WorkloadName,
  pageCount: number,
  i: number,
  smp: number,
): [number, number] {
  return workload === 'ab'
    ? shareOf(AB_START_PAGE, Math.min(AB_END_PAGE, pageCount), i, smp)
    : shareOf(0, pageCount, i, smp);
}
