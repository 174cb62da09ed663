/**
 * Whether the migration was correct, not just fast: RAM and device state equal
 * on both sides, and the guest alive on the destination.
 */
import { formatCheck } from './format.js';
import { escapeHtml } from './html.js';
import type { RunRecord, RunVerification } from './run-record.js';
import { compareTable, type TableRow } from './table.js';

function check(ok: boolean | undefined): string {
  const cls = ok === undefined ? 'na' : ok ? 'pass' : 'fail';
  return `<span class="check ${cls}">${escapeHtml(formatCheck(ok))}</span>`;
}

/** All checks that were made passed, and at least one was made. */
function overall(v: RunVerification): boolean | undefined {
  const made = [v.ramEqual, v.devicesVerified, v.guestRunsOnDestination].filter(
    (c): c is boolean => c !== undefined,
  );
  return made.length === 0 ? undefined : made.every((c) => c);
}

function details(v: RunVerification): string {
  if (v.details.length === 0) return '<span class="na">n/a</span>';
  return `<ul class="details">${v.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>`;
}

export function verificationTable(runs: RunRecord[]): string {
  const row = (key: string, label: string, f: (v: RunVerification) => string): TableRow => ({
    key,
    label,
    cells: runs.map((r) => f(r.verification)),
  });
  return compareTable(
    'verification',
    runs.map((r) => r.label),
    [
      row('overall', 'all checks', (v) => check(overall(v))),
      row('ram', 'RAM identical', (v) => check(v.ramEqual)),
      row('devices', 'devices verified', (v) => check(v.devicesVerified)),
      row('guest', 'guest runs on destination', (v) => check(v.guestRunsOnDestination)),
      row('details', 'details', details),
    ],
  );
}
