/**
 * Bulk migration throughput (issue 4, "Speed"): a paused 1 GiB testvm whose RAM
 * the `fill` workload made non-zero (wait for 'F' on the serial port, then
 * `stop`), migrated over loopback TCP with max-bandwidth "unlimited" (100 GiB/s)
 * to a `livemig run -incoming` destination whose RAM pre-fault has finished.
 * Capabilities: events and return-path, so the source's total-time runs until
 * the destination has loaded everything and answered SHUT (end to end, like the
 * baseline's "receiver reports the last byte").
 *
 *   measured   RAM bytes (1 GiB) ÷ the source's query-migrate total-time
 *   baseline   1 GiB through a raw loopback socket to a receiver process, same run:
 *              "plain" (1 MiB writes, receiver counts 'data' events) and
 *              "onread" (receiver reads into one static 1 MiB buffer: the ceiling)
 *   target     ≥ 0.80× the plain pipe (the onread ratio is reported too)
 *
 * Variants are interleaved per round (plain, onread, migration); medians. The
 * source is filled once and reused: after each migration it is `cont`-ed out of
 * postmigrate (fill has finished, so it writes nothing) and stopped again. Each
 * round gets a fresh destination; its pre-fault time is reported separately and
 * is not part of any timing. Verification per round: the stream carried every
 * page as a full page (ram.normal), and the destination's RAM, dumped with
 * pmemsave, equals the source's dump byte for byte.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { migrate, startVm, UNLIMITED, waitSerial, type Vm } from './migrate-common.js';
import {
  type BenchResult,
  benchMain,
  fmtMs,
  fmtRate,
  GiB,
  median,
  MiB,
  PAGE,
  pseudoRandom,
  spread,
  verify,
} from './lib.js';
import { rawPipeReceiver } from './raw-pipe-receiver.js';

const ROUNDS = Number(process.env.MIGRATE_BULK_ROUNDS ?? 3);
const MEM = GiB;

type PipeVariant = 'plain' | 'onread';

// ---- raw pipe receiver (child process): bench/raw-pipe-receiver.ts ----
function receiver(v: PipeVariant): void {
  rawPipeReceiver(v === 'plain' ? 'data' : 'onread', GiB);
}

const SRC = pseudoRandom(64 * MiB);

/** ms from the first write until the receiver process has counted 1 GiB. */
async function pipeRound(v: PipeVariant): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['recv', v]);
  try {
    const port = await new Promise<number>((r) =>
      child.once('message', (m: { port: number }) => r(m.port)),
    );
    const got = new Promise<number>((r) => child.once('message', (m: { got: number }) => r(m.got)));
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => s.once('connect', r));
    const t0 = performance.now();
    for (let off = 0; off < GiB; off += MiB) {
      const o = off % SRC.length;
      if (!s.write(SRC.subarray(o, o + MiB))) await new Promise((r) => s.once('drain', r));
    }
    s.end();
    const n = await got;
    const ms = performance.now() - t0;
    verify(n === GiB, `${v} pipe: received ${n} of ${GiB} bytes`);
    return ms;
  } finally {
    child.kill();
  }
}

/** Byte-for-byte comparison of two files of `size` bytes. */
function sameFiles(a: string, b: string, size: number): boolean {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const ba = Buffer.allocUnsafe(4 * MiB);
    const bb = Buffer.allocUnsafe(4 * MiB);
    for (let off = 0; off < size; off += ba.length) {
      const na = readSync(fa, ba, 0, ba.length, off);
      const nb = readSync(fb, bb, 0, bb.length, off);
      if (na !== nb || na === 0 || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

interface MigRound {
  totalMs: number;
  wallMs: number;
  /** spawn → ram_prefault_done, all destinations pre-faulting at once, beside the fill. */
  prefaultMs: number;
  downtimeMs: number;
  /** CPU time (all threads) each process used during the migration. */
  srcCpuMs: number;
  dstCpuMs: number;
}

async function migrationRound(
  src: Vm,
  dst: Vm,
  dir: string,
  r: number,
  srcDump: string,
): Promise<MigRound> {
  try {
    const prefaultMs = await dst.prefaultMs;
    await dst.configure(['events', 'return-path'], {});
    if ((await src.status()) === 'postmigrate') {
      await src.exec('cont');
      await src.exec('stop');
    }
    verify((await src.status()) === 'paused', 'source paused before migrate');
    const c0 = [src.cpuMs(), dst.cpuMs()];
    const res = await migrate(src, dst, false);
    const cpu = [src.cpuMs() - c0[0]!, dst.cpuMs() - c0[1]!];
    verify(res.ram.normal === MEM / PAGE, `all pages sent as data (normal=${res.ram.normal})`);
    verify(res.ram.total === MEM, 'ram.total is 1 GiB');
    const dump = path.join(dir, `dst${r}.bin`);
    await dst.exec('pmemsave', { val: 0, size: MEM, filename: dump });
    verify(sameFiles(srcDump, dump, MEM), `round ${r}: destination RAM equals source RAM`);
    rmSync(dump);
    return {
      totalMs: res.totalMs,
      wallMs: res.wallMs,
      prefaultMs,
      downtimeMs: res.downtimeMs,
      srcCpuMs: cpu[0]!,
      dstCpuMs: cpu[1]!,
    };
  } finally {
    await dst.quit();
  }
}

const pct = (xs: number[]): string => `${(median(xs) * 100).toFixed(0)} %`;

async function run(): Promise<BenchResult[]> {
  // RAM dumps go to tmpfs when there is one: 1 GiB each, deleted after use.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(path.join(base, 'livemig-bench-bulk-'));
  let src: Vm | undefined;
  const dsts: Promise<Vm>[] = [];
  const times = { plain: [] as number[], onread: [] as number[], mig: [] as MigRound[] };
  let fillMs = 0;
  try {
    // Every round's destination starts now, so their RAM pre-faults (seconds per
    // GiB here) overlap with the source's fill and stay out of the measurements.
    for (let r = 0; r < ROUNDS; r++) {
      dsts.push(
        startVm({
          dir,
          name: `dst${r}`,
          mem: '1G',
          machine: 'testvm,workload=fill',
          incoming: true,
        }),
      );
    }
    const t0 = performance.now();
    src = await startVm({
      dir,
      name: 'src',
      mem: '1G',
      machine: 'testvm,workload=fill',
      serial: true,
    });
    await waitSerial(src, 'F');
    fillMs = performance.now() - t0;
    await src.exec('stop');
    await src.configure(['events', 'return-path'], { 'max-bandwidth': UNLIMITED });
    const srcDump = path.join(dir, 'src.bin');
    await src.exec('pmemsave', { val: 0, size: MEM, filename: srcDump });
    await Promise.all(dsts.map(async (d) => (await d).prefaultMs));
    // Warm-up: one round of each pipe (cheap); the migration rounds are all kept.
    for (let r = -1; r < ROUNDS; r++) {
      const plain = await pipeRound('plain');
      const onread = await pipeRound('onread');
      if (r < 0) continue;
      times.plain.push(plain);
      times.onread.push(onread);
      times.mig.push(await migrationRound(src, await dsts[r]!, dir, r, srcDump));
    }
  } finally {
    await src?.quit();
    await Promise.all(dsts.map(async (d) => (await d.catch(() => undefined))?.quit()));
    rmSync(dir, { recursive: true, force: true });
  }
  const total = times.mig.map((m) => m.totalMs);
  const wall = times.mig.map((m) => m.wallMs);
  const prefault = times.mig.map((m) => m.prefaultMs);
  const down = times.mig.map((m) => m.downtimeMs);
  console.log(
    `migrate-bulk: source fill (spawn → 'F') ${fmtMs(fillMs)}; ${ROUNDS} destinations ` +
      `pre-faulted 1 GiB each concurrently with it in ${spread(prefault)}; ` +
      `downtime ${spread(down)}; CPU busy during the migration (÷ wall): source ` +
      `${pct(times.mig.map((m) => m.srcCpuMs / m.wallMs))}, destination ` +
      `${pct(times.mig.map((m) => m.dstCpuMs / m.wallMs))}`,
  );
  const migRate = MEM / median(total);
  const plainRate = GiB / median(times.plain);
  const onreadRate = GiB / median(times.onread);
  const showMig = `${fmtRate(MEM, median(total))} (total-time ${spread(total)})`;
  const ratio = migRate / plainRate;
  return [
    {
      name: 'migrate 1 GiB paused, vs raw plain pipe',
      measured: showMig,
      baseline: `${fmtRate(GiB, median(times.plain))} (${spread(times.plain)})`,
      ratio,
      target: '≥ 0.80',
      ok: ratio >= 0.8,
    },
    {
      name: 'migrate 1 GiB paused, vs raw onread ceiling',
      measured: showMig,
      baseline: `${fmtRate(GiB, median(times.onread))} (${spread(times.onread)})`,
      ratio: migRate / onreadRate,
      target: 'info',
    },
    {
      name: 'migrate 1 GiB: wall (migrate → dst completed) vs plain',
      measured: `${fmtRate(MEM, median(wall))} (${spread(wall)})`,
      baseline: `${fmtRate(GiB, median(times.plain))}`,
      ratio: MEM / median(wall) / plainRate,
      target: 'info',
    },
    {
      name: 'migrate 1 GiB: dst RAM pre-fault rate (untimed)',
      measured: `${fmtRate(MEM, median(prefault))} (${spread(prefault)})`,
      baseline: `${fmtRate(MEM, median(total))} migration`,
      ratio: median(total) / median(prefault),
      target: 'info',
    },
  ];
}

if (process.argv[2] === 'recv') {
  receiver(process.argv[3] as PipeVariant);
} else {
  await benchMain(import.meta.url, run);
}
