/**
 * Source side of the initdata device: the precopy state machine of QEMU's
 * VFIO migration (protocol reference §4.8) over a state that really changes.
 *
 * Initial data is the whole state, sent front to back; `initCursor` is how far
 * it got. Dirtying is computed lazily from the injected clock whenever the
 * engine asks (pending, iterate, complete): no timers. A dirtied block below
 * `initCursor` was already sent and is queued for resending; one above it is
 * simply sent later with its new content.
 */
import type { ChunkSink } from '../../../protocol/stream-writer.js';
import { fillBlock } from './content.js';
import {
  BLOCK,
  BLOCK_WORDS,
  EXTENT_HEADER,
  MAX_BLOB,
  MAX_EXTENT,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  checksum,
} from './format.js';

export interface SaverOptions {
  state: Uint8Array;
  seed: number;
  /** Bytes per second dirtied while the VM runs; 0 for none. */
  dirtyRate: number;
  /** Milliseconds, monotonic. */
  clock: () => number;
  /** Whether the source VM runs (dirtying only happens then). */
  isRunning: () => boolean;
}

interface Extent {
  offset: number;
  length: number;
}

export class InitDataSaver {
  private readonly o: SaverOptions;
  private readonly words: Uint32Array;
  private readonly blocks: number;
  private phase: 'idle' | 'precopy' | 'stopped' = 'idle';
  private initCursor = 0;
  private dirty: Uint8Array;
  private dirtyBlocks = 0;
  private scan = 0;
  private lastTick = 0;
  private carry = 0;
  private rng: number;
  /** QEMU's initial_data_sent. */
  initialDataSent = false;
  /** Blocks rewritten by dirtying since construction (for tests and stats). */
  dirtied = 0;

  constructor(o: SaverOptions) {
    this.o = o;
    this.words = new Uint32Array(o.state.buffer, o.state.byteOffset, o.state.byteLength >>> 2);
    this.blocks = o.state.byteLength / BLOCK;
    this.dirty = new Uint8Array(this.blocks);
    this.rng = (o.seed ^ 0x5bd1e995) >>> 0 || 1;
  }

  private get remainingInit(): number {
    return this.o.state.byteLength - this.initCursor;
  }

  /** Applies the dirtying accrued since the last tick. */
  tick(): void {
    const now = this.o.clock();
    const dt = Math.max(0, now - this.lastTick);
    this.lastTick = now;
    if (this.phase !== 'precopy' || this.o.dirtyRate <= 0 || this.blocks === 0) return;
    if (!this.o.isRunning()) return;
    const bytes = (dt / 1000) * this.o.dirtyRate + this.carry;
    const n = Math.floor(bytes / BLOCK);
    this.carry = bytes - n * BLOCK;
    // Past a few rewrites of every block more work changes nothing a test can observe.
    for (let i = 0, lim = Math.min(n, this.blocks * 4); i < lim; i++) this.dirtyOne();
  }

  private dirtyOne(): void {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    const b = this.rng % this.blocks;
    const at = b * BLOCK_WORDS;
    fillBlock(this.words, at, this.o.seed, b, (this.words[at + 1]! + 1) >>> 0);
    this.dirtied++;
    if (b * BLOCK < this.initCursor && this.dirty[b] === 0) {
      this.dirty[b] = 1;
      this.dirtyBlocks++;
    }
  }

  setup(w: ChunkSink): void {
    this.phase = 'precopy';
    this.initCursor = 0;
    this.dirty.fill(0);
    this.dirtyBlocks = 0;
    this.initialDataSent = false;
    this.lastTick = this.o.clock();
    this.carry = 0;
    w.u64(VFIO_MIG_FLAG_DEV_SETUP_STATE);
    w.u64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  /** VFIO's precopy_init_size + precopy_dirty_size, only while in precopy. */
  pendingEstimate(): number {
    this.tick();
    if (this.phase !== 'precopy') return 0;
    return this.remainingInit + this.dirtyBlocks * BLOCK;
  }

  /**
   * VFIO adds the stop-copy size to init + dirty (so it counts the pending
   * bytes twice, as QEMU does). Our stop-copy size is what END would carry now.
   */
  pendingExact(): number {
    const est = this.pendingEstimate();
    return this.phase === 'precopy' ? 2 * est : 0;
  }

  /** One PART payload: at most one DATA_STATE, then END_OF_STATE or INIT_DATA_SENT. */
  iterate(w: ChunkSink, switchoverAck: boolean, budget: number): boolean {
    this.tick();
    const limit = Math.min(MAX_BLOB, Math.max(EXTENT_HEADER + BLOCK, budget));
    const extents = this.collect(limit);
    // Copied, not appended: the state keeps changing while the transport still
    // holds the chunk, and the checksum must match the bytes that go out.
    if (extents.length > 0) this.writeBlob(w, extents, false);
    // QEMU's rule: ack on, no initial bytes left, not sent before.
    if (switchoverAck && this.remainingInit === 0 && !this.initialDataSent) {
      this.initialDataSent = true;
      w.u64(VFIO_MIG_FLAG_DEV_INIT_DATA_SENT);
    } else {
      w.u64(VFIO_MIG_FLAG_END_OF_STATE);
    }
    return this.remainingInit === 0 && this.dirtyBlocks === 0;
  }

  /** END payload: everything pending (unsent initial data and dirty blocks). */
  complete(w: ChunkSink): void {
    this.tick();
    this.phase = 'stopped';
    for (;;) {
      const extents = this.collect(MAX_BLOB);
      if (extents.length === 0) break;
      // The VM is stopped: nothing changes the state any more, so zero-copy is safe.
      this.writeBlob(w, extents, true);
    }
    w.u64(VFIO_MIG_FLAG_END_OF_STATE);
  }

  cleanup(): void {
    this.phase = 'idle';
  }

  /** Picks the extents of the next blob (initial data first), at most `limit` bytes with headers. */
  private collect(limit: number): Extent[] {
    const out: Extent[] = [];
    let room = limit;
    if (this.remainingInit > 0) {
      const fit = Math.floor((room - EXTENT_HEADER) / BLOCK) * BLOCK;
      const length = Math.min(this.remainingInit, fit, MAX_EXTENT);
      out.push({ offset: this.initCursor, length });
      this.initCursor += length;
      room -= EXTENT_HEADER + length;
    }
    while (this.dirtyBlocks > 0 && room >= EXTENT_HEADER + BLOCK) {
      const b = this.nextDirty();
      let n = 0;
      const max = Math.floor((room - EXTENT_HEADER) / BLOCK);
      while (n < max && b + n < this.blocks && this.dirty[b + n] === 1) {
        this.dirty[b + n] = 0;
        n++;
      }
      this.dirtyBlocks -= n;
      this.scan = (b + n) % this.blocks;
      out.push({ offset: b * BLOCK, length: n * BLOCK });
      room -= EXTENT_HEADER + n * BLOCK;
    }
    return out;
  }

  private nextDirty(): number {
    for (let i = 0; i < this.blocks; i++) {
      const b = (this.scan + i) % this.blocks;
      if (this.dirty[b] === 1) return b;
    }
    throw new Error('initdata: dirty count out of step with the dirty flags');
  }

  private writeBlob(w: ChunkSink, extents: readonly Extent[], zeroCopy: boolean): void {
    let size = 0;
    for (const e of extents) size += EXTENT_HEADER + e.length;
    w.u64(VFIO_MIG_FLAG_DEV_DATA_STATE);
    w.u64(size);
    for (const e of extents) {
      const data = this.o.state.subarray(e.offset, e.offset + e.length);
      w.u64(e.offset);
      w.u32(e.length);
      w.u32(checksum(data));
      if (zeroCopy) w.append(data);
      else w.bytes(data);
    }
  }
}
