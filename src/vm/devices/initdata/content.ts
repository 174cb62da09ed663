/**
 * The device state's content: deterministic, so either side can check it byte
 * for byte without the other. Each BLOCK is stamped with its own block number
 * and generation (how often it was dirtied) in its first two words (host byte
 * order, like the rest of the block), and the other words are an xorshift32
 * stream seeded from (seed, block, generation). A block is therefore
 * self-describing: verify() regenerates it from its stamp, and a block that
 * is stale, misplaced, torn or never received fails.
 */
import { createHash } from 'node:crypto';
import { BLOCK, BLOCK_WORDS } from './format.js';

/** The device seed: a base seed mixed with the device id (FNV-1a), never 0. */
export function deviceSeed(id: string, base = 0x1d1d0001): number {
  let h = 0x811c9dc5 ^ base;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

function blockSeed(seed: number, block: number, gen: number): number {
  let h = Math.imul(seed ^ Math.imul(block + 1, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(gen + 1, 0xc2b2ae35), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0 || 0x6b43a9b5;
}

/** Writes block `block` at generation `gen` into `words` starting at word `at`. */
export function fillBlock(
  words: Uint32Array,
  at: number,
  seed: number,
  block: number,
  gen: number,
): void {
  words[at] = block;
  words[at + 1] = gen;
  let x = blockSeed(seed, block, gen);
  for (let i = at + 2, end = at + BLOCK_WORDS; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

function blockMatches(words: Uint32Array, at: number, seed: number, block: number): boolean {
  if (words[at] !== block) return false;
  let x = blockSeed(seed, block, words[at + 1]!);
  for (let i = at + 2, end = at + BLOCK_WORDS; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    if (words[i] !== x >>> 0) return false;
  }
  return true;
}

/** Generation `gen` of block `block`, read from its stamp. */
export function blockGeneration(words: Uint32Array, block: number): number {
  return words[block * BLOCK_WORDS + 1]!;
}

export interface VerifyResult {
  /** True when every block matches its stamp. */
  ok: boolean;
  /** Blocks that do not match (stale, torn, misplaced, never received). */
  mismatches: number;
  /** sha256 of the whole state, hex: compare source and destination with it. */
  digest: string;
}

export function verifyState(state: Uint8Array, seed: number): VerifyResult {
  const words = new Uint32Array(state.buffer, state.byteOffset, state.byteLength >>> 2);
  let mismatches = 0;
  for (let b = 0, n = state.byteLength / BLOCK; b < n; b++) {
    if (!blockMatches(words, b * BLOCK_WORDS, seed, b)) mismatches++;
  }
  const digest = createHash('sha256').update(state).digest('hex');
  return { ok: mismatches === 0, mismatches, digest };
}
