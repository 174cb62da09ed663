/**
 * SaveVM-style device handlers, named after QEMU's SaveVMHandlers so the
 * reference reads across. A state entry (QEMU's SaveStateEntry) is either
 * live (START/PART/END sections, with its own payload format) or
 * non-iterative (one FULL section with a VMState payload), or both.
 *
 * Source side, per migration: isActive → saveSetup → saveIterate* →
 * saveComplete → saveCleanup. Destination side: loadSetup → (count
 * switchoverAckNeeded when the capability is on) → loadState per section →
 * loadComplete after EOF (before the guest may start) → loadCleanup.
 */
import type { ByteReader } from '../../protocol/bytes.js';
import type { SectionKind } from '../../protocol/sections.js';
import type { ChunkSink } from '../../protocol/stream-writer.js';
import type { VmDevice } from '../../vm/machine.js';

export interface SaveContext {
  /** The source's switchover-ack capability. */
  readonly switchoverAck: boolean;
}

export interface LoadContext {
  /** The destination's switchover-ack capability. */
  readonly switchoverAck: boolean;
  /**
   * QEMU's qemu_loadvm_approve_switchover(): a device whose
   * switchoverAckNeeded() was true calls this exactly once, when its initial
   * data is loaded and prepared. Throws if there is nothing left to approve.
   */
  approveSwitchover(): void;
  /** Records a load failure that happens outside loadState (e.g. in a worker). */
  fail(error: Error): void;
  /**
   * Backpressure: the stream is not read further until `ready` settles (a
   * device whose worker has fallen behind uses it to bound its queued data).
   */
  holdInput(ready: Promise<void>): void;
}

export interface LiveDevice {
  // ---- source ----
  /** false: the device takes no part in this migration (QEMU's is_active). */
  isActive?(): boolean;
  /** Writes the START section payload. */
  saveSetup(w: ChunkSink, ctx: SaveContext): void;
  /**
   * Writes one PART section payload, about `budget` bytes at most (a soft
   * limit: one page or chunk may overshoot it). Returns true when nothing is
   * pending right now.
   */
  saveIterate(w: ChunkSink, ctx: SaveContext, budget: number): boolean;
  /** Writes the END section payload: everything still pending (VM stopped). */
  saveComplete(w: ChunkSink, ctx: SaveContext): void;
  /** Cheap estimate of bytes still to send before switchover (QEMU's must_precopy). */
  pendingEstimate(): number;
  /** Accurate figure; may resynchronise (QEMU's state_pending_exact). */
  pendingExact(): number;
  saveCleanup?(): void;

  // ---- destination ----
  loadSetup?(ctx: LoadContext): void;
  /** QEMU's switchover_ack_needed(), asked once after loadSetup when the capability is on. */
  switchoverAckNeeded?(): boolean;
  /**
   * Reads one whole section payload from `r` (START, PART or END). It may be
   * called again with more bytes if it throws NeedMoreData, so it must not
   * change state before it has read everything it needs.
   */
  loadState(r: ByteReader, versionId: number, kind: SectionKind, ctx: LoadContext): void;
  /** After EOF, before the guest may start: finish what must finish (counted as downtime). */
  loadComplete?(): Promise<void>;
  loadCleanup?(): void;
}

export interface SaveStateEntry {
  readonly idstr: string;
  readonly instanceId: number;
  readonly versionId: number;
  /** Lowest stream version this entry loads (live entries; VMState ones use their vmsd). */
  readonly minimumVersionId?: number;
  /** QEMU's section id for this entry (registration order), used on the wire. */
  readonly sectionId: number;
  readonly live?: LiveDevice;
  readonly vmstate?: VmDevice;
}
