/**
 * `npm run bench`: runs every bench in its own child process (so one bench's
 * hundreds of MiB of buffers and JIT state do not skew the next), then prints
 * one summary table. `node dist/bench/run.js decode inspect` runs a subset.
 * Benches verify their results and throw on a mismatch, but never assert
 * timings: a missed target is reported, not failed.
 */
import { fork } from 'node:child_process';
import process from 'node:process';
import { type BenchResult, printTable } from './lib.js';

const BENCHES = [
  'decode-pages',
  'encode-pages',
  'inspect-file',
  'xbzrle',
  'transport-pipe',
  'vm-ab',
  'vm-start',
  'qmp-rtt',
  'migrate-bulk',
  'migrate-ab',
  'migrate-switchover-ack',
  'initdata-prepare',
];

function runOne(name: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    let rows: BenchResult[] | undefined;
    const child = fork(new URL(`./${name}.js`, import.meta.url), [], { stdio: 'inherit' });
    child.on('message', (m) => (rows = (m as { rows: BenchResult[] }).rows));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && rows) resolve(rows);
      else reject(new Error(`bench ${name} failed (exit code ${code})`));
    });
  });
}

const filter = process.argv.slice(2);
const selected = BENCHES.filter((b) => filter.length === 0 || filter.some((f) => b.includes(f)));
const t0 = performance.now();
const all: BenchResult[] = [];
let failed = 0;
for (const name of selected) {
  console.log(`\n== ${name}`);
  try {
    all.push(...(await runOne(name)));
  } catch (e) {
    failed++;
    console.error((e as Error).message);
  }
}
console.log(
  `\nSummary (ratio = measured ÷ baseline throughput, same run; ` +
    `${((performance.now() - t0) / 1000).toFixed(0)} s, node ${process.version}):\n`,
);
printTable(all);
if (failed > 0) process.exitCode = 1;
