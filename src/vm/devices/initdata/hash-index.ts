/**
 * An open-addressing hash table from a 64-bit key (two u32 halves) to a block
 * number, in typed arrays so a 256 MiB device's index (64 Ki blocks) is a few
 * flat allocations rather than a Map of 64 Ki boxed entries. Inserting an
 * existing key overwrites its block (the newest content wins).
 */
const EMPTY = -1;

export class HashIndex {
  private keys: Uint32Array;
  private vals: Int32Array;
  private mask: number;
  /** Distinct keys held. */
  size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Uint32Array(cap * 2);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  private slot(hi: number, lo: number): number {
    let i = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) & this.mask;
    while (this.vals[i] !== EMPTY && (this.keys[2 * i] !== hi || this.keys[2 * i + 1] !== lo)) {
      i = (i + 1) & this.mask;
    }
    return i;
  }

  set(hi: number, lo: number, block: number): void {
    const i = this.slot(hi >>> 0, lo >>> 0);
    if (this.vals[i] === EMPTY) {
      this.keys[2 * i] = hi;
      this.keys[2 * i + 1] = lo;
      this.size++;
    }
    this.vals[i] = block;
    if (this.size * 2 > this.mask + 1) this.grow();
  }

  /** Bytes of table held: 12 per slot, with at least two slots per key. */
  get byteLength(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }

  /** The block stored under the key, or -1. */
  get(hi: number, lo: number): number {
    return this.vals[this.slot(hi >>> 0, lo >>> 0)]!;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const cap = (this.mask + 1) * 2;
    this.keys = new Uint32Array(cap * 2);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i]!;
      if (v === EMPTY) continue;
      const j = this.slot(keys[2 * i]!, keys[2 * i + 1]!);
      this.keys[2 * j] = keys[2 * i]!;
      this.keys[2 * j + 1] = keys[2 * i + 1]!;
      this.vals[j] = v;
    }
  }
}
