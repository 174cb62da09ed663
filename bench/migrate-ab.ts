/**
 * Live migration of a running `ab` guest, against QEMU 7.2's figures for the same
 * guest (../shared/reference/qemu-7.2-observed.md, scenario a-256M-dl300: TCG,
 * 256 MiB, downtime-limit 300 ms, events only, max-bandwidth 100 GiB/s; medians
 * total-time 977 ms, downtime 79 ms, guest pause STOP → RESUME 85 ms).
 *
 * Dirty rate: QEMU's guest adds 1 to the first byte of each of the 25,344 pages
 * in [1 MiB, 100 MiB) per pass and ran 692 passes/s (median of "guest passes/s
 * before", 676 / 692 / 698) before migrating, so it wrote
 * 692 × 25,344 = 17,538,048 pages/s. livemig's `ab` does the same writes over
 * the same pages, and `dirty-rate` caps its page writes per second, so
 * `dirty-rate=17538048` gives the same pass rate (unthrottled it runs ~50 M
 * pages/s here, see vm-ab). The pass rate actually reached is measured from
 * the serial port before each migration and reported.
 *
 * Per round: a fresh source (`-m 256M -machine testvm,workload=ab,dirty-rate=…`)
 * runs 0.5 s (its pass rate is measured), then migrates to a destination started with the same options and
 * `-incoming` whose RAM pre-fault has finished (all destinations are started up
 * front, so their pre-faults overlap and stay out of the timings). Same
 * capabilities and parameters as QEMU's run: events, downtime-limit 300,
 * max-bandwidth 100 GiB/s, no return-path. One warm-up round, then medians.
 *
 * Ratios are QEMU's time ÷ livemig's time (above 1 = faster than QEMU). The
 * QEMU figures come from another run, on this machine class, not this run.
 *
 * Verification per round: the destination runs and prints 'B' after RESUME;
 * then it is stopped and both RAMs dumped (pmemsave). Outside the ab pages, and
 * beyond byte 0 of each ab page, both are all zero; byte 0 forms ab's pattern (at
 * most two adjacent values, split at the pass cursor) on each side, and the
 * destination is ahead of the source by the same number of passes on every page
 * (±1 across the two cursors), so no page was lost or stale.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { migrate, startVm, UNLIMITED, waitSerial, type Vm } from './migrate-common.js';
import { type BenchResult, benchMain, fmtMs, median, MiB, PAGE, spread, verify } from './lib.js';

const ROUNDS = Number(process.env.MIGRATE_AB_ROUNDS ?? 3);
const WARMUP = 1;
const MEM = 256 * MiB;
const QEMU_PASSES_PER_S = 692;
const AB_LO = MiB / PAGE;
const AB_HI = (100 * MiB) / PAGE;
const DIRTY_RATE = QEMU_PASSES_PER_S * (AB_HI - AB_LO); // 17,538,048 pages/s
const MACHINE = `testvm,workload=ab,dirty-rate=${DIRTY_RATE}`;
/** How long the source runs before `migrate`, to measure its pass rate. */
const RATE_WINDOW_MS = 500;
const QEMU = { totalMs: 977, downtimeMs: 79, pauseMs: 85 };

/** Byte 0 of each ab page, after checking every other byte of the dump is zero. */
function abBytes(file: string, what: string): Uint8Array {
  const ram = readFileSync(file);
  verify(ram.length === MEM, `${what}: dump is 256 MiB`);
  const w = new BigUint64Array(ram.buffer, ram.byteOffset, ram.length / 8);
  const out = new Uint8Array(AB_HI - AB_LO);
  for (let p = 0; p < MEM / PAGE; p++) {
    const at = p * (PAGE / 8);
    let first = w[at]!;
    if (p >= AB_LO && p < AB_HI) {
      out[p - AB_LO] = ram[p * PAGE]!;
      first &= ~0xffn; // little-endian: the low byte is the page's first byte
    }
    let acc = first;
    for (let i = at + 1; i < at + PAGE / 8; i++) acc |= w[i]!;
    verify(acc === 0n, `${what}: page ${p} holds only ab's counter byte`);
  }
  return out;
}

/** ab's pattern: pages [lo, c) one pass ahead of [c, hi), mod 256. */
function checkStep(b: Uint8Array, what: string): void {
  let steps = 0;
  for (let i = 1; i < b.length; i++) {
    const d = (b[i - 1]! - b[i]!) & 0xff;
    verify(d === 0 || d === 1, `${what}: ab counters at pages ${i - 1}/${i} differ by ${d}`);
    steps += d;
  }
  verify(steps <= 1, `${what}: ab counters show ${steps} pass boundaries`);
}

interface Round {
  totalMs: number;
  downtimeMs: number;
  pauseMs: number;
  passesPerS: number;
  passes: number;
}

async function round(dst: Vm, dir: string, r: number): Promise<Round> {
  const src = await startVm({ dir, name: `src${r}`, mem: '256M', machine: MACHINE, serial: true });
  try {
    await src.configure(['events'], { 'max-bandwidth': UNLIMITED, 'downtime-limit': 300 });
    await dst.configure(['events'], {});
    await waitSerial(src, 'B');
    const b0 = src.serial().length;
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, RATE_WINDOW_MS));
    const passesPerS = ((src.serial().length - b0) * 1000) / (performance.now() - t0);
    const res = await migrate(src, dst, true);
    verify(res.pauseMs !== undefined, 'STOP and RESUME events seen');
    const passes = res.ram['dirty-sync-count']!;
    // The destination guest keeps running ab: new 'B's after the switchover.
    await waitSerial(dst, 'B', dst.serial().length + 2);
    verify((await dst.status()) === 'running', 'destination running');
    await dst.exec('stop');
    verify((await src.status()) === 'postmigrate', 'source in postmigrate');
    const sd = path.join(dir, `src${r}.bin`);
    const dd = path.join(dir, `dst${r}.bin`);
    await src.exec('pmemsave', { val: 0, size: MEM, filename: sd });
    await dst.exec('pmemsave', { val: 0, size: MEM, filename: dd });
    const s = abBytes(sd, 'source');
    const d = abBytes(dd, 'destination');
    rmSync(sd);
    rmSync(dd);
    checkStep(s, 'source');
    checkStep(d, 'destination');
    const ahead = new Set<number>();
    for (let i = 0; i < s.length; i++) ahead.add((d[i]! - s[i]!) & 0xff);
    const a = [...ahead].sort((x, y) => x - y);
    verify(
      a.length <= 2 && (a.length < 2 || a[1]! - a[0]! === 1 || (a[0] === 0 && a[1] === 255)),
      `destination ahead of source by one pass count on every page (saw ${a.join(',')})`,
    );
    return {
      totalMs: res.totalMs,
      downtimeMs: res.downtimeMs,
      pauseMs: res.pauseMs,
      passesPerS,
      passes,
    };
  } finally {
    await src.quit();
    await dst.quit();
  }
}

async function run(): Promise<BenchResult[]> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(path.join(base, 'livemig-bench-ab-'));
  const dsts: Promise<Vm>[] = [];
  const rounds: Round[] = [];
  let prefault: number[] = [];
  try {
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      dsts.push(
        startVm({
          dir,
          name: `dst${r}`,
          mem: '256M',
          machine: MACHINE,
          incoming: true,
          serial: true,
        }),
      );
    }
    prefault = await Promise.all(dsts.map(async (d) => (await d).prefaultMs));
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const res = await round(await dsts[r]!, dir, r);
      if (r >= WARMUP) rounds.push(res);
    }
  } finally {
    await Promise.all(dsts.map(async (d) => (await d.catch(() => undefined))?.quit()));
    rmSync(dir, { recursive: true, force: true });
  }
  const total = rounds.map((x) => x.totalMs);
  const down = rounds.map((x) => x.downtimeMs);
  const pause = rounds.map((x) => x.pauseMs);
  const pps = median(rounds.map((x) => x.passesPerS));
  console.log(
    `migrate-ab: ${WARMUP + ROUNDS} destinations pre-faulted 256 MiB each, concurrently, ` +
      `in ${spread(prefault)} (untimed)`,
  );
  return [
    {
      name: 'migrate ab 256M live: total-time vs QEMU 7.2',
      measured: `${fmtMs(median(total))} (${spread(total)})`,
      baseline: `${QEMU.totalMs} ms QEMU median`,
      ratio: QEMU.totalMs / median(total),
      target: 'info',
    },
    {
      name: 'migrate ab 256M live: downtime vs QEMU 7.2',
      measured: `${fmtMs(median(down))} (${spread(down)})`,
      baseline: `${QEMU.downtimeMs} ms QEMU median`,
      ratio: QEMU.downtimeMs / median(down),
      target: 'info',
    },
    {
      name: 'migrate ab 256M live: guest pause STOP→RESUME',
      measured: `${fmtMs(median(pause))} (${spread(pause)})`,
      baseline: `${QEMU.pauseMs} ms QEMU median`,
      ratio: QEMU.pauseMs / median(pause),
      target: 'info',
    },
    {
      name: 'migrate ab 256M: guest passes/s before migrate',
      measured: `${pps.toFixed(0)} passes/s, dirty-sync-count ${median(rounds.map((x) => x.passes))}`,
      baseline: `${QEMU_PASSES_PER_S} passes/s QEMU`,
      ratio: pps / QEMU_PASSES_PER_S,
      target: 'info',
    },
  ];
}

await benchMain(import.meta.url, run);
