/**
 * Each run's section: the timeline chart's container (the in-page script draws
 * into it), what its lines and markers mean, and the raw event list.
 */
import { CHART_STYLE, MARKER_KINDS } from './chart-style.js';
import { formatMs } from './format.js';
import { escapeHtml } from './html.js';
import type { RunRecord } from './run-record.js';

/**
 * What the vertical markers mean. The series need no legend of ours: uPlot's
 * own, under the chart, names them and shows their values under the cursor.
 */
function markerLegend(): string {
  const markers = MARKER_KINDS.map((k) => {
    const m = CHART_STYLE.markers[k];
    const style = m.dash.length > 0 ? 'dashed' : 'solid';
    return `<li class="marker marker-${k}"><span class="vline" style="border-left:2px ${style} ${m.colour}"></span><b>${k}</b>: ${escapeHtml(m.meaning)}</li>`;
  }).join('');
  return `<ul class="chart-legend">${markers}</ul>`;
}

function eventsTable(r: RunRecord): string {
  if (r.events.length === 0) return '<p class="na">n/a: no events recorded</p>';
  const rows = [...r.events]
    .sort((a, b) => a.tMs - b.tMs)
    .map(
      (e) =>
        `<tr class="event-${e.kind}"><td class="num">${escapeHtml(formatMs(e.tMs))}</td><td>${escapeHtml(e.side)}</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.detail ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<details class="events"><summary>Events (${r.events.length})</summary>
<table class="events-table"><thead><tr><th>time</th><th>side</th><th>event</th><th>detail</th></tr></thead>
<tbody>
${rows}
</tbody></table></details>`;
}

export function runSection(r: RunRecord, i: number): string {
  const chart =
    r.samples.length === 0
      ? `<div class="timeline empty" data-run="${i}"><p class="na">n/a: no samples recorded</p></div>`
      : `<div class="timeline" data-run="${i}" role="img" aria-label="${escapeHtml(`Timeline of ${r.label}`)}"></div>`;
  return `<section class="run" id="run-${i}" data-run="${i}">
<h2>Timeline: ${escapeHtml(r.label)}</h2>
<p class="note">${r.samples.length} samples of query-migrate on the source; time in ms after the migrate command.
Remaining RAM on the left axis; transfer and dirty rate on the right.</p>
${chart}
${markerLegend()}
${eventsTable(r)}
</section>`;
}
