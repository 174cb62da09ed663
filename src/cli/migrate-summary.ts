/** The summary table printed when `livemig migrate --wait` ends. */
import type { MigrationInfo, MigrationStats } from '../qmp/client/types.js';
import { bytes, duration, mbps, n } from './migrate-progress.js';

export interface SummaryInput {
  /** The source's last query-migrate (final status). */
  info: MigrationInfo;
  /** The last `ram` seen (failed/cancelled replies carry none). */
  ram: MigrationStats | undefined;
  /** Wall time from the `migrate` command to the end, measured here. */
  wallMs: number;
  /** switchover-ack on; `stopMs`: when the source's STOP event arrived (ms after migrate). */
  switchoverAck: boolean;
  stopMs: number | undefined;
  /** When the source got the ACK (ms after migrate), when known from its trace (the demo). */
  ackMs?: number | undefined;
  cancelRequested: boolean;
  /** query-status of the source afterwards, e.g. "running". */
  sourceRunState: string | undefined;
  /** The destination's migration status and run state, when it could be read. */
  destination: string | undefined;
}

function ackRow(s: SummaryInput): string {
  if (!s.switchoverAck) return 'n/a (switchover-ack off)';
  if (s.ackMs !== undefined) {
    const stop = s.stopMs === undefined ? '' : `, switchover at +${duration(s.stopMs)}`;
    return `+${duration(s.ackMs)} after migrate${stop}`;
  }
  if (s.info.status !== 'completed') return 'not acked before the end';
  // QEMU 8.1 reports the ACK nowhere on QMP; it precedes the switchover, which STOP marks.
  if (s.stopMs !== undefined)
    return `n/a (not visible on QMP); before the switchover at +${duration(s.stopMs)}`;
  return 'n/a (not visible on QMP); it came before the switchover';
}

export function summaryRows(s: SummaryInput): [string, string][] {
  const status = s.info.status ?? 'unknown';
  const rows: [string, string][] = [['status', status]];
  if (s.info['error-desc'] !== undefined) rows.push(['error', s.info['error-desc']]);
  if (s.cancelRequested) rows.push(['cancel', 'requested by the user (migrate_cancel)']);
  const total = s.info['total-time'];
  rows.push(['total time', duration(total === undefined ? s.wallMs : n(total))]);
  const setup = s.info['setup-time'];
  rows.push(['setup time', setup === undefined ? 'n/a' : duration(n(setup))]);
  const down = s.info.downtime;
  rows.push(['downtime', down === undefined ? 'n/a (no switchover)' : duration(n(down))]);
  const ram = s.ram;
  if (ram !== undefined) {
    const ms = total === undefined ? s.wallMs : n(total);
    const avg = ms > 0 ? (n(ram.transferred) * 8) / 1000 / ms : 0;
    rows.push(
      ['passes', String(n(ram['dirty-sync-count']))],
      ['transferred', `${bytes(n(ram.transferred))} (${n(ram.transferred)} bytes)`],
      ['RAM size', bytes(n(ram.total))],
      ['throughput', `${mbps(ram.mbps)} (last), ${mbps(avg)} (average)`],
      ['zero pages', String(n(ram.duplicate))],
      ['normal pages', String(n(ram.normal))],
    );
  }
  rows.push(['switchover ACK', ackRow(s)]);
  if (s.sourceRunState !== undefined) rows.push(['source VM', s.sourceRunState]);
  if (s.destination !== undefined) rows.push(['destination', s.destination]);
  return rows;
}

export function formatSummary(s: SummaryInput): string {
  const rows = summaryRows(s);
  const width = Math.max(...rows.map(([k]) => k.length));
  return (
    'Migration summary\n' + rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n'
  );
}
