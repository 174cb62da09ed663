/**
 * The initdata device's destination preparation cost (src/vm/devices/initdata):
 * the time from the first received payload until the worker has prepared
 * everything, for 64 and 256 MiB, against a plain memcpy (Buffer.copy) of the
 * same bytes in the same run. Informative only: the point is that preparation
 * costs clearly more than receiving, which is why switchover-ack exists.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import type { LoadContext } from '../src/migration/savevm/entries.js';
import { ByteReader } from '../src/protocol/bytes.js';
import type { SectionKind } from '../src/protocol/sections.js';
import { StreamWriter } from '../src/protocol/stream-writer.js';
import { createInitDataEntry } from '../src/vm/devices/initdata/index.js';
import {
  type BenchResult,
  MiB,
  benchMain,
  fmtMs,
  fmtRate,
  median,
  prefault,
  verify,
} from './lib.js';

interface Payload {
  kind: SectionKind;
  bytes: Uint8Array;
}

function sourceStream(size: number): { payloads: Payload[]; digest: string } {
  const { device } = createInitDataEntry({
    id: 'bench',
    size,
    role: 'source',
    sectionId: 1,
    instanceId: 0,
  });
  const ctx = { switchoverAck: true };
  const w = new StreamWriter();
  device.saveSetup(w);
  const payloads: Payload[] = [{ kind: 'start', bytes: w.takeBytes() }];
  while (!device.initialDataSent) {
    device.saveIterate(w, ctx, MiB);
    payloads.push({ kind: 'part', bytes: w.takeBytes() });
  }
  device.saveComplete(w);
  payloads.push({ kind: 'end', bytes: w.takeBytes() });
  return { payloads, digest: device.verify().digest };
}

interface Round {
  receiveMs: number;
  approveMs: number;
  prepareMs: number;
}

async function prepareRound(
  size: number,
  payloads: readonly Payload[],
  digest: string,
): Promise<Round> {
  const { device } = createInitDataEntry({
    id: 'bench',
    size,
    role: 'destination',
    sectionId: 1,
    instanceId: 0,
  });
  let approvedAt = NaN;
  const ctx: LoadContext = {
    switchoverAck: true,
    approveSwitchover: () => (approvedAt = performance.now()),
    fail: (e) => {
      throw e;
    },
    holdInput: () => undefined,
  };
  device.loadSetup(ctx);
  const t0 = performance.now();
  for (const p of payloads) {
    device.loadState(new ByteReader(p.bytes), 1, p.kind, ctx);
    // As from a socket: the worker's replies get a turn.
    await setImmediate();
  }
  const t1 = performance.now();
  await device.loadComplete();
  const t2 = performance.now();
  const v = device.verify();
  verify(v.ok && v.digest === digest, 'destination state equals the source state');
  verify(device.preparedBlocks === size / 4096, 'every block prepared');
  device.loadCleanup();
  return { receiveMs: t1 - t0, approveMs: approvedAt - t0, prepareMs: t2 - t0 };
}

function copyRound(payloads: readonly Payload[], target: Buffer): number {
  const t0 = performance.now();
  let at = 0;
  for (const p of payloads) {
    Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength).copy(target, at);
    at += p.bytes.byteLength;
  }
  return performance.now() - t0;
}

async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const size of [64 * MiB, 256 * MiB]) {
    const { payloads, digest } = sourceStream(size);
    const total = payloads.reduce((n, p) => n + p.bytes.byteLength, 0);
    const target = Buffer.allocUnsafe(total);
    prefault(target);
    const copies: number[] = [];
    const rounds: Round[] = [];
    for (let r = 0; r < 3; r++) {
      copies.push(copyRound(payloads, target));
      rounds.push(await prepareRound(size, payloads, digest));
    }
    const copyMs = median(copies);
    const prepMs = median(rounds.map((r) => r.prepareMs));
    const recvMs = median(rounds.map((r) => r.receiveMs));
    const apprMs = median(rounds.map((r) => r.approveMs));
    console.log(
      `${size / MiB} MiB: memcpy ${fmtMs(copyMs)}, loadState (copy + post) ${fmtMs(recvMs)}, ` +
        `approve after ${fmtMs(apprMs)}, all prepared after ${fmtMs(prepMs)} ` +
        `(${(prepMs / copyMs).toFixed(0)}× memcpy)`,
    );
    rows.push({
      name: `initdata prepare ${size / MiB} MiB`,
      measured: `${fmtMs(prepMs)} (${fmtRate(size, prepMs)})`,
      baseline: `memcpy ${fmtMs(copyMs)} (${fmtRate(total, copyMs)})`,
      ratio: copyMs / prepMs,
      target: 'info',
    });
  }
  return rows;
}

await benchMain(import.meta.url, run);
