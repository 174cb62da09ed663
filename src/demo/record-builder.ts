/**
 * Turning what the demo saw (query-migrate replies, QMP events, trace points)
 * into a RunRecord for the report. Pure: no QMP, no processes.
 */
import type { MigrationInfo, MigrationStats } from '../qmp/client/types.js';
import type { RunEvent, RunSample, RunSummary } from '../report/run-record.js';
import type { TimedEvent } from './child-vm.js';

const num = (v: number | bigint | undefined): number => (v === undefined ? 0 : Number(v));

export function sampleOf(info: MigrationInfo, tMs: number): RunSample | undefined {
  const ram = info.ram;
  if (ram === undefined) return undefined;
  const pageSize = num(ram['page-size']) || 4096;
  return {
    tMs: Math.round(tMs),
    status: info.status ?? 'none',
    pass: num(ram['dirty-sync-count']),
    remainingBytes: num(ram.remaining),
    transferredBytes: num(ram.transferred),
    mbps: ram.mbps,
    dirtyBytesPerSec: num(ram['dirty-pages-rate']) * pageSize,
    expectedDowntimeMs: num(info['expected-downtime']),
  };
}

/**
 * The timeline's events from both sides' QMP events (server timestamps, so
 * both are on the wall clock): passes, statuses, the source's STOP and the
 * destination's RESUME; plus the ACK from the source's trace.
 */
export function timelineEvents(
  startedAtMs: number,
  source: readonly TimedEvent[],
  destination: readonly TimedEvent[],
  ackAtMs: number | undefined,
): RunEvent[] {
  const out: RunEvent[] = [];
  const at = (ms: number): number => Math.round((ms - startedAtMs) * 10) / 10;
  for (const { atMs, event } of source) {
    if (atMs < startedAtMs - 1) continue;
    if (event.event === 'MIGRATION_PASS')
      out.push({ tMs: at(atMs), kind: 'pass', side: 'source', detail: String(event.data.pass) });
    else if (event.event === 'MIGRATION')
      out.push({
        tMs: at(atMs),
        kind: 'status',
        side: 'source',
        detail: String(event.data.status),
      });
    else if (event.event === 'STOP') out.push({ tMs: at(atMs), kind: 'stop', side: 'source' });
  }
  for (const { atMs, event } of destination) {
    if (atMs < startedAtMs - 1) continue;
    if (event.event === 'MIGRATION')
      out.push({
        tMs: at(atMs),
        kind: 'status',
        side: 'destination',
        detail: String(event.data.status),
      });
    else if (event.event === 'RESUME')
      out.push({ tMs: at(atMs), kind: 'resume', side: 'destination' });
  }
  if (ackAtMs !== undefined) out.push({ tMs: at(ackAtMs), kind: 'ack', side: 'source' });
  return out.sort((a, b) => a.tMs - b.tMs);
}

export function summaryOf(
  info: MigrationInfo,
  ram: MigrationStats | undefined,
  wallMs: number,
  ackMs: number | undefined,
): RunSummary {
  const total = info['total-time'] === undefined ? undefined : num(info['total-time']);
  const ms = total ?? wallMs;
  const transferred = ram === undefined ? undefined : num(ram.transferred);
  return {
    status: info.status ?? 'unknown',
    totalMs: total,
    setupMs: info['setup-time'] === undefined ? undefined : num(info['setup-time']),
    downtimeMs: info.downtime === undefined ? undefined : num(info.downtime),
    passes: ram === undefined ? undefined : num(ram['dirty-sync-count']),
    transferredBytes: transferred,
    throughputMbps:
      transferred === undefined || ms <= 0 ? undefined : (transferred * 8) / 1000 / ms,
    zeroPages: ram === undefined ? undefined : num(ram.duplicate),
    normalPages: ram === undefined ? undefined : num(ram.normal),
    ackMs,
    ...(info['error-desc'] === undefined ? {} : { errorDesc: info['error-desc'] }),
  };
}
