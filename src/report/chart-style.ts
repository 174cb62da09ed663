/**
 * Colours and names shared by the server-rendered legends and the in-page chart
 * script, so a marker's colour in the legend is the one drawn on the canvas.
 */
import type { RunEventKind } from './run-record.js';

export type MarkerKind = Exclude<RunEventKind, 'status'>;

export interface MarkerStyle {
  colour: string;
  /** Canvas line dash in CSS pixels; empty for solid. */
  dash: number[];
  /** What the legend says it means. */
  meaning: string;
}

export interface ChartStyle {
  series: {
    remaining: string;
    transfer: string;
    dirty: string;
  };
  markers: Record<MarkerKind, MarkerStyle>;
  /** Chart height in CSS pixels (plot and axes, without uPlot's legend). */
  height: number;
}

export const CHART_STYLE: ChartStyle = {
  series: { remaining: '#4e79a7', transfer: '#59a14f', dirty: '#f28e2b' },
  markers: {
    pass: { colour: '#8c8c8c', dash: [4, 4], meaning: 'a RAM pass starts' },
    ack: { colour: '#7b3fb5', dash: [], meaning: 'switchover ACK received by the source' },
    stop: { colour: '#d62728', dash: [], meaning: 'source VM stopped' },
    resume: { colour: '#2a9d3c', dash: [], meaning: 'destination VM running' },
  },
  height: 320,
};

export const MARKER_KINDS: readonly MarkerKind[] = ['pass', 'ack', 'stop', 'resume'];
