/** The summary table: the numbers `livemig migrate` prints at the end, per run. */
import { formatBytes, formatCount, formatDuration, formatMbps, formatMs } from './format.js';
import { escapeHtml } from './html.js';
import type { RunRecord } from './run-record.js';
import { compareTable, type TableRow } from './table.js';

export function summaryTable(runs: RunRecord[]): string {
  const row = (
    key: string,
    label: string,
    cell: (r: RunRecord) => string,
    numeric = true,
  ): TableRow => ({ key, label, numeric, cells: runs.map((r) => escapeHtml(cell(r))) });
  const rows: TableRow[] = [
    {
      key: 'status',
      label: 'status',
      cells: runs.map((r) => {
        const s = r.summary.status;
        const cls = s === 'completed' ? 'ok' : s === 'failed' || s === 'cancelled' ? 'bad' : '';
        return `<span class="status ${cls}">${escapeHtml(s)}</span>`;
      }),
    },
    row('total', 'total time', (r) => formatDuration(r.summary.totalMs)),
    row('setup', 'setup time', (r) => formatMs(r.summary.setupMs)),
    row('downtime', 'downtime', (r) => formatMs(r.summary.downtimeMs)),
    row('passes', 'passes', (r) => formatCount(r.summary.passes)),
    row('transferred', 'transferred', (r) => formatBytes(r.summary.transferredBytes)),
    row('throughput', 'throughput', (r) => formatMbps(r.summary.throughputMbps)),
    row('zero-pages', 'zero pages', (r) => formatCount(r.summary.zeroPages)),
    row('normal-pages', 'normal pages', (r) => formatCount(r.summary.normalPages)),
    row('ack', 'switchover ACK at', (r) => formatMs(r.summary.ackMs)),
  ];
  // Only a failed run has an error; an always-empty row would just be noise.
  if (runs.some((r) => r.summary.errorDesc !== undefined)) {
    rows.push({
      key: 'error',
      label: 'error',
      warn: true,
      cells: runs.map((r) => escapeHtml(r.summary.errorDesc ?? '')),
    });
  }
  return compareTable(
    'summary',
    runs.map((r) => r.label),
    rows,
  );
}
