/**
 * The report's tables all compare runs: one row per quantity, one column per
 * run, so two runs read side by side. Cells arrive as HTML (already escaped).
 */
import { escapeHtml } from './html.js';

export interface TableRow {
  /** The quantity, plain text. */
  label: string;
  /** One HTML cell per run. */
  cells: string[];
  /** Numbers are right-aligned in tabular figures. */
  numeric?: boolean;
  /** A stable hook for tests and styling, e.g. "downtime". */
  key?: string;
  /** Highlight a row that holds bad news (an error). */
  warn?: boolean;
}

/** A section heading row spanning the table, e.g. "Capabilities". */
export interface TableGroup {
  group: string;
}

export function compareTable(
  id: string,
  runLabels: string[],
  rows: (TableRow | TableGroup)[],
): string {
  const head = runLabels
    .map((l, i) => `<th scope="col" class="run-col" data-run="${i}">${escapeHtml(l)}</th>`)
    .join('');
  const body = rows
    .map((r) => {
      if ('group' in r) {
        return `<tr class="group"><th colspan="${runLabels.length + 1}" scope="rowgroup">${escapeHtml(r.group)}</th></tr>`;
      }
      const classes = [r.numeric ? 'num' : '', r.warn ? 'warn' : '']
        .filter((c) => c !== '')
        .join(' ');
      const cls = classes === '' ? '' : ` class="${classes}"`;
      const key = r.key === undefined ? '' : ` data-key="${escapeHtml(r.key)}"`;
      const cells = r.cells.map((c, i) => `<td data-run="${i}">${c}</td>`).join('');
      return `<tr${cls}${key}><th scope="row">${escapeHtml(r.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<table id="${id}" class="compare">
<thead><tr><th scope="col"></th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}
