/**
 * A vCPU: a worker thread that runs its workload over guest RAM until told to
 * pause or quit (layout.ts describes the shared control words).
 *
 * Parking is a Dekker handshake with the main thread, which relies on Atomics
 * being sequentially consistent: main stores CMD=PAUSE then reads ACK; the vCPU
 * stores ACK=RUNNING then re-reads CMD before its first write. Either main sees
 * RUNNING and waits for PARKED, or the vCPU sees PAUSE and parks again, so once
 * main has seen every ACK=PARKED no vCPU can write.
 */
import { workerData } from 'node:worker_threads';
import { RamBlock } from '../ram-block.js';
import { SerialRing } from '../serial-ring.js';
import {
  AB_END_PAGE,
  AB_START_PAGE,
  Ack,
  CTL_CMD,
  CTL_PROGRESS,
  Cmd,
  STATE_SLOTS,
  Slot,
  ackIndex,
  doneIndex,
  vcpuShare,
} from './layout.js';
import type { VcpuWorkerData } from './layout.js';
import { BATCH, IDLE, PASS_END, abStep, fillStep, idleStep, randomStep } from './workloads.js';
import type { Step, VcpuPosition, WriteContext } from './workloads.js';

const d = workerData as VcpuWorkerData;
const ctl = new Int32Array(d.ctl);
const shared = new Float64Array(d.state, d.index * STATE_SLOTS * 8, STATE_SLOTS);
const ram = RamBlock.fromHandle(d.ram);
const serial = new SerialRing(d.serial);
const ACK = ackIndex(d.index);

// An `ab` guest whose RAM ends below 1 MiB + 1 page has nothing to increment: idle
// rather than race through empty passes printing 'B'.
const abEmpty = AB_START_PAGE >= Math.min(AB_END_PAGE, ram.pageCount);
const workload = d.workload === 'ab' && abEmpty ? 'idle' : d.workload;
const [lo, hi] = vcpuShare(d.workload, ram.pageCount, d.index, d.smp);

const ctx: WriteContext = {
  bytes: ram.views,
  words: ram.chunks.map((c) => new Int32Array(c)),
  shift: ram.chunkPageShift,
  mask: (1 << ram.chunkPageShift) - 1,
  bm: new Int32Array(d.dirty),
  pageCount: ram.pageCount,
  lo,
  hi,
};
const step: Step =
  workload === 'ab'
    ? abStep
    : workload === 'random'
      ? randomStep
      : workload === 'fill'
        ? fillStep
        : idleStep;
const batch = BATCH[workload];
/** What vCPU 0 prints once every vCPU has finished a pass. */
const passChar = workload === 'fill' ? 0x46 /* F */ : 0x42; /* B */

const s: VcpuPosition = { pass: 0, cursor: 0, prng: 0, pages: 0, waiting: 0 };

function load(): void {
  s.pass = shared[Slot.PASS]!;
  s.cursor = shared[Slot.CURSOR]!;
  s.prng = shared[Slot.PRNG]!;
  s.pages = shared[Slot.PAGES]!;
  s.waiting = shared[Slot.WAITING]!;
}

function save(): void {
  shared[Slot.PASS] = s.pass;
  shared[Slot.CURSOR] = s.cursor;
  shared[Slot.PRNG] = s.prng;
  shared[Slot.PAGES] = s.pages;
  shared[Slot.WAITING] = s.waiting;
}

/** Parks until RUN (true) or QUIT (false). State is saved before and reloaded after. */
function park(): boolean {
  save();
  for (;;) {
    Atomics.store(ctl, ACK, Ack.PARKED);
    Atomics.notify(ctl, ACK);
    let c: number;
    while ((c = Atomics.load(ctl, CTL_CMD)) === Cmd.PAUSE) Atomics.wait(ctl, CTL_CMD, Cmd.PAUSE);
    if (c === Cmd.QUIT) return false;
    Atomics.store(ctl, ACK, Ack.RUNNING);
    if (Atomics.load(ctl, CTL_CMD) === Cmd.RUN) break;
  }
  load();
  return true;
}

/** Every vCPU has completed at least as many passes as this one. */
function barrierOpen(): boolean {
  const mine = (s.pass % 2 ** 32) | 0;
  for (let j = 0; j < d.smp; j++) {
    if (((Atomics.load(ctl, doneIndex(j)) - mine) | 0) < 0) return false;
  }
  return true;
}

// Token bucket for dirty-rate: refills at pagesPerSec, holds at most 50 ms worth.
const rate = d.pagesPerSec;
const burst = Math.max(1, rate * 0.05);
let tokens = 0;
let last = performance.now();

function run(): void {
  load(); // main wrote the initial position before spawning this worker
  if (!park()) return;
  last = performance.now();
  for (;;) {
    if (Atomics.load(ctl, CTL_CMD) !== Cmd.RUN) {
      if (!park()) return;
      tokens = 0;
      last = performance.now();
      continue;
    }
    if (s.waiting !== 0) {
      const seen = Atomics.load(ctl, CTL_PROGRESS);
      if (!barrierOpen()) {
        // Main notifies PROGRESS too when it changes CMD, so a pause wakes this.
        Atomics.wait(ctl, CTL_PROGRESS, seen, 50);
        continue;
      }
      if (d.index === 0 && !serial.tryPut(passChar)) {
        Atomics.wait(ctl, CTL_CMD, Cmd.RUN, 1); // ring full: let the main thread drain
        continue;
      }
      s.waiting = 0;
      save();
      continue;
    }
    let budget: number = batch;
    if (rate > 0) {
      const now = performance.now();
      tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
      last = now;
      if (tokens < 1) {
        // Sleep on CMD so a stop or quit wakes the vCPU at once.
        Atomics.wait(ctl, CTL_CMD, Cmd.RUN, Math.max(1, ((1 - tokens) * 1000) / rate));
        continue;
      }
      budget = Math.min(batch, Math.floor(tokens));
    }
    const n = step(ctx, s, budget);
    if (n === IDLE) {
      save();
      Atomics.wait(ctl, CTL_CMD, Cmd.RUN);
      continue;
    }
    if (n === PASS_END) {
      save();
      Atomics.store(ctl, doneIndex(d.index), (s.pass % 2 ** 32) | 0);
      Atomics.add(ctl, CTL_PROGRESS, 1);
      Atomics.notify(ctl, CTL_PROGRESS);
      continue;
    }
    tokens -= n;
    save();
  }
}

run();
save();
Atomics.store(ctl, ACK, Ack.EXITED);
Atomics.notify(ctl, ACK);
