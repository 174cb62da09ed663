/**
 * XBZRLE delta codec cost per 4 KiB page, for a few change densities (bytes
 * changed at random positions between the cached and the new page), against a
 * plain 4 KiB Uint8Array.set copy of the same pages. Informative: it tells
 * whether XBZRLE's CPU cost fits the link it would save bandwidth on.
 * Ratio = codec throughput ÷ copy throughput (below 1: slower than a copy).
 */
import { xbzrleDecode, xbzrleEncode } from '../src/protocol/xbzrle.js';
import {
  benchMain,
  type BenchResult,
  interleave,
  median,
  PAGE,
  pseudoRandom,
  verify,
} from './lib.js';

/** Distinct page pairs, so the loop does not run on one cache-hot page. */
const N = 256;
const ITERS = 40;
const ROUNDS = 5;
/** Fraction of bytes changed at random positions; 1 rewrites every byte (XBZRLE gives up). */
const DENSITIES = [0, 0.001, 0.01, 0.1, 0.5, 1];

interface Case {
  density: number;
  olds: Uint8Array[];
  news: Uint8Array[];
  enc: Uint8Array[];
  lens: number[];
  work: Uint8Array[];
}

function makeCase(density: number, seed: number): Case {
  const oldPool = pseudoRandom(N * PAGE, seed);
  const newPool = oldPool.slice();
  const rnd = pseudoRandom(N * PAGE * 4, seed ^ 0x5bd1e995);
  const rw = new Uint32Array(rnd.buffer);
  const changes = Math.round(density * PAGE);
  for (let p = 0, k = 0; p < N; p++) {
    for (let c = 0; c < changes; c++, k++) {
      const at = p * PAGE + (density >= 1 ? c : rw[k]! % PAGE);
      newPool[at] = newPool[at]! ^ (1 + ((rw[k]! >>> 24) % 255)); // always a real change
    }
  }
  const view = (b: Uint8Array, i: number): Uint8Array => b.subarray(i * PAGE, (i + 1) * PAGE);
  const encPool = new Uint8Array(N * PAGE);
  const workPool = oldPool.slice();
  const c: Case = {
    density,
    olds: [],
    news: [],
    enc: [],
    lens: [],
    work: [],
  };
  for (let i = 0; i < N; i++) {
    c.olds.push(view(oldPool, i));
    c.news.push(view(newPool, i));
    c.enc.push(view(encPool, i));
    c.lens.push(xbzrleEncode(c.olds[i]!, c.news[i]!, c.enc[i]!));
    c.work.push(view(workPool, i));
  }
  return c;
}

export function run(): BenchResult[] {
  const rows: BenchResult[] = [];
  const copyDst = Array.from({ length: N }, () => new Uint8Array(PAGE));
  const pagesPerRound = N * ITERS;
  const us = (ms: number): string => `${((ms * 1000) / pagesPerRound).toFixed(2)} µs/page`;
  console.log(`xbzrle: ${N} page pairs × ${ITERS} per round; µs per page, median of ${ROUNDS}`);
  DENSITIES.forEach((density, di) => {
    const c = makeCase(density, 0x1234567 + di);
    const fits = c.lens.filter((l) => l > 0);
    const encode = (): void => {
      for (let it = 0; it < ITERS; it++) {
        for (let i = 0; i < N; i++) {
          verify(xbzrleEncode(c.olds[i]!, c.news[i]!, c.enc[i]!) === c.lens[i], 'encode is stable');
        }
      }
    };
    const decode = (): void => {
      for (let it = 0; it < ITERS; it++) {
        // Applying the same delta again writes the same bytes, so rounds can repeat it.
        for (let i = 0; i < N; i++) {
          const len = c.lens[i]!;
          if (len > 0) xbzrleDecode(c.enc[i]!.subarray(0, len), c.work[i]!);
        }
      }
    };
    const copy = (): void => {
      for (let it = 0; it < ITERS; it++) {
        for (let i = 0; i < N; i++) copyDst[i]!.set(c.news[i]!);
      }
    };
    const [tEnc, tDec, tCopy] = interleave([encode, decode, copy], ROUNDS) as [
      number[],
      number[],
      number[],
    ];
    for (let i = 0; i < N; i++) {
      verify(Buffer.from(copyDst[i]!).equals(c.news[i]!), 'copy landed');
      if (c.lens[i]! > 0) {
        verify(Buffer.from(c.work[i]!).equals(c.news[i]!), 'decode rebuilt the new page');
      }
    }
    const base = median(tCopy);
    const avg = fits.length ? fits.reduce((a, b) => a + b, 0) / fits.length : 0;
    const label = `${(density * 100).toFixed(1)} % changed`;
    const outcome =
      density === 0
        ? 'all pages unchanged (0)'
        : fits.length === N
          ? `encoded avg ${avg.toFixed(0)} B`
          : `${N - fits.length}/${N} overflow (-1, full page sent)`;
    console.log(
      `  ${label.padEnd(14)} encode ${us(median(tEnc))}, decode ${us(median(tDec))}, ` +
        `copy ${us(base)}; ${outcome}`,
    );
    rows.push({
      name: `xbzrle encode, ${label}`,
      measured: us(median(tEnc)),
      baseline: `${us(base)} 4 KiB set`,
      ratio: base / median(tEnc),
      target: 'info',
    });
    if (fits.length > 0) {
      rows.push({
        name: `xbzrle decode, ${label}`,
        measured: us(median(tDec)),
        baseline: `${us(base)} 4 KiB set`,
        ratio: base / median(tDec),
        target: 'info',
      });
    }
  });
  return rows;
}

await benchMain(import.meta.url, run);
