/**
 * The report's own in-page script: it reads the embedded runs and draws one
 * uPlot timeline per run, with the migration's events as vertical markers.
 *
 * The code is written here as a typed function and shipped as its source text
 * (`drawTimelines.toString()`), so tsc checks it like the rest of livemig. That
 * has one rule: the function may use nothing from this module at run time (no
 * imports, no module-level helpers), only its argument and browser globals.
 * The browser types below are declared locally, and only what is used, so the
 * project's Node-only type environment is not touched.
 */
import type { ChartStyle, MarkerKind } from './chart-style.js';
import { embedJson, inlineScriptText } from './html.js';
import type { RunRecord } from './run-record.js';

interface Canvas2D {
  save(): void;
  restore(): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
  setLineDash(segments: number[]): void;
  strokeStyle: string;
  fillStyle: string;
  lineWidth: number;
  globalAlpha: number;
  font: string;
  textBaseline: string;
}

interface Plot {
  /** The plot's canvas context; coordinates in device pixels. */
  ctx: Canvas2D;
  /** The plotting area in device pixels. */
  bbox: { left: number; top: number; width: number; height: number };
  valToPos(value: number, scale: string, canvasPixels?: boolean): number;
  setSize(size: { width: number; height: number }): void;
}

interface PlotConstructor {
  new (options: unknown, data: (number | null)[][], target: PageElement): Plot;
  /** Device pixels per CSS pixel. */
  pxRatio: number;
}

interface PageElement {
  textContent: string | null;
  clientWidth: number;
  setAttribute(name: string, value: string): void;
}

declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  body: PageElement;
};
declare const window: { addEventListener(type: 'resize', listener: () => void): void };
declare const uPlot: PlotConstructor;

/** Runs in the browser. Everything it needs is inside it (see the module comment). */
function drawTimelines(style: ChartStyle): void {
  const MIB = 1024 * 1024;
  const fmt = (v: number | null | undefined, digits: number): string =>
    v === null || v === undefined
      ? '–'
      : v.toLocaleString('en-US', { maximumFractionDigits: digits });

  const source = document.getElementById('livemig-runs');
  const runs = JSON.parse(source?.textContent ?? '[]') as RunRecord[];

  // One time axis for all runs, so two runs' timelines compare by position;
  // a little room on the right keeps a marker at the very end off the frame.
  let xMin = 0;
  let xMax = 1;
  for (const run of runs) {
    for (const t of [...run.samples.map((s) => s.tMs), ...run.events.map((e) => e.tMs)]) {
      xMin = Math.min(xMin, t);
      xMax = Math.max(xMax, t);
    }
  }
  xMax += (xMax - xMin) * 0.02;

  const labelFor = (kind: MarkerKind, detail: string | undefined, nth: number): string => {
    switch (kind) {
      case 'pass':
        return detail !== undefined && /^\d+$/.test(detail) ? `pass ${detail}` : `pass ${nth}`;
      case 'ack':
        return 'ACK';
      case 'stop':
        return 'stop';
      case 'resume':
        return 'resume';
    }
  };

  interface Marker {
    tMs: number;
    kind: MarkerKind;
    label: string;
  }

  /**
   * Vertical lines with labels along the top of the plot. Pass lines go first
   * and thin, labelled in the top row only where there is room (a migration
   * waiting for the ACK can run hundreds of passes); the ack, stop and resume
   * lines are drawn over them, each kind preferring its own label row, moving
   * down a row when a label would overlap one already drawn, and left
   * unlabelled (the line stays) when all rows are taken there.
   */
  const drawMarkers = (u: Plot, markers: Marker[]): void => {
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const rowHeight = 15 * px;
    const rows = 4;
    const preferred: Record<MarkerKind, number> = { pass: 0, ack: 1, stop: 2, resume: 3 };
    const rowEnds: number[] = new Array<number>(rows).fill(-Infinity);
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.font = `${11 * px}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    const ordered = [
      ...markers.filter((m) => m.kind === 'pass'),
      ...markers.filter((m) => m.kind !== 'pass'),
    ];
    for (const m of ordered) {
      const isPass = m.kind === 'pass';
      const x = Math.round(u.valToPos(m.tMs, 'x', true));
      if (x < left - 1 || x > left + width + 1) continue;
      const ms = style.markers[m.kind];
      ctx.strokeStyle = ms.colour;
      ctx.lineWidth = (isPass ? 1 : 2) * px;
      ctx.globalAlpha = isPass ? 0.45 : 1;
      ctx.setLineDash(ms.dash.map((d) => d * px));
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.globalAlpha = 1;
      const textWidth = ctx.measureText(m.label).width;
      // Labels sit right of their line, or left of it near the right edge.
      const tx = x + 3 * px + textWidth > left + width ? x - 3 * px - textWidth : x + 3 * px;
      for (let k = 0; k < (isPass ? 1 : rows); k++) {
        const row = isPass ? 0 : 1 + ((preferred[m.kind] - 1 + k) % (rows - 1));
        if (tx <= rowEnds[row]! + 4 * px) continue;
        const ty = top + 2 * px + row * rowHeight;
        ctx.fillStyle = 'rgba(255,255,255,0.85)';
        ctx.fillRect(tx - px, ty - px, textWidth + 2 * px, 13 * px);
        ctx.fillStyle = ms.colour;
        ctx.fillText(m.label, tx, ty);
        rowEnds[row] = tx + textWidth;
        break;
      }
    }
    ctx.restore();
  };

  const plots: { plot: Plot; el: PageElement }[] = [];
  runs.forEach((run, i) => {
    const el = document.querySelector(`#run-${i} .timeline`);
    if (el === null || run.samples.length === 0) return;
    try {
      const samples = [...run.samples].sort((a, b) => a.tMs - b.tMs);
      const data = [
        samples.map((s) => s.tMs),
        samples.map((s) => s.remainingBytes / MIB),
        samples.map((s) => s.mbps),
        samples.map((s) => (s.dirtyBytesPerSec * 8) / 1e6),
      ];
      let passes = 0;
      const markers: Marker[] = [];
      for (const e of [...run.events].sort((a, b) => a.tMs - b.tMs)) {
        if (e.kind === 'status') continue;
        if (e.kind === 'pass') passes++;
        markers.push({ tMs: e.tMs, kind: e.kind, label: labelFor(e.kind, e.detail, passes) });
      }
      const rangeFromZero = (_u: unknown, _min: number, max: number): [number, number] => [
        0,
        max > 0 ? max * 1.08 : 1,
      ];
      const options = {
        width: el.clientWidth > 0 ? el.clientWidth : 1000,
        height: style.height,
        scales: {
          x: { time: false, range: (): [number, number] => [xMin, xMax] },
          bytes: { range: rangeFromZero },
          rate: { range: rangeFromZero },
        },
        series: [
          { label: 'time', value: (_u: unknown, v: number | null) => `${fmt(v, 0)} ms` },
          {
            label: 'remaining RAM',
            scale: 'bytes',
            stroke: style.series.remaining,
            fill: `${style.series.remaining}22`,
            width: 2,
            points: { show: false },
            value: (_u: unknown, v: number | null) => `${fmt(v, 1)} MiB`,
          },
          {
            label: 'transfer rate',
            scale: 'rate',
            stroke: style.series.transfer,
            width: 2,
            points: { show: false },
            value: (_u: unknown, v: number | null) => `${fmt(v, 0)} Mbit/s`,
          },
          {
            label: 'dirty rate',
            scale: 'rate',
            stroke: style.series.dirty,
            width: 1.5,
            dash: [6, 3],
            points: { show: false },
            value: (_u: unknown, v: number | null) => `${fmt(v, 0)} Mbit/s`,
          },
        ],
        axes: [
          {
            label: 'ms after migrate',
            values: (_u: unknown, splits: number[]) => splits.map((v) => fmt(v, 0)),
          },
          {
            scale: 'bytes',
            label: 'remaining RAM (MiB)',
            size: 64,
            values: (_u: unknown, splits: number[]) => splits.map((v) => fmt(v, 0)),
          },
          {
            scale: 'rate',
            side: 1,
            label: 'rate (Mbit/s)',
            size: 64,
            grid: { show: false },
            values: (_u: unknown, splits: number[]) => splits.map((v) => fmt(v, 0)),
          },
        ],
        hooks: { draw: [(u: Plot) => drawMarkers(u, markers)] },
      };
      const plot = new uPlot(options, data, el);
      el.setAttribute('data-markers', String(markers.length));
      plots.push({ plot, el });
    } catch (e) {
      console.error(`livemig report: cannot draw the timeline of run ${i}:`, e);
      el.textContent = `The timeline could not be drawn: ${String(e)}`;
    }
  });

  window.addEventListener('resize', () => {
    for (const { plot, el } of plots) plot.setSize({ width: el.clientWidth, height: style.height });
  });
  // A hook for tests and tools: the charts are drawn.
  document.body.setAttribute('data-charts', 'ready');
}

/** The script element's text: the function's source, called with the style. */
export function chartScript(style: ChartStyle): string {
  return inlineScriptText(`(${drawTimelines.toString()})(${embedJson(style)});`);
}
