/**
 * What each run was: when and with which livemig, the VM setup, and the
 * capabilities and parameters set on both sides. Runs sit side by side so the
 * one difference between two runs (usually switchover-ack) stands out.
 */
import { formatBytes, formatMbps, formatMs, bytesPerSecToMbps } from './format.js';
import { escapeHtml } from './html.js';
import type { RunRecord } from './run-record.js';
import { compareTable, type TableGroup, type TableRow } from './table.js';

/** Units of the parameters whose raw QMP value is hard to read. */
const PARAMETER_HINTS: Record<string, (v: number) => string> = {
  'downtime-limit': formatMs,
  'x-checkpoint-delay': formatMs,
  'max-bandwidth': (v) => formatMbps(bytesPerSecToMbps(v)),
  'avail-switchover-bandwidth': (v) => formatMbps(bytesPerSecToMbps(v)),
};

function parameterCell(name: string, v: string | number | boolean | undefined): string {
  if (v === undefined) return '<span class="na">not set</span>';
  const raw = escapeHtml(String(v));
  const hint = PARAMETER_HINTS[name];
  return typeof v === 'number' && hint !== undefined && v !== 0
    ? `${raw} <span class="hint">(${escapeHtml(hint(v))})</span>`
    : raw;
}

function capabilityCell(_name: string, v: boolean | undefined): string {
  if (v === undefined) return '<span class="na">not set</span>';
  return v ? '<span class="on">on</span>' : '<span class="off">off</span>';
}

/** Every key any run has, sorted, so runs with different sets still line up. */
function keysOf(objs: Record<string, unknown>[]): string[] {
  return [...new Set(objs.flatMap((o) => Object.keys(o)))].sort();
}

/** A group of one row per key that any run has (capabilities, parameters); none if no run has any. */
function addGroup<V>(
  rows: (TableRow | TableGroup)[],
  group: string,
  keyPrefix: string,
  runs: RunRecord[],
  values: (r: RunRecord) => Record<string, V>,
  cell: (name: string, v: V | undefined) => string,
): void {
  const names = keysOf(runs.map(values));
  if (names.length === 0) return;
  rows.push({ group });
  for (const name of names) {
    rows.push({
      key: `${keyPrefix}-${name}`,
      label: name,
      cells: runs.map((r) => cell(name, values(r)[name])),
    });
  }
}

export function configTable(runs: RunRecord[]): string {
  const text = (key: string, label: string, f: (r: RunRecord) => string): TableRow => ({
    key,
    label,
    cells: runs.map((r) => escapeHtml(f(r))),
  });
  const rows: (TableRow | TableGroup)[] = [
    { group: 'Run' },
    text('started', 'started at', (r) => r.startedAt),
    text('version', 'livemig version', (r) => r.livemigVersion),
    { group: 'Setup' },
    text('machine', 'machine', (r) => r.setup.machine),
    text('ram', 'RAM', (r) => formatBytes(r.setup.ramBytes)),
    text('workload', 'workload', (r) => r.setup.workload),
    text('initdata', 'initdata', (r) =>
      r.setup.initdataBytes === 0 ? 'none' : formatBytes(r.setup.initdataBytes),
    ),
    text('uri', 'migration URI', (r) => r.setup.uri),
  ];
  addGroup(rows, 'Capabilities', 'cap', runs, (r) => r.setup.capabilities, capabilityCell);
  addGroup(rows, 'Parameters', 'param', runs, (r) => r.setup.parameters, parameterCell);
  return compareTable(
    'config',
    runs.map((r) => r.label),
    rows,
  );
}
