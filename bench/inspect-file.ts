/**
 * Issue requirement: `livemig inspect` handles a 1 GiB stream "in a few seconds"
 * and streams it (memory stays flat).
 *
 * A ~1 GiB QEMU-format stream file (1152 MiB of guest RAM, 1 page in 8 a ZERO
 * record, the rest non-zero PAGE records) is written to os.tmpdir(). Measured,
 * interleaved, with the file in the page cache:
 *   inspectFile(file)                  vs reading the file with fs.readSync in 4 MiB chunks;
 *   inspectFile(file, { dumpRam })     vs reading it and writing the same bytes to a file.
 * The file is fsynced once after writing; outputs are deleted before each round.
 * The dumped pc.ram.bin must hash to the source RAM's SHA-1. Peak RSS above the
 * level before each call is sampled from a worker. Ratio = baseline time ÷ time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import { inspectFile } from '../src/inspect/inspect-file.js';
import {
  benchMain,
  type BenchResult,
  fillGuestPages,
  GiB,
  interleave,
  median,
  MiB,
  PAGE,
  spread,
  verify,
} from './lib.js';
import { PAGES_PER_PART, PageStreamBuilder } from './stream-fixture.js';

const RAM_BYTES = 1152 * MiB;
const SEGMENT = 64 * MiB;
const READ_CHUNK = 4 * MiB;
const ROUNDS = 3;
/** "A few seconds" for 1 GiB, made concrete. */
const TARGET_S_PER_GIB = 3;
const isZero = (page: number): boolean => page % 8 === 3;

/** Writes the stream segment by segment (never holding it); returns the RAM's SHA-1. */
function writeStreamFile(file: string): { sha1: string; pages: number; zeroPages: number } {
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha1');
  const seg = new Uint8Array(SEGMENT);
  const b = new PageStreamBuilder();
  const write = (chunks: Uint8Array[]): void => {
    // writev takes at most IOV_MAX (1024) buffers per call.
    for (let i = 0; i < chunks.length; i += 1024) fs.writevSync(fd, chunks.slice(i, i + 1024));
  };
  try {
    b.begin(RAM_BYTES);
    for (let base = 0; base < RAM_BYTES; base += SEGMENT) {
      fillGuestPages(seg, base / PAGE);
      for (let off = 0; off < SEGMENT; off += PAGE) {
        if (isZero((base + off) / PAGE)) seg.fill(0, off, off + PAGE);
      }
      hash.update(seg);
      for (let from = 0; from < SEGMENT; from += PAGES_PER_PART * PAGE) {
        b.part(seg, base, from, PAGES_PER_PART, isZero);
        write(b.take()); // synchronous, so `seg` can be refilled afterwards
      }
    }
    b.finish();
    write(b.take());
    // Flush it to disk now, so its writeback does not land in the middle of a timing.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { sha1: hash.digest('hex'), pages: b.pages, zeroPages: b.zeroPages };
}

function sha1File(file: string): string {
  const hash = createHash('sha1');
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Baseline: read the whole file in 4 MiB chunks, optionally writing each to `out`. */
function readFile(file: string, out?: string): number {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  const fd = fs.openSync(file, 'r');
  const ofd = out === undefined ? -1 : fs.openSync(out, 'w');
  let total = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
      if (ofd >= 0) fs.writeSync(ofd, buf, 0, n);
      total += n;
    }
  } finally {
    fs.closeSync(fd);
    if (ofd >= 0) fs.closeSync(ofd);
  }
  return total;
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livemig-bench-'));
  const peak = new Float64Array(new SharedArrayBuffer(8));
  const sampler = new Worker(new URL('./rss-sampler.js', import.meta.url), {
    workerData: peak.buffer,
  });
  await new Promise((resolve) => sampler.once('online', resolve));
  try {
    const file = path.join(dir, 'stream.mig');
    const dumpDir = path.join(dir, 'dump');
    const copyOut = path.join(dir, 'copy.bin');
    const t0 = performance.now();
    const src = writeStreamFile(file);
    const size = fs.statSync(file).size;
    console.log(
      `inspect-file: wrote ${(size / MiB).toFixed(0)} MiB (${src.pages} pages, ` +
        `${src.zeroPages} zero pages) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    let rssPlain = 0;
    let rssDump = 0;
    const check = (dumped: boolean): number => {
      process.memoryUsage.rss(); // settle
      const before = process.memoryUsage.rss();
      peak[0] = before;
      const rep = inspectFile(file, dumped ? { dumpRam: dumpDir } : {});
      const grew = peak[0] - before;
      const blk = rep.ram.blocks[0];
      verify(
        rep.eof && rep.size === size && blk?.pages === src.pages && blk.zeroPages === src.zeroPages,
        'inspect counted every page',
      );
      return grew;
    };
    // Outputs are deleted (untimed) before each round: unlinking drops their dirty
    // pages, while rewriting in place would wait for writeback of the last round.
    const [tRead, tInspect, tCopy, tDump] = interleave(
      [
        () => verify(readFile(file) === size, 'read the whole file'),
        () => (rssPlain = Math.max(rssPlain, check(false))),
        {
          prepare: () => fs.rmSync(copyOut, { force: true }),
          run: () => verify(readFile(file, copyOut) === size, 'copied the whole file'),
        },
        {
          prepare: () => fs.rmSync(dumpDir, { recursive: true, force: true }),
          run: () => (rssDump = Math.max(rssDump, check(true))),
        },
      ],
      ROUNDS,
    ) as [number[], number[], number[], number[]];

    const dumped = path.join(dumpDir, 'pc.ram.bin');
    verify(fs.statSync(dumped).size === RAM_BYTES, 'dump has the RAM size');
    verify(sha1File(dumped) === src.sha1, 'dumped RAM hashes to the source RAM');

    const gib = size / GiB;
    const sPerGib = (ms: number): string => `${(ms / 1000 / gib).toFixed(2)} s/GiB`;
    console.log('  rounds min/median/max:');
    console.log(`  read 4 MiB chunks     ${spread(tRead)}`);
    console.log(`  inspect               ${spread(tInspect)}`);
    console.log(`  read + write          ${spread(tCopy)}`);
    console.log(`  inspect --dump-ram    ${spread(tDump)}`);
    console.log(
      `  peak RSS growth during inspect: ${(rssPlain / MiB).toFixed(1)} MiB, ` +
        `with dump: ${(rssDump / MiB).toFixed(1)} MiB (file ${(size / MiB).toFixed(0)} MiB)`,
    );

    const row = (name: string, t: number[], base: number[], baseName: string): BenchResult => ({
      name,
      measured: sPerGib(median(t)),
      baseline: `${sPerGib(median(base))} ${baseName}`,
      ratio: median(base) / median(t),
      target: `≤ ${TARGET_S_PER_GIB} s/GiB`,
      ok: median(t) / 1000 / gib <= TARGET_S_PER_GIB,
    });
    return [
      row('inspect 1 GiB file', tInspect, tRead, 'readSync'),
      row('inspect --dump-ram 1 GiB file', tDump, tCopy, 'read+write'),
      {
        name: 'inspect peak RSS growth (plain / dump)',
        measured: `${(rssPlain / MiB).toFixed(0)} / ${(rssDump / MiB).toFixed(0)} MiB`,
        baseline: `${(size / MiB).toFixed(0)} MiB file`,
        ratio: Math.max(rssPlain, rssDump) / size,
        target: 'info (≪ 1)',
      },
    ];
  } finally {
    await sampler.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await benchMain(import.meta.url, run);
