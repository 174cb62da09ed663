/**
 * What one demo run records, and what the HTML report draws: the contract
 * between `livemig demo` (which fills it from QMP and trace points) and the
 * report renderer. Times are milliseconds after the `migrate` command; sizes
 * are bytes. Plain JSON (no bigint), so a record can be saved and re-rendered.
 */

export const RUN_RECORD_VERSION = 1;

/** One query-migrate on the source. */
export interface RunSample {
  tMs: number;
  status: string;
  /** ram.dirty-sync-count: the pass. */
  pass: number;
  remainingBytes: number;
  transferredBytes: number;
  /** ram.mbps: QEMU's transfer rate, Mbit/s. */
  mbps: number;
  /** ram.dirty-pages-rate × page size. */
  dirtyBytesPerSec: number;
  expectedDowntimeMs: number;
}

export type RunEventKind =
  /** A MIGRATION_PASS event: pass N starts. */
  | 'pass'
  /** A MIGRATION event on either side; `detail` is the status. */
  | 'status'
  /** The source received SWITCHOVER_ACK on the return path. */
  | 'ack'
  /** The source VM stopped (switchover starts). */
  | 'stop'
  /** The destination VM started running. */
  | 'resume';

export interface RunEvent {
  tMs: number;
  kind: RunEventKind;
  side: 'source' | 'destination';
  detail?: string;
}

/**
 * The downtime window, cut at QEMU's vmstate_downtime_checkpoint trace points.
 * Part names, in order: "final RAM" (src-downtime-start → src-iterable-saved),
 * "device state" (→ src-non-iterable-saved), "load and preparation"
 * (→ dst-precopy-loadvm-completed), "start" (→ dst-precopy-bh-vm-started).
 */
export interface DowntimePart {
  name: string;
  ms: number;
}

export interface RunDowntime {
  /** query-migrate's `downtime` on the source (QEMU's definition). */
  reportedMs: number | undefined;
  /** Source stop to destination running, from the checkpoints; undefined if not traced. */
  guestVisibleMs: number | undefined;
  parts: DowntimePart[];
}

export interface RunVerification {
  /** The destination's RAM equals the source's at the stop, byte for byte. */
  ramEqual: boolean | undefined;
  /** Every initdata device verified byte for byte (x-initdata-verify). */
  devicesVerified: boolean | undefined;
  /** The guest runs on the destination after the migration (progress observed). */
  guestRunsOnDestination: boolean | undefined;
  /** Human-readable lines, e.g. "RAM: 256 MiB identical (65536 pages)". */
  details: string[];
}

export interface RunSummary {
  status: string;
  totalMs: number | undefined;
  setupMs: number | undefined;
  downtimeMs: number | undefined;
  passes: number | undefined;
  transferredBytes: number | undefined;
  /** Average over the migration, Mbit/s. */
  throughputMbps: number | undefined;
  zeroPages: number | undefined;
  normalPages: number | undefined;
  /** When the ACK arrived (ms after migrate); undefined when off or never. */
  ackMs: number | undefined;
  errorDesc?: string;
}

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  /** Short name shown in the report, e.g. "switchover-ack" or "no switchover-ack". */
  label: string;
  /** ISO 8601 wall-clock time of the `migrate` command. */
  startedAt: string;
  livemigVersion: string;
  setup: {
    machine: string;
    ramBytes: number;
    workload: string;
    initdataBytes: number;
    uri: string;
    /** Capabilities as set on both sides. */
    capabilities: Record<string, boolean>;
    /** Parameters as set (QMP names, JSON values). */
    parameters: Record<string, string | number | boolean>;
  };
  samples: RunSample[];
  events: RunEvent[];
  downtime: RunDowntime;
  summary: RunSummary;
  verification: RunVerification;
}
