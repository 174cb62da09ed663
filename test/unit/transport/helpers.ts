/** Channel pairs and data for the transport tests. Binds only to loopback and temp dirs. */
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChannelOptions, MigrationChannel } from '../../../src/transport/index.js';
import {
  connectOutgoing,
  listenIncoming,
  memoryChannelPair,
} from '../../../src/transport/index.js';

export interface Pair {
  /** The source (connecting) end. */
  src: MigrationChannel;
  /** The destination (accepting) end. */
  dst: MigrationChannel;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'livemig-tr-'));
}

export async function socketPair(
  uri: string,
  src: ChannelOptions = {},
  dst: ChannelOptions = {},
): Promise<Pair> {
  const l = await listenIncoming(uri, undefined, dst);
  const a = l.address!;
  const target =
    a.type === 'unix' ? `unix:${a.path}` : `tcp:${a.ipv6 ? `[${a.host}]` : a.host}:${a.port}`;
  const [s, d] = await Promise.all([connectOutgoing(target, undefined, src), l.accept()]);
  l.close();
  return { src: s, dst: d };
}

export type PairFactory = (src?: ChannelOptions, dst?: ChannelOptions) => Promise<Pair>;

export const transports: [string, PairFactory][] = [
  ['tcp 127.0.0.1', (s, d) => socketPair('tcp:127.0.0.1:0', s, d)],
  ['tcp [::1]', (s, d) => socketPair('tcp:[::1]:0', s, d)],
  ['unix', (s, d) => socketPair(`unix:${path.join(tmpDir(), 'mig.sock')}`, s, d)],
  [
    'memory',
    async (s, d) => {
      const [src, dst] = memoryChannelPair(s, d);
      return { src, dst };
    },
  ],
];

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) randomFillSync(b, off, Math.min(65536, n - off));
  return b;
}

/** Deterministic pseudo-random split points (xorshift), so failures reproduce. */
export function splits(total: number, seed: number, maxPiece: number): [number, number][] {
  const out: [number, number][] = [];
  let x = seed | 1;
  for (let off = 0; off < total;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = Math.min(total - off, 1 + ((x >>> 0) % maxPiece));
    out.push([off, off + n]);
    off += n;
  }
  return out;
}

/** Writes `data` as views in random batches, honouring backpressure. */
export async function pump(ch: MigrationChannel, data: Uint8Array, seed: number): Promise<void> {
  const pieces = splits(data.length, seed, 70000);
  let batch: Uint8Array[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const [a, b] = pieces[i]!;
    batch.push(data.subarray(a, b));
    if (batch.length >= 1 + (i % 7)) {
      if (!ch.write(batch)) await ch.waitDrain();
      batch = [];
    }
  }
  if (batch.length) ch.write(batch);
}

/** Collects everything read until the peer ends. */
export function collect(ch: MigrationChannel, expected: number): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let n = 0;
  return new Promise((resolve, reject) => {
    ch.onError(reject);
    ch.onRead((v) => {
      if (n + v.length > expected) return reject(new Error(`too many bytes: ${n + v.length}`));
      out.set(v, n);
      n += v.length;
    });
    ch.onEnd(() => (n === expected ? resolve(out) : reject(new Error(`short: ${n}/${expected}`))));
  });
}
