/**
 * 1 GiB through a loopback TCP channel pair, sender here, receiver in a child
 * process (two processes, as in a real migration). Variants, interleaved per round:
 *   raw 'data'    net socket, 1 MiB writes; receiver counts 'data' events (baseline,
 *                 node-datapath.md's "plain pipe");
 *   raw onread    same sender; receiver adopts the handle with a static 1 MiB
 *                 onread buffer (node-datapath.md's "socket ceiling");
 *   channel       livemig transport: connectOutgoing + write() batches of 256
 *                 (8-byte header view, 4 KiB page view) pairs, waitDrain on
 *                 backpressure; receiver listenIncoming + accept + onRead.
 * Time runs from the first write to the receiver's report of the last byte. Each
 * round checks the byte count. Ratios compare pooled medians of the same run.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { connectOutgoing, listenIncoming } from '../src/transport/index.js';
import type { BenchResult } from './lib.js';
import { benchMain, fmtRate, GiB, median, MiB, PAGE, pseudoRandom, spread, verify } from './lib.js';
import { rawPipeReceiver } from './raw-pipe-receiver.js';

type Variant = 'raw-data' | 'raw-onread' | 'channel';
const VARIANTS: Variant[] = ['raw-data', 'raw-onread', 'channel'];
const TOTAL_PAGES = GiB / PAGE;
const SRC_BYTES = 64 * MiB;
const BATCH_PAGES = 256;
const ROUNDS = Number(process.env.TR_BENCH_ROUNDS ?? 3);

function wireBytes(v: Variant): number {
  return v === 'channel' ? TOTAL_PAGES * (PAGE + 8) : GiB;
}

// ---- receiver (child process) ----
async function receiver(v: Variant, expected: number): Promise<void> {
  let got = 0;
  const done = (): void => {
    process.send!({ got });
  };
  if (v === 'channel') {
    const l = await listenIncoming('tcp:127.0.0.1:0');
    process.send!({ port: l.address!.type === 'inet' ? l.address!.port : '' });
    const ch = await l.accept();
    ch.onRead((view) => {
      got += view.length;
      if (got >= expected) done();
    });
    ch.onEnd(() => ch.destroy());
    return;
  }
  rawPipeReceiver(v === 'raw-data' ? 'data' : 'onread', expected);
}

// ---- sender ----
const src = pseudoRandom(SRC_BYTES);
const srcPages = SRC_BYTES / PAGE;
/** One 8-byte header per source page, built once: headers must not change until flushed. */
const headers = new Uint8Array(srcPages * 8);
for (let p = 0; p < srcPages; p++) {
  new DataView(headers.buffer).setBigUint64(p * 8, BigInt(p * PAGE) | 0x28n);
}

async function sendRaw(port: number): Promise<void> {
  const s = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => s.once('connect', r));
  for (let off = 0; off < GiB; off += MiB) {
    const o = off % SRC_BYTES;
    if (!s.write(src.subarray(o, o + MiB))) await new Promise((r) => s.once('drain', r));
  }
  s.end();
}

async function sendChannel(port: string): Promise<void> {
  const ch = await connectOutgoing(`tcp:127.0.0.1:${port}`);
  const batch: Uint8Array[] = [];
  for (let page = 0; page < TOTAL_PAGES; page++) {
    const p = page % srcPages;
    batch.push(headers.subarray(p * 8, p * 8 + 8), src.subarray(p * PAGE, (p + 1) * PAGE));
    if (batch.length === BATCH_PAGES * 2) {
      const ok = ch.write(batch);
      batch.length = 0;
      if (!ok) await ch.waitDrain();
    }
  }
  if (batch.length) ch.write(batch);
  await ch.shutdown();
  ch.destroy();
}

async function round(v: Variant): Promise<number> {
  const expected = wireBytes(v);
  const child = fork(fileURLToPath(import.meta.url), ['recv', v, String(expected)]);
  const port = await new Promise<string>((r) =>
    child.once('message', (m: { port: string }) => r(m.port)),
  );
  const got = new Promise<number>((r) => child.once('message', (m: { got: number }) => r(m.got)));
  const t0 = performance.now();
  if (v === 'channel') await sendChannel(port);
  else await sendRaw(Number(port));
  const n = await got;
  const ms = performance.now() - t0;
  child.kill();
  verify(n === expected, `${v}: received ${n} of ${expected} bytes`);
  return ms;
}

async function run(): Promise<BenchResult[]> {
  const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const v of VARIANTS) {
      const ms = await round(v);
      if (r > 0) times.get(v)!.push(ms);
    }
  }
  const rate = (v: Variant): number => wireBytes(v) / median(times.get(v)!);
  const show = (v: Variant): string =>
    `${fmtRate(wireBytes(v), median(times.get(v)!))} (${spread(times.get(v)!)})`;
  return [
    {
      name: 'transport: channel vs raw data pipe',
      measured: show('channel'),
      baseline: show('raw-data'),
      ratio: rate('channel') / rate('raw-data'),
      target: 'info',
    },
    {
      name: 'transport: channel vs raw onread ceiling',
      measured: show('channel'),
      baseline: show('raw-onread'),
      ratio: rate('channel') / rate('raw-onread'),
      target: 'info',
    },
    {
      name: 'transport: raw onread vs raw data',
      measured: show('raw-onread'),
      baseline: show('raw-data'),
      ratio: rate('raw-onread') / rate('raw-data'),
      target: 'info',
    },
  ];
}

if (process.argv[2] === 'recv') {
  void receiver(process.argv[3] as Variant, Number(process.argv[4]));
} else {
  await benchMain(import.meta.url, run);
}
