/**
 * The destination's preparation of received device state: the stand-in for
 * what an mlx5 VF does with its precopy initial data (allocating and building
 * its tables). It is real work on the bytes, proportional to the size:
 *
 * 1. check each extent's CRC-32 against its header (the load thread has
 *    written the extent into the state, or, when its blocks were still queued
 *    here, hands it over in a buffer: it is copied in once the checksums match);
 * 2. per BLOCK, a 64-bit fingerprint (two xxh32 lanes with different seeds)
 *    into an exact-match index (fingerprint -> block, as a dedup table);
 * 3. per BLOCK, a resemblance sketch (N-transform super-features, as used for
 *    delta-compression similarity detection): a rolling hash over the block's
 *    words, FEATURES max-of-linear-transforms over sampled positions, grouped
 *    into SUPER super-features, each into its own index.
 *
 * FEATURES and SAMPLE_MASK set the cost; they are tuned so that 256 MiB takes
 * about 1-2 s on a 2-vCPU host (bench/initdata-prepare.ts), several times the
 * time to receive it.
 */
import { BLOCK, BLOCK_WORDS, checksum } from './format.js';
import { HashIndex } from './hash-index.js';

const FEATURES = 8;
const SUPER = 2;
const GROUP = FEATURES / SUPER;
/** A position is sampled when the rolling hash has these bits clear. */
const SAMPLE_MASK = 0x3;

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;

const MUL = new Uint32Array(FEATURES);
const ADD = new Uint32Array(FEATURES);
for (let k = 0; k < FEATURES; k++) {
  MUL[k] = (Math.imul(k + 1, 0x9e3779b1) | 1) >>> 0;
  ADD[k] = Math.imul(k + 7, 0x7feb352d) >>> 0;
}

function rotl(v: number, r: number): number {
  return (v << r) | (v >>> (32 - r));
}

/** xxh32 over `n` (a multiple of 4) words of `w` from `at`. */
export function xxh32Words(w: Uint32Array, at: number, n: number, seed: number): number {
  let a = (seed + P1 + P2) | 0;
  let b = (seed + P2) | 0;
  let c = seed | 0;
  let d = (seed - P1) | 0;
  for (let i = at, end = at + n; i < end; i += 4) {
    a = Math.imul(rotl((a + Math.imul(w[i]!, P2)) | 0, 13), P1);
    b = Math.imul(rotl((b + Math.imul(w[i + 1]!, P2)) | 0, 13), P1);
    c = Math.imul(rotl((c + Math.imul(w[i + 2]!, P2)) | 0, 13), P1);
    d = Math.imul(rotl((d + Math.imul(w[i + 3]!, P2)) | 0, 13), P1);
  }
  let h = (rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + n * 4) | 0;
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface PrepExtent {
  offset: number;
  length: number;
  checksum: number;
  /** Byte offset of the data in its blob. */
  at: number;
}

export class Preparer {
  private readonly state: Uint8Array;
  /** The state as words: blocks are fingerprinted in place, without a copy or a view per block. */
  private readonly words: Uint32Array;
  private readonly exact: HashIndex;
  private readonly similar: HashIndex[] = [];
  private readonly prepared: Uint8Array;
  private readonly feat = new Uint32Array(FEATURES);
  /** Distinct blocks prepared at least once. */
  preparedBlocks = 0;
  preparedBytes = 0;

  constructor(state: Uint8Array) {
    this.state = state;
    this.words = new Uint32Array(state.buffer, state.byteOffset, state.byteLength >>> 2);
    const blocks = state.byteLength / BLOCK;
    this.prepared = new Uint8Array(blocks);
    this.exact = new HashIndex(blocks);
    for (let s = 0; s < SUPER; s++) this.similar.push(new HashIndex(blocks));
  }

  /** Entries in the exact-match index (distinct block fingerprints). */
  get indexSize(): number {
    return this.exact.size;
  }

  /**
   * Checks and indexes one blob's extents. Without `buf` they are in the state
   * already (at their offsets); with `buf` they are in it (at `at`) and are
   * copied into the state only once every checksum matched. Throws on a
   * checksum mismatch.
   */
  process(buf: ArrayBuffer | undefined, extents: readonly PrepExtent[]): void {
    const src = buf === undefined ? this.state : new Uint8Array(buf);
    for (const e of extents) {
      const at = buf === undefined ? e.offset : e.at;
      const got = checksum(src.subarray(at, at + e.length));
      if (got !== e.checksum) {
        throw new Error(
          `checksum mismatch in extent at offset 0x${e.offset.toString(16)} ` +
            `(length ${e.length}): header 0x${e.checksum.toString(16)}, data 0x${got.toString(16)}`,
        );
      }
    }
    for (const e of extents) {
      if (buf !== undefined) this.state.set(src.subarray(e.at, e.at + e.length), e.offset);
      for (let off = e.offset, end = e.offset + e.length; off < end; off += BLOCK) {
        this.block(off >>> 2, off / BLOCK);
      }
      this.preparedBytes += e.length;
    }
  }

  /** Fingerprints and sketches the block at word `at` of the state. */
  private block(at: number, block: number): void {
    const w = this.words;
    this.exact.set(xxh32Words(w, at, BLOCK_WORDS, 0), xxh32Words(w, at, BLOCK_WORDS, P3), block);
    const f = this.feat;
    f.fill(0);
    let fp = 0;
    for (let i = at, end = at + BLOCK_WORDS; i < end; i++) {
      const x = w[i]!;
      fp = ((fp << 1) + Math.imul(x ^ (x >>> 16), 0x45d9f3b)) | 0;
      if ((fp & SAMPLE_MASK) !== 0) continue;
      for (let k = 0; k < FEATURES; k++) {
        const v = (Math.imul(MUL[k]!, fp) + ADD[k]!) >>> 0;
        if (v > f[k]!) f[k] = v;
      }
    }
    for (let s = 0; s < SUPER; s++) {
      this.similar[s]!.set(xxh32Words(f, s * GROUP, GROUP, s), s, block);
    }
    if (this.prepared[block] === 0) {
      this.prepared[block] = 1;
      this.preparedBlocks++;
    }
  }
}
