/**
 * Downtime as stacked bars, one per run, all on one scale, so the run whose
 * destination prepared device state inside the downtime shows as a long bar
 * next to a short one. Plain HTML (flex boxes with percentage widths) rather
 * than a chart: it scales with the page and its numbers are ordinary text.
 */
import { formatMs, formatNumber } from './format.js';
import { escapeHtml } from './html.js';
import type { RunRecord } from './run-record.js';

/** Colours of the parts named in run-record.ts; other names take the fallbacks in order. */
const PART_COLOURS: Record<string, string> = {
  'final RAM': '#4e79a7',
  'device state': '#f28e2b',
  'load and preparation': '#e15759',
  start: '#59a14f',
};
const FALLBACK_COLOURS = ['#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

function colour(name: string, i: number): string {
  return PART_COLOURS[name] ?? FALLBACK_COLOURS[i % FALLBACK_COLOURS.length]!;
}

function partsTotal(r: RunRecord): number {
  return r.downtime.parts.reduce((s, p) => s + Math.max(0, p.ms), 0);
}

/** The common scale: the longest downtime among the runs, in ms (0 when none is known). */
export function downtimeScaleMs(runs: RunRecord[]): number {
  return Math.max(0, ...runs.map(partsTotal));
}

/** Percentages with a fixed precision, so the same record always renders the same page. */
function pct(ms: number, scale: number): string {
  return `${((Math.max(0, ms) / scale) * 100).toFixed(3)}%`;
}

function bar(r: RunRecord, scale: number): string {
  const parts = r.downtime.parts;
  if (parts.length === 0 || scale <= 0) {
    return '<div class="downtime-row"><div class="downtime-bar empty"><span class="na">n/a: downtime parts were not traced</span></div></div>';
  }
  const divs = parts
    .map(
      (p, i) =>
        `<div class="part" data-part="${i}" data-ms="${p.ms}" title="${escapeHtml(`${p.name}: ${formatMs(p.ms)}`)}" style="width:${pct(p.ms, scale)};background:${colour(p.name, i)}"></div>`,
    )
    .join('');
  // The total sits beside the track, not in it: a full-width bar has no room left.
  return `<div class="downtime-row"><div class="downtime-bar">${divs}</div><span class="bar-total">${escapeHtml(formatMs(partsTotal(r)))}</span></div>`;
}

function legend(r: RunRecord): string {
  if (r.downtime.parts.length === 0) return '';
  const items = r.downtime.parts
    .map(
      (p, i) =>
        `<li data-part="${i}"><span class="swatch" style="background:${colour(p.name, i)}"></span><span class="part-name">${escapeHtml(p.name)}</span> <span class="part-ms">${escapeHtml(formatMs(p.ms))}</span></li>`,
    )
    .join('');
  return `<ol class="downtime-legend">${items}</ol>`;
}

export function downtimeSection(runs: RunRecord[]): string {
  const scale = downtimeScaleMs(runs);
  const rows = runs
    .map(
      (r, i) => `<div class="downtime-run" id="downtime-${i}" data-run="${i}">
<div class="downtime-head"><span class="run-label">${escapeHtml(r.label)}</span>
<span class="downtime-numbers">reported <b class="reported">${escapeHtml(formatMs(r.downtime.reportedMs))}</b>
· guest-visible <b class="guest-visible">${escapeHtml(formatMs(r.downtime.guestVisibleMs))}</b></span></div>
${bar(r, scale)}
${legend(r)}
</div>`,
    )
    .join('\n');
  const note =
    runs.length > 1 && scale > 0
      ? `<p class="note">All bars share one scale: the full width is ${escapeHtml(formatNumber(scale, 1))} ms.</p>`
      : '';
  return `<section id="downtime">
<h2>Downtime</h2>
<p class="note">From the source VM's stop to the destination VM's start, cut at QEMU's downtime checkpoints.
"Reported" is query-migrate's downtime on the source; "guest-visible" is stop to running.</p>
${note}
${rows}
</section>`;
}
