/** The human-readable rendering of an inspect report. */
import type { DeviceEntry, SectionEntry, StreamReport } from '../inspect/report.js';
import { toDisplayJson, toJson } from './json.js';

const hex = (n: number): string => '0x' + n.toString(16).padStart(8, '0');
const num = (n: number): string => n.toLocaleString('en-US');

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return `${Number.isInteger(v) || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Runs of PART sections of one device collapse into one line. */
function sectionRows(sections: SectionEntry[]): string[][] {
  const rows = [['offset', 'type', 'id', 'idstr', 'instance', 'version', 'size']];
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i]!;
    let type: string = s.type;
    let size = s.size;
    if (s.type === 'part') {
      let j = i;
      while (sections[j + 1]?.type === 'part' && sections[j + 1]!.sectionId === s.sectionId) {
        j++;
        size += sections[j]!.size;
      }
      if (j > i) type = `part x${j - i + 1}`;
      i = j;
    }
    rows.push([
      hex(s.offset),
      type,
      String(s.sectionId),
      s.idstr,
      String(s.instanceId),
      String(s.versionId),
      num(size),
    ]);
  }
  return rows;
}

function deviceLine(d: DeviceEntry): string {
  const head = `  ${d.idstr} (instance ${d.instanceId}, version ${d.versionId})`;
  if (d.fields === undefined) return `${head}: ${num(d.size ?? 0)} bytes, layout unknown`;
  const body = toDisplayJson(d.fields, 2)
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  return `${head}:\n${body}`;
}

export function formatReport(file: string, r: StreamReport): string {
  const out: string[] = [];
  out.push(`${file}: ${num(r.size)} bytes`);
  out.push(`header: QEVM, version ${r.header?.version ?? '?'}`);
  if (r.configuration) {
    const c = r.configuration;
    out.push(`configuration: machine '${c.machine}'`);
    if (c.capabilities.length) out.push(`  capabilities: ${c.capabilities.join(', ')}`);
    if (c.uuid) out.push(`  uuid: ${c.uuid}`);
    if (c.targetPageBits !== undefined) out.push(`  target page bits: ${c.targetPageBits}`);
  } else {
    out.push('configuration: none');
  }
  out.push('');
  out.push(`sections (${r.sections.length}):`);
  for (const l of table(sectionRows(r.sections))) out.push('  ' + l);
  out.push('');
  out.push(`commands (${r.commands.length}):`);
  for (const c of r.commands) {
    const { offset, name, ...args } = c;
    const rest = Object.keys(args).length ? ' ' + toJson(args, 0) : '';
    out.push(`  ${hex(offset)}  ${name}${rest}`);
  }
  out.push('');
  const total = r.ram.totalBytes === null ? 'none' : bytes(r.ram.totalBytes);
  out.push(`RAM: ${total} in ${r.ram.blocks.length} block(s)`);
  const rows = [['block', 'used length', 'pages', 'zero pages', 'xbzrle pages', 'bytes']];
  for (const b of r.ram.blocks) {
    rows.push([
      b.idstr,
      bytes(b.usedLength),
      num(b.pages),
      num(b.zeroPages),
      num(b.xbzrlePages),
      num(b.bytes),
    ]);
  }
  for (const l of table(rows)) out.push('  ' + l);
  if (r.ram.multifdFlushes) out.push(`  multifd flushes: ${r.ram.multifdFlushes}`);
  out.push('');
  const decoded = r.devices.filter((d) => d.fields !== undefined).length;
  out.push(`devices (${r.devices.length}, ${decoded} decoded):`);
  for (const d of r.devices) out.push(deviceLine(d));
  out.push('');
  out.push(`EOF: ${r.eof ? 'yes' : 'no'}; vmdesc: ${r.vmdesc ? 'yes' : 'no'}`);
  return out.join('\n') + '\n';
}
