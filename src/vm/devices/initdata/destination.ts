/**
 * Destination side of the initdata device. loadState parses a payload whole,
 * writes each blob's extents straight into the state (the one copy, out of the
 * stream buffer, which the decoder reuses) and posts their headers to the
 * preparation worker, which checks and indexes them there. Nothing is staged,
 * so the destination holds no received bytes beyond the state itself (issue 4:
 * RSS within guest RAM + device state + 64 MiB).
 *
 * The exception is a blob with a block the worker has not finished reading (a
 * resent block whose older copy is still queued): writing it in place would
 * race the worker's checksum, so it gets a buffer of its own, transferred, and
 * the worker copies it in after everything posted before it.
 *
 * After INIT_DATA_SENT, once the worker has caught up with everything posted
 * before it, the device approves the switchover: QEMU's VFIO approves on the
 * marker because its device has already loaded the bytes synchronously; ours
 * loads them in a worker, so "loaded" means "prepared" (protocol reference §4.8).
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode, LivemigError, ProtocolError } from '../../../errors.js';
import type { ByteReader } from '../../../protocol/bytes.js';
import type { SectionKind } from '../../../protocol/sections.js';
import type { LoadContext } from '../../../migration/savevm/entries.js';
import { HELPER_WORKER_LIMITS } from '../../worker-limits.js';
import { BLOCK, INITDATA_VERSION } from './format.js';
import { parsePayload } from './payload.js';
import type { PrepExtent } from './prepare.js';
import { SharedCopier } from './shared-copy.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Blobs queued for the preparation worker before the stream is held. */
const MAX_QUEUED_BLOBS = 4;

export class InitDataLoader {
  private readonly id: string;
  private readonly state: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly copier = new SharedCopier();
  private readonly workerUrl: URL;
  private worker: Worker | undefined;
  /**
   * Per block, the seq of the last message covering it: the worker may read the
   * block until it is done with that message. Lives as long as the worker.
   */
  private lastSeq: Uint32Array | undefined;
  private ctx: LoadContext | undefined;
  private posted = 0;
  private done = 0;
  /** Blobs posted before INIT_DATA_SENT arrived; -1 until it does. */
  private initSeq = -1;
  private approved = false;
  private failed: Error | undefined;
  private waiters: Waiter[] = [];
  private queueWaiters: Array<() => void> = [];
  private stopping = false;
  preparedBlocks = 0;
  preparedBytes = 0;
  indexSize = 0;

  constructor(id: string, state: SharedArrayBuffer, workerUrl: URL) {
    this.id = id;
    this.state = state;
    this.bytes = new Uint8Array(state);
    this.workerUrl = workerUrl;
  }

  get initDataReceived(): boolean {
    return this.initSeq >= 0;
  }

  get switchoverApproved(): boolean {
    return this.approved;
  }

  setup(ctx: LoadContext): void {
    this.ctx = ctx;
  }

  load(r: ByteReader, versionId: number, kind: SectionKind, ctx: LoadContext): void {
    this.ctx = ctx;
    if (versionId > INITDATA_VERSION) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_SECTION,
        `${this.id}: unsupported section version ${versionId}`,
        r.offset,
      );
    }
    const at = r.offset;
    const p = parsePayload(r, kind, this.id, this.state.byteLength);
    // Everything below may change state: all checks that can fail come first.
    if (p.initDataSent) {
      if (!ctx.switchoverAck) {
        throw new ProtocolError(
          ErrorCode.PROTOCOL_SECTION,
          `${this.id}: Received INIT_DATA_SENT but switchover ack is not used`,
          at,
        );
      }
      if (this.initSeq >= 0) {
        // QEMU would approve a second time and fail with -EINVAL.
        throw new ProtocolError(
          ErrorCode.PROTOCOL_SECTION,
          `${this.id}: qemu_loadvm_approve_switchover failed, err=-22 (Invalid argument)`,
          at,
        );
      }
    }
    if (this.failed) throw this.failed;
    for (const b of p.blobs) {
      if (b.extents.length > 0) this.post(b.data, b.extents);
    }
    if (p.initDataSent) {
      this.initSeq = this.posted;
      this.maybeApprove();
    }
  }

  private post(data: Uint8Array, extents: PrepExtent[]): void {
    const w = this.ensureWorker();
    const last = this.lastSeq!;
    let buf: ArrayBuffer | undefined;
    if (this.busy(last, extents)) {
      // The worker may still be checksumming an older copy of these blocks:
      // this blob goes over in its own buffer, for the worker to write in order.
      buf = new ArrayBuffer(data.byteLength);
      new Uint8Array(buf).set(data);
    } else {
      // The one copy: out of the stream buffer (which the decoder reuses) into place.
      for (const e of extents) {
        this.copier.copy(this.bytes, e.offset, data.subarray(e.at, e.at + e.length));
      }
    }
    const seq = ++this.posted;
    for (const e of extents) last.fill(seq, e.offset / BLOCK, (e.offset + e.length) / BLOCK);
    w.ref();
    if (buf) w.postMessage({ seq, extents, buf } satisfies ToWorker, [buf]);
    else w.postMessage({ seq, extents } satisfies ToWorker);
    // Bound the blobs queued for the worker: preparation should trail the
    // stream by a few blobs, not by the whole state, and resends while it
    // trails cost a copy each. When it falls behind, the stream waits.
    if (this.posted - this.done >= MAX_QUEUED_BLOBS && this.ctx) {
      this.ctx.holdInput(this.untilQueuedBelow(MAX_QUEUED_BLOBS / 2));
    }
  }

  /** Whether the worker may still read a block of these extents. */
  private busy(last: Uint32Array, extents: readonly PrepExtent[]): boolean {
    if (this.done === this.posted) return false;
    for (const e of extents) {
      for (let b = e.offset / BLOCK, end = (e.offset + e.length) / BLOCK; b < end; b++) {
        if (last[b]! > this.done) return true;
      }
    }
    return false;
  }

  /** Resolves once at most `n` blobs are waiting for the worker (or the load failed). */
  private untilQueuedBelow(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.posted - this.done <= n || this.failed) resolve();
        else this.queueWaiters.push(check);
      };
      check();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const data: WorkerData = { state: this.state };
    const w = new Worker(this.workerUrl, {
      workerData: data,
      name: `${this.id} prepare`,
      resourceLimits: HELPER_WORKER_LIMITS,
    });
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => {
      if (!this.stopping) {
        this.fail(
          new LivemigError(ErrorCode.BAD_STATE, `${this.id}: preparation worker exited (${code})`),
        );
      }
    });
    this.worker = w;
    this.lastSeq = new Uint32Array(this.state.byteLength / BLOCK);
    return w;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'error') {
      this.fail(new ProtocolError(ErrorCode.PROTOCOL_SECTION, `${this.id}: ${m.message}`));
      return;
    }
    this.done = m.seq;
    const qw = this.queueWaiters;
    this.queueWaiters = [];
    for (const f of qw) f();
    this.preparedBlocks = m.preparedBlocks;
    this.preparedBytes = m.preparedBytes;
    this.indexSize = m.indexSize;
    this.maybeApprove();
    if (this.done === this.posted) {
      // Idle: an idle worker must not keep the process alive.
      this.worker?.unref();
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w.resolve();
    }
  }

  private maybeApprove(): void {
    if (this.initSeq < 0 || this.approved || this.failed || this.done < this.initSeq) return;
    this.approved = true;
    try {
      this.ctx?.approveSwitchover();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    const qw = this.queueWaiters;
    this.queueWaiters = [];
    for (const f of qw) f();
    this.ctx?.fail(e);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
    void this.stop();
  }

  /** Resolves when everything received so far is prepared; rejects on a preparation failure. */
  complete(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.done === this.posted) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops the worker; resolves once its thread has exited (its isolate and index freed). */
  private async stop(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    this.worker = undefined;
    this.lastSeq = undefined;
    // Never rejects: callers may drop the promise (the engine's loadCleanup is sync).
    await w?.terminate().catch(() => undefined);
  }

  /**
   * Ends the load: the worker is terminated. Resolves once it has exited, so
   * a caller that waits has the worker's memory back before it reports the
   * migration completed (QEMU frees load resources before COMPLETED too).
   */
  cleanup(): Promise<void> {
    const exited = this.stop();
    const e = new LivemigError(ErrorCode.BAD_STATE, `${this.id}: load cleaned up`);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
    return exited;
  }
}
