/**
 * The `ab` workload's page-write rate per vCPU, against a plain single-thread
 * loop writing the same pages (first byte +1, no dirty marking) in this process.
 * Also reports start-up time and RSS of a 4 GiB VM. Pages are touched once
 * before timing so first-touch faults stay out of both figures.
 */
import { type BenchResult, GiB, MiB, benchMain, verify } from './lib.js';
import { RamBlock } from '../src/vm/ram-block.js';
import { createTestVm } from '../src/vm/testvm.js';

const RUN_MS = 1000;

function plainLoop(ram: RamBlock, lo: number, hi: number, ms: number): number {
  const views = ram.views;
  const shift = ram.chunkPageShift;
  const mask = (1 << shift) - 1;
  let pages = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let p = lo; p < hi; p++) {
      const v = views[p >>> shift]!;
      const off = (p & mask) * 4096;
      v[off] = v[off]! + 1;
    }
    pages += hi - lo;
  }
  return pages;
}

async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const ramSize = 128 * MiB;
  const vm = await createTestVm({ ramSize, startPaused: true });
  vm.ram[0]!.prefault();
  const base = plainLoop(vm.ram[0]!, 256, 25600, RUN_MS) / (RUN_MS / 1000);
  const p0 = vm.vcpus.pagesWritten();
  const t0 = performance.now();
  await vm.cont();
  await new Promise((r) => setTimeout(r, RUN_MS));
  await vm.stop();
  const abRate = (vm.vcpus.pagesWritten() - p0) / ((performance.now() - t0) / 1000);
  await vm.quit();
  verify(abRate > 0, 'ab wrote pages');
  console.log(
    `  ab 1 vCPU: ${(abRate / 1e6).toFixed(1)} M pages/s; plain: ${(base / 1e6).toFixed(1)} M`,
  );
  rows.push({
    name: 'vm ab page writes, 1 vCPU (dirty marking)',
    measured: `${(abRate / 1e6).toFixed(1)} M pages/s`,
    baseline: `${(base / 1e6).toFixed(1)} M plain loop`,
    ratio: abRate / base,
    target: '≥ 0.50',
    ok: abRate / base >= 0.5,
  });

  const rss0 = process.memoryUsage().rss;
  const t1 = performance.now();
  const big = await createTestVm({ ramSize: 4 * GiB, startPaused: true });
  const startMs = performance.now() - t1;
  const rssMiB = (process.memoryUsage().rss - rss0) / MiB;
  await big.quit();
  console.log(`  4 GiB VM start: ${startMs.toFixed(0)} ms, RSS +${rssMiB.toFixed(0)} MiB`);
  rows.push({
    name: 'vm 4 GiB start-up',
    measured: `${startMs.toFixed(0)} ms, RSS +${rssMiB.toFixed(0)} MiB`,
    baseline: '2000 ms',
    ratio: 2000 / startMs,
    target: '≥ 1.00',
    ok: startMs < 2000,
  });
  return rows;
}

await benchMain(import.meta.url, run);
