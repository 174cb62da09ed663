/**
 * Reading the trace lines a `livemig run` writes with LIVEMIG_TRACE
 * ("<epoch ms> <pid> <name> <args>", see src/trace.ts), and cutting the
 * downtime window at QEMU's vmstate_downtime_checkpoint points.
 */
import type { DowntimePart } from '../report/run-record.js';

export interface TracePoint {
  /** ms since the Unix epoch (comparable between processes). */
  atMs: number;
  name: string;
  args: string;
}

const LINE = /^(\d+\.\d+) \d+ (\S+) ?(.*)$/;

export function parseTraceLines(text: string): TracePoint[] {
  const out: TracePoint[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m) out.push({ atMs: Number(m[1]), name: m[2]!, args: m[3]! });
  }
  return out;
}

/** The first trace point called `name` (with exactly `args`, when given). */
export function findTrace(
  points: readonly TracePoint[],
  name: string,
  args?: string,
): TracePoint | undefined {
  return points.find((p) => p.name === name && (args === undefined || p.args === args));
}

/** When checkpoint `id` was passed, in ms since the epoch. */
function checkpoint(points: readonly TracePoint[], id: string): number | undefined {
  return findTrace(points, 'vmstate_downtime_checkpoint', id)?.atMs;
}

/** The trace patterns the demo switches on in each process. */
export const SOURCE_TRACE =
  'vmstate_downtime_checkpoint,source_return_path_thread_switchover_acked,migration_completion';
export const DESTINATION_TRACE =
  'vmstate_downtime_checkpoint,loadvm_approve_switchover,loadvm_state_switchover_ack_needed';

export interface DowntimeBreakdown {
  /** Source stop → destination running, ms; undefined when a checkpoint is missing. */
  guestVisibleMs: number | undefined;
  parts: DowntimePart[];
  /** src-downtime-start and dst-precopy-bh-vm-started, epoch ms. */
  startAtMs: number | undefined;
  endAtMs: number | undefined;
}

/**
 * The parts, in order: final RAM (stop and the iterable devices' last data,
 * written out), device state (the non-iterable devices, EOF), load and
 * preparation (until the destination finished loading: whatever its devices
 * still had to do), start (until the guest runs on the destination).
 * Parts whose ends are missing are left out; negative spans (clock skew
 * between the processes) count as 0.
 */
export function downtimeBreakdown(
  source: readonly TracePoint[],
  destination: readonly TracePoint[],
): DowntimeBreakdown {
  const marks = [
    checkpoint(source, 'src-downtime-start'),
    checkpoint(source, 'src-iterable-saved'),
    checkpoint(source, 'src-non-iterable-saved'),
    checkpoint(destination, 'dst-precopy-loadvm-completed'),
    checkpoint(destination, 'dst-precopy-bh-vm-started'),
  ];
  const names = ['final RAM', 'device state', 'load and preparation', 'start'];
  const parts: DowntimePart[] = [];
  for (let i = 0; i < names.length; i++) {
    const a = marks[i];
    const b = marks[i + 1];
    if (a === undefined || b === undefined) continue;
    parts.push({ name: names[i]!, ms: Math.max(0, b - a) });
  }
  const start = marks[0];
  const end = marks[4];
  return {
    guestVisibleMs: start !== undefined && end !== undefined ? Math.max(0, end - start) : undefined,
    parts,
    startAtMs: start,
    endAtMs: end,
  };
}
