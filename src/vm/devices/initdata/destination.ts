/**
 * Destination side of the initdata device. loadState parses a payload whole,
 * then posts each blob to the preparation worker (one copy out of the stream
 * buffer, then a transfer). After INIT_DATA_SENT, once the worker has caught
 * up with everything posted before it, the device approves the switchover:
 * QEMU's VFIO approves on the marker because its device has already loaded
 * the bytes synchronously; ours loads them in a worker, so "loaded" means
 * "prepared" (protocol reference §4.8).
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode, LivemigError, ProtocolError } from '../../../errors.js';
import type { ByteReader } from '../../../protocol/bytes.js';
import type { SectionKind } from '../../../protocol/sections.js';
import type { LoadContext } from '../../../migration/savevm/entries.js';
import { INITDATA_VERSION, MAX_BLOB } from './format.js';
import { parsePayload } from './payload.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Blobs (≤ 1 MiB each) queued for the preparation worker before the stream is held. */
const MAX_QUEUED_BLOBS = 4;

export class InitDataLoader {
  private readonly id: string;
  private readonly state: SharedArrayBuffer;
  private readonly workerUrl: URL;
  private worker: Worker | undefined;
  private ctx: LoadContext | undefined;
  private posted = 0;
  private done = 0;
  /** Blobs posted before INIT_DATA_SENT arrived; -1 until it does. */
  private initSeq = -1;
  private approved = false;
  private failed: Error | undefined;
  private waiters: Waiter[] = [];
  private pool: ArrayBuffer[] = [];
  private queueWaiters: Array<() => void> = [];
  private stopping = false;
  preparedBlocks = 0;
  preparedBytes = 0;
  indexSize = 0;

  constructor(id: string, state: SharedArrayBuffer, workerUrl: URL) {
    this.id = id;
    this.state = state;
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
      if (b.extents.length > 0) this.post(b.data, b);
    }
    if (p.initDataSent) {
      this.initSeq = this.posted;
      this.maybeApprove();
    }
  }

  private post(data: Uint8Array, b: { extents: ToWorker['extents'] }): void {
    const w = this.ensureWorker();
    // The one copy: out of the stream buffer, which the decoder reuses. The
    // buffers come back from the worker and are reused: fresh 1 MiB buffers
    // would cost a page fault per 4 KiB on every blob.
    const buf = this.pool.pop() ?? new ArrayBuffer(MAX_BLOB);
    new Uint8Array(buf).set(data);
    const msg: ToWorker = { seq: ++this.posted, buf, extents: b.extents };
    w.ref();
    w.postMessage(msg, [buf]);
    // Bound the blobs queued for the worker (each holds up to 1 MiB): when it
    // falls behind, the stream waits rather than memory growing.
    if (this.posted - this.done >= MAX_QUEUED_BLOBS && this.ctx) {
      this.ctx.holdInput(this.untilQueuedBelow(MAX_QUEUED_BLOBS / 2));
    }
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
    const w = new Worker(this.workerUrl, { workerData: data, name: `${this.id} prepare` });
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
    return w;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'error') {
      this.fail(new ProtocolError(ErrorCode.PROTOCOL_SECTION, `${this.id}: ${m.message}`));
      return;
    }
    this.done = m.seq;
    this.pool.push(m.buf);
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
    this.stop();
  }

  /** Resolves when everything received so far is prepared; rejects on a preparation failure. */
  complete(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.done === this.posted) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private stop(): void {
    this.stopping = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
  }

  cleanup(): void {
    this.stop();
    const e = new LivemigError(ErrorCode.BAD_STATE, `${this.id}: load cleaned up`);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
  }
}
