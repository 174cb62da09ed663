/**
 * `-device initdata,id=ID,size=SIZE[,dirty-rate=BYTES_PER_S]`: a passthrough
 * device with precopy initial data (like an mlx5 VF), the user switchover-ack
 * exists for. One object serves both roles (QEMU's devices do too); the role
 * only decides the initial content: generation 0 on the source, zeros (to be
 * received) on the destination.
 */
import type { ByteReader } from '../../../protocol/bytes.js';
import type { SectionKind } from '../../../protocol/sections.js';
import type { ChunkSink } from '../../../protocol/stream-writer.js';
import type { LiveDevice, LoadContext, SaveContext } from '../../../migration/savevm/entries.js';
import { type VerifyResult, fillBlock, verifyState } from './content.js';
import { InitDataLoader } from './destination.js';
import { BLOCK, BLOCK_WORDS } from './format.js';
import { InitDataSaver } from './source.js';

export interface InitDataDeviceOptions {
  id: string;
  /** Bytes, a multiple of 4096. */
  size: number;
  dirtyRate: number;
  seed: number;
  role: 'source' | 'destination';
  clock: () => number;
  isRunning: () => boolean;
  workerUrl: URL;
}

export class InitDataDevice implements LiveDevice {
  readonly id: string;
  readonly size: number;
  readonly role: 'source' | 'destination';
  readonly seed: number;
  /** The device state; shared memory so the preparation worker can write it. */
  readonly state: Uint8Array;
  private readonly saver: InitDataSaver;
  private readonly loader: InitDataLoader;

  constructor(o: InitDataDeviceOptions) {
    this.id = o.id;
    this.size = o.size;
    this.role = o.role;
    this.seed = o.seed;
    const sab = new SharedArrayBuffer(o.size);
    this.state = new Uint8Array(sab);
    if (o.role === 'source') {
      const words = new Uint32Array(sab);
      for (let b = 0; b < o.size / BLOCK; b++) fillBlock(words, b * BLOCK_WORDS, o.seed, b, 0);
    } else {
      // Touch every page now, at device creation, as a real device allocates
      // its memory up front: first-touch faults would otherwise land in the
      // preparation (on the 2-vCPU test host, ~4 ms per MiB).
      this.state.fill(1);
      this.state.fill(0);
    }
    this.saver = new InitDataSaver({
      state: this.state,
      seed: o.seed,
      dirtyRate: o.dirtyRate,
      clock: o.clock,
      isRunning: o.isRunning,
    });
    this.loader = new InitDataLoader(o.id, sab, o.workerUrl);
  }

  // ---- source ----
  saveSetup(w: ChunkSink, _ctx?: SaveContext): void {
    this.saver.setup(w);
  }
  saveIterate(w: ChunkSink, ctx: SaveContext, budget: number): boolean {
    return this.saver.iterate(w, ctx.switchoverAck, budget);
  }
  saveComplete(w: ChunkSink, _ctx?: SaveContext): void {
    this.saver.complete(w);
  }
  pendingEstimate(): number {
    return this.saver.pendingEstimate();
  }
  pendingExact(): number {
    return this.saver.pendingExact();
  }
  saveCleanup(): void {
    this.saver.cleanup();
  }
  /** Source: INIT_DATA_SENT has been written (QEMU's initial_data_sent). */
  get initialDataSent(): boolean {
    return this.saver.initialDataSent;
  }
  /** Source: blocks rewritten by dirtying so far. */
  get dirtiedBlocks(): number {
    return this.saver.dirtied;
  }

  // ---- destination ----
  loadSetup(ctx: LoadContext): void {
    this.loader.setup(ctx);
  }
  /** The device supports precopy; the engine asks only when the capability is on. */
  switchoverAckNeeded(): boolean {
    return true;
  }
  loadState(r: ByteReader, versionId: number, kind: SectionKind, ctx: LoadContext): void {
    this.loader.load(r, versionId, kind, ctx);
  }
  /** Waits until every received byte is prepared (downtime when the ack was not used). */
  loadComplete(): Promise<void> {
    return this.loader.complete();
  }
  /** Resolves once the preparation worker has exited (callers may ignore it). */
  loadCleanup(): Promise<void> {
    return this.loader.cleanup();
  }
  /** Destination: blocks in the prepared index so far. */
  get preparedBlocks(): number {
    return this.loader.preparedBlocks;
  }
  /** Destination: bytes prepared so far (resent blocks count again). */
  get preparedBytes(): number {
    return this.loader.preparedBytes;
  }
  /** Destination: INIT_DATA_SENT arrived. */
  get initDataReceived(): boolean {
    return this.loader.initDataReceived;
  }
  /** Destination: approveSwitchover() has been called. */
  get switchoverApproved(): boolean {
    return this.loader.switchoverApproved;
  }

  /** Byte-for-byte check of the state against its stamps, and its digest. */
  verify(): VerifyResult {
    return verifyState(this.state, this.seed);
  }
}
