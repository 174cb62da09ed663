/**
 * A small stream that uses every record kind, written with the project's
 * encoders: the shared input for round-trip, split-feeding and truncation tests.
 */
import { writeCommand, type MigCommand } from '../../../src/protocol/commands.js';
import { writeConfiguration } from '../../../src/protocol/configuration.js';
import { writeFileHeader } from '../../../src/protocol/header.js';
import { RamEncoder } from '../../../src/protocol/ram-encoder.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
} from '../../../src/protocol/sections.js';
import { StreamWriter } from '../../../src/protocol/stream-writer.js';

export const SAMPLE_COMMANDS: MigCommand[] = [
  { name: 'OPEN_RETURN_PATH' },
  { name: 'PING', value: 1 },
  { name: 'POSTCOPY_ADVISE', ramPageSizeSummary: 4096, targetPageSize: 4096 },
  { name: 'POSTCOPY_ADVISE' },
  { name: 'POSTCOPY_LISTEN' },
  { name: 'POSTCOPY_RUN' },
  { name: 'POSTCOPY_RAM_DISCARD', idstr: 'pc.ram', ranges: [{ start: 4096, length: 8192 }] },
  { name: 'PACKAGED', length: 0 },
  { name: 'ENABLE_COLO' },
  { name: 'POSTCOPY_RESUME' },
  { name: 'RECV_BITMAP', idstr: 'pc.ram' },
  { name: 'SWITCHOVER_START' },
];

export function page(seed: number): Uint8Array {
  const p = new Uint8Array(4096);
  for (let i = 0; i < p.length; i++) p[i] = (i * 7 + seed * 13 + 1) & 0xff;
  return p;
}

/** Device payload for the opaque "serial" FULL section. */
// It holds look-alike footers (another id; the right id before a non-record byte)
// that the footer scan must step over.
export const DEVICE_PAYLOAD = Uint8Array.from([
  1, 2, 3, 0x7e, 0, 0, 0, 9, 4, 0x7e, 0, 0, 0, 5, 0xff, 6,
]);

export function sampleStream(): Uint8Array {
  const w = new StreamWriter(64);
  const ram = new RamEncoder();
  writeFileHeader(w);
  writeConfiguration(w, {
    machine: 'pc-i440fx-8.1',
    targetPageBits: 12,
    capabilities: ['mapped-ram'],
    uuid: Uint8Array.from({ length: 16 }, (_, i) => i),
  });
  for (const c of SAMPLE_COMMANDS.slice(0, 2)) writeCommand(w, c);
  writeSectionHeader(w, 'start', 2, 'ram', 0, 4);
  ram.memSize(w, [
    { idstr: 'pc.ram', usedLength: 8 * 4096 },
    { idstr: 'vga.vram', usedLength: 2 * 4096 },
  ]);
  ram.multifdFlush(w);
  ram.eos(w);
  writeSectionFooter(w, 2);
  writeSectionContinuation(w, 'part', 2);
  ram.page(w, 'pc.ram', 0, page(0));
  ram.zeroPage(w, 'pc.ram', 4096);
  ram.page(w, 'pc.ram', 7 * 4096, page(7));
  ram.zeroPage(w, 'vga.vram', 4096);
  ram.xbzrlePage(w, 'pc.ram', 0, Uint8Array.from([0xff, 0x1f, 0x01, 0x01]));
  ram.eos(w);
  writeSectionFooter(w, 2);
  for (const c of SAMPLE_COMMANDS.slice(2)) writeCommand(w, c);
  writeSectionContinuation(w, 'end', 2);
  ram.page(w, 'vga.vram', 0, page(9));
  ram.eos(w);
  writeSectionFooter(w, 2);
  writeSectionHeader(w, 'full', 5, 'serial', 0, 3);
  w.bytes(DEVICE_PAYLOAD);
  writeSectionFooter(w, 5);
  writeEof(w);
  writeVmdesc(w, '{"page_size":4096,"devices":[]}');
  return w.takeBytes();
}
