/**
 * The source side of a precopy migration (QEMU's migration thread):
 *
 *   setup:  header, configuration, [OPEN_RETURN_PATH, PING 1], START of each live device
 *   active: rounds of PART sections under max-bandwidth until pending < threshold
 *           and the switchover gate opens (switchover-ack)
 *   completion: stop the VM, [pre-switchover ⇢ migrate-continue ⇢ device], END sections,
 *           FULL sections, EOF, vmdesc, then wait for the destination's SHUT
 *
 * Any failure or cancel restarts the source VM if it was running; failed and
 * cancelled are announced only after cleanup.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { ByteWriter } from '../protocol/bytes.js';
import { writeCommand } from '../protocol/commands.js';
import { writeConfiguration } from '../protocol/configuration.js';
import { writeFileHeader } from '../protocol/header.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
} from '../protocol/sections.js';
import { VmdescDocument } from '../protocol/vmstate/index.js';
import { downtimeCheckpoint as checkpoint, trace } from '../trace.js';
import { connectOutgoing, RateLimiter, type MigrationChannel } from '../transport/index.js';
import type { Machine } from '../vm/machine.js';
import type { RunState } from '../vm/runstate.js';
import { Bandwidth } from './bandwidth.js';
import type { MigrationOptions } from './options.js';
import { RamStats } from './ram-stats.js';
import type { LiveDevice, SaveContext, SaveStateEntry } from './savevm/entries.js';
import { SourceReturnPath } from './source-return-path.js';
import { StagingWriter } from './staging-writer.js';
import { StatusMachine, type MigrationStatus } from './status.js';

/** Bytes one round may produce when bandwidth is unlimited, before yielding to the event loop. */
const ROUND_BYTES = 8 << 20;
/** A device's share of a round is never smaller than this, so a slow round still moves. */
const MIN_SHARE = 64 << 10;

export interface OutgoingDeps {
  machine: Machine;
  options: MigrationOptions;
  /** State entries in section order; built for this migration (fresh live devices). */
  entries: SaveStateEntry[];
  /** The RAM stats the RAM saver updates. */
  ramStats: RamStats;
  /** -uuid bytes, sent when validate-uuid is on. */
  uuid?: Uint8Array;
  /** Sends a QMP event. */
  emit(name: string, data?: Record<string, unknown>): void;
  now?: () => number;
}

interface ActiveLive {
  entry: SaveStateEntry;
  live: LiveDevice;
}

export class OutgoingMigration {
  readonly status: StatusMachine;
  errorDesc: string | undefined;
  readonly stats: RamStats;
  readonly bandwidth = new Bandwidth();
  #startTime = 0;
  #setupTime = 0;
  #totalTime = 0;
  #downtime = 0;
  #expectedDowntime = 0;
  readonly #deps: OutgoingDeps;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #channel: MigrationChannel | undefined;
  #channelError: LivemigError | undefined;
  #returnPath: SourceReturnPath | undefined;
  #continueWaiter: (() => void) | undefined;
  #limiter: RateLimiter | undefined;
  /** Run state before the migration stopped the VM (QEMU's vm_old_state). */
  #vmOldState: RunState | undefined;
  /** Resolves when run() has finished (completed, failed or cancelled). */
  done: Promise<void> = Promise.resolve();

  constructor(deps: OutgoingDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => performance.now());
    this.stats = deps.ramStats;
    this.status = new StatusMachine((status) => {
      if (deps.options.cap('events')) deps.emit('MIGRATION', { status });
    });
  }

  /** QEMU's migrate_init plus the connection: status setup now, the rest asynchronously. */
  start(uri: string, beforeStop?: () => void): void {
    this.#startTime = this.#now();
    this.#beforeStop = beforeStop;
    this.status.transition('setup');
    this.done = this.#run(uri);
  }

  /** A synchronous failure right after start (QEMU 8.1's late URI check): setup → failed. */
  failNow(e: unknown): void {
    this.#abort.abort(e);
    this.#syncFailure = e;
  }

  #beforeStop: (() => void) | undefined;
  #syncFailure: unknown;

  /** migrate_cancel: cancelling now, cancelled after cleanup. */
  cancel(): void {
    const s = this.status.status;
    if (s === 'setup' || s === 'active' || s === 'pre-switchover' || s === 'device') {
      this.status.transition('cancelling');
      this.#abort.abort(new LivemigError(ErrorCode.ABORTED, 'Migration cancelled'));
      this.#continueWaiter?.();
    }
  }

  /** migrate-continue {state}. */
  continueFrom(state: string): void {
    const s = this.status.status;
    if (s !== state) {
      throw new LivemigError(ErrorCode.BAD_STATE, `Migration not in expected state: ${s}`);
    }
    this.#continueWaiter?.();
  }

  /** Live-tunable parameters (max-bandwidth). */
  parametersChanged(): void {
    this.#limiter?.setRate(this.#deps.options.param('max-bandwidth'));
  }

  async #run(uri: string): Promise<void> {
    const signal = this.#abort.signal;
    const { options } = this.#deps;
    try {
      const channel = await connectOutgoing(uri, signal);
      this.#channel = channel;
      channel.onError((e) => (this.#channelError ??= e));
      const returnPath = options.cap('return-path');
      if (returnPath) {
        this.#returnPath = new SourceReturnPath(channel, (e) => (this.#channelError ??= e));
      }
      const ctx: SaveContext = { switchoverAck: options.cap('switchover-ack') };
      const live = this.#activeLive();
      const w = new StagingWriter();
      this.#setup(w, live, ctx, returnPath);
      await this.#flush(w);
      this.#setupTime = this.#now() - this.#startTime;
      this.status.transition('active');
      await this.#iterate(w, live, ctx, signal);
      await this.#complete(w, live, ctx, signal);
    } catch (e) {
      await this.#fail(e);
    }
  }

  #activeLive(): ActiveLive[] {
    const out: ActiveLive[] = [];
    for (const entry of this.#deps.entries) {
      if (entry.live && entry.live.isActive?.() !== false) out.push({ entry, live: entry.live });
    }
    return out;
  }

  #setup(w: StagingWriter, live: ActiveLive[], ctx: SaveContext, returnPath: boolean): void {
    const { options, machine, uuid } = this.#deps;
    writeFileHeader(w);
    if (options.sendConfiguration) {
      writeConfiguration(w, {
        machine: machine.type,
        ...(options.cap('validate-uuid') && uuid ? { uuid } : {}),
      });
    }
    if (returnPath) {
      writeCommand(w, { name: 'OPEN_RETURN_PATH' });
      writeCommand(w, { name: 'PING', value: 1 });
    }
    for (const { entry, live: dev } of live) {
      writeSectionHeader(
        w,
        'start',
        entry.sectionId,
        entry.idstr,
        entry.instanceId,
        entry.versionId,
      );
      dev.saveSetup(w, ctx);
      if (options.sendSectionFooter) writeSectionFooter(w, entry.sectionId);
    }
  }

  /** The precopy loop (QEMU's migration_iteration_run, once per round). */
  async #iterate(
    w: StagingWriter,
    live: ActiveLive[],
    ctx: SaveContext,
    signal: AbortSignal,
  ): Promise<void> {
    const { options, machine } = this.#deps;
    const limiter = new RateLimiter({
      bytesPerSec: options.param('max-bandwidth'),
      now: this.#now,
    });
    this.#limiter = limiter;
    for (;;) {
      this.#checkAlive(signal);
      this.#closeWindow(limiter.updateWindow());
      const canSwitchover =
        !ctx.switchoverAck || !machine.runstate.running || this.#returnPath?.acked === true;
      const threshold = this.bandwidth.threshold;
      let pending = 0;
      for (const l of live) pending += l.live.pendingEstimate();
      if (pending < threshold) {
        pending = 0;
        for (const l of live) pending += l.live.pendingExact();
      }
      const downtimeLimit = Number(options.param('downtime-limit'));
      this.#expectedDowntime = this.bandwidth.expectedDowntime(pending, downtimeLimit);
      trace('migrate_pending_estimate', { size: pending, threshold });
      if ((pending === 0 || pending < threshold) && canSwitchover) return;
      this.#round(w, live, ctx, limiter);
      await this.#flush(w);
      if (limiter.rateLimitExceeded()) this.#closeWindow(await limiter.waitForWindow(signal));
      else await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * One round: every live device gets a fair share of the round's bytes, so
   * RAM can never starve a device's initial data (QEMU serialised devices and
   * could, with switchover-ack, never converge).
   */
  #round(w: StagingWriter, live: ActiveLive[], ctx: SaveContext, limiter: RateLimiter): void {
    const { options } = this.#deps;
    const limit = limiter.windowLimit;
    // Rounds stay small even under a generous limit, so writes pipeline with
    // the socket and the event loop (QMP) gets a turn between them.
    const budget =
      limit === 0 ? ROUND_BYTES : Math.min(ROUND_BYTES, Math.max(0, limit - limiter.windowUsed));
    const share = Math.max(MIN_SHARE, Math.floor(budget / Math.max(1, live.length)));
    for (const { entry, live: dev } of live) {
      if (limiter.rateLimitExceeded()) break;
      const before = w.written;
      writeSectionContinuation(w, 'part', entry.sectionId);
      dev.saveIterate(w, ctx, share);
      if (options.sendSectionFooter) writeSectionFooter(w, entry.sectionId);
      limiter.account(w.written - before);
    }
  }

  #closeWindow(sample: { bytes: number; ms: number } | undefined): void {
    if (!sample) return;
    const { options } = this.#deps;
    this.bandwidth.update(
      sample.bytes,
      sample.ms,
      Number(options.param('downtime-limit')),
      Number(options.param('avail-switchover-bandwidth')),
    );
    this.stats.mbps = this.bandwidth.mbps;
    this.stats.pagesPerSecond = Math.round((sample.bytes / 4096) * (1000 / sample.ms));
  }

  async #complete(
    w: StagingWriter,
    live: ActiveLive[],
    ctx: SaveContext,
    signal: AbortSignal,
  ): Promise<void> {
    const { machine, options, entries } = this.#deps;
    trace('migration_completion');
    const downtimeStart = this.#now();
    checkpoint('src-downtime-start');
    this.#vmOldState = machine.runstate.state;
    this.#beforeStop?.();
    await machine.vmStop('finish-migrate');
    checkpoint('src-vm-stopped');
    this.stats.precopyBytes = this.stats.transferred;
    if (options.cap('pause-before-switchover')) {
      this.status.transition('pre-switchover');
      await new Promise<void>((resolve) => (this.#continueWaiter = resolve));
      this.#continueWaiter = undefined;
      this.#checkAlive(signal);
      this.status.transition('device');
    }
    for (const { entry, live: dev } of live) {
      // With the VM stopped, drain what is already pending in bounded PART
      // sections, flushing between them; then END carries only what the final
      // sync finds (one sync after STOP, as in QEMU). Staging buffers are thus
      // reused rather than grown by the whole remainder.
      // No extra section when nothing is pending, so a quiet stream matches QEMU's.
      for (let done = dev.pendingEstimate() === 0; !done;) {
        writeSectionContinuation(w, 'part', entry.sectionId);
        done = dev.saveIterate(w, ctx, ROUND_BYTES) || dev.pendingEstimate() === 0;
        if (options.sendSectionFooter) writeSectionFooter(w, entry.sectionId);
        await this.#flush(w);
      }
      writeSectionContinuation(w, 'end', entry.sectionId);
      dev.saveComplete(w, ctx);
      if (options.sendSectionFooter) writeSectionFooter(w, entry.sectionId);
    }
    // Flushed first, so the checkpoint marks the final RAM having left.
    await this.#flush(w);
    checkpoint('src-iterable-saved');
    const vmdesc = new VmdescDocument(4096);
    for (const entry of entries) {
      if (!entry.vmstate) continue;
      writeSectionHeader(
        w,
        'full',
        entry.sectionId,
        entry.idstr,
        entry.instanceId,
        entry.versionId,
      );
      const payload = new ByteWriter();
      vmdesc.addDevice(
        payload,
        entry.idstr,
        entry.instanceId,
        entry.vmstate.vmsd,
        entry.vmstate.save(),
      );
      w.bytes(payload.finish());
      if (options.sendSectionFooter) writeSectionFooter(w, entry.sectionId);
    }
    writeEof(w);
    writeVmdesc(w, vmdesc.finish());
    await this.#flush(w);
    checkpoint('src-non-iterable-saved');
    this.stats.downtimeBytes = this.stats.transferred - this.stats.precopyBytes;
    if (this.#returnPath) await this.#returnPath.waitShut(signal, () => this.#checkAlive(signal));
    else await this.#channel!.shutdown(signal);
    this.#downtime = Math.round(this.#now() - downtimeStart);
    checkpoint('src-downtime-end');
    this.#totalTime = Math.round(this.#now() - this.#startTime);
    this.stats.remaining = 0;
    this.stats.dirtyPagesRate = 0;
    this.#cleanup();
    this.status.transition('completed');
    await machine.vmStop('postmigrate');
  }

  /** Writes everything staged and waits while the channel pushes back. */
  async #flush(w: StagingWriter): Promise<void> {
    const chunks = w.take();
    if (chunks.length === 0) return;
    let n = 0;
    for (const c of chunks) n += c.length;
    this.stats.transferred += n;
    const channel = this.#channel!;
    const t0 = this.#now();
    if (!channel.write(chunks)) await channel.waitDrain(this.#abort.signal);
    w.release(channel.bytesQueued - channel.writableLength);
    trace('migration_flush', {
      bytes: n,
      chunks: chunks.length,
      ms: (this.#now() - t0).toFixed(2),
    });
    this.#checkAlive(this.#abort.signal);
  }

  #checkAlive(signal: AbortSignal): void {
    if (signal.aborted) throw signal.reason;
    if (this.#channelError) throw this.#channelError;
  }

  #cleanup(): void {
    // Dropped as well as closed: the manager keeps this object for
    // query-migrate, and the channel holds its write staging buffers.
    this.#channel?.destroy();
    this.#channel = undefined;
    this.#returnPath = undefined;
    for (const e of this.#deps.entries) e.live?.saveCleanup?.();
  }

  async #fail(e: unknown): Promise<void> {
    const cancelled = this.status.status === 'cancelling';
    this.#cleanup();
    const { machine } = this.#deps;
    // The source VM keeps running whenever a migration fails (QEMU restarts it).
    // (QEMU 8.1 leaves a paused source in postmigrate; like later QEMU, livemig restores its state.)
    const s = machine.runstate.state;
    const old = this.#vmOldState;
    if (old !== undefined && (s === 'finish-migrate' || s === 'paused')) {
      if (old === 'running') await machine.start();
      else await machine.vmStop(old);
    }
    this.#totalTime = Math.round(this.#now() - this.#startTime);
    if (cancelled) {
      this.status.transition('cancelled');
    } else if (this.#syncFailure !== undefined) {
      // Reported as the command's error; QEMU's status says failed without error-desc.
      this.status.transition('failed');
    } else {
      this.errorDesc = e instanceof Error ? e.message : String(e);
      trace('migrate_fd_error', { error_desc: this.errorDesc });
      this.status.transition('failed');
    }
  }

  /** query-migrate's MigrationInfo for this migration. */
  info(): Record<string, unknown> {
    const s: MigrationStatus = this.status.status;
    const out: Record<string, unknown> = { status: s };
    switch (s) {
      case 'active':
      case 'cancelling':
      case 'pre-switchover':
      case 'device':
        out['setup-time'] = Math.round(this.#setupTime);
        out['total-time'] = Math.round(this.#now() - this.#startTime);
        out['expected-downtime'] = this.#expectedDowntime;
        out.ram = this.stats.toInfo();
        break;
      case 'completed':
        out['setup-time'] = Math.round(this.#setupTime);
        out['total-time'] = this.#totalTime;
        out.downtime = this.#downtime;
        out.ram = this.stats.toInfo();
        break;
      default:
        break;
    }
    if (this.errorDesc !== undefined) out['error-desc'] = this.errorDesc;
    return out;
  }
}
