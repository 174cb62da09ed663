/**
 * Writes the migration stream of a small synthetic VM with livemig's own
 * encoders, in QEMU's format: what `npm start` inspects until the live engine
 * exists. The guest RAM follows the `ab` pattern of QEMU's migration test (the
 * first byte of every 4 KiB page from 1 MiB up counts passes), sent as a first
 * full pass, an XBZRLE-encoded second pass, and a final pass in the END
 * section, followed by device state described in the vmdesc.
 */
import { ByteWriter } from '../protocol/bytes.js';
import { writeCommand } from '../protocol/commands.js';
import { writeConfiguration } from '../protocol/configuration.js';
import { TARGET_PAGE_SIZE } from '../protocol/constants.js';
import { writeFileHeader } from '../protocol/header.js';
import { RamEncoder } from '../protocol/ram-encoder.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
} from '../protocol/sections.js';
import { StreamWriter } from '../protocol/stream-writer.js';
import {
  defineVMState,
  field,
  globalStateValue,
  globalStateVMState,
  timerVMState,
  VmdescDocument,
  type VMStateDescription,
  type VMStateValue,
} from '../protocol/vmstate/index.js';
import { xbzrleEncode } from '../protocol/xbzrle.js';

const PAGE = TARGET_PAGE_SIZE;
const DIRTY_START = 1 << 20;

/** A made-up UART-like device, to show a decoded device section. */
const sampleSerial = defineVMState({
  name: 'livemig-sample-serial',
  versionId: 2,
  minimumVersionId: 1,
  fields: [
    field.uint16('divider'),
    field.uint8('lcr'),
    field.uint8('lsr'),
    field.uint32('chars_written', { versionId: 2 }),
    field.buffer('fifo', 16),
  ],
});

export interface SampleStreamOptions {
  /** Guest RAM in bytes (a multiple of 4 KiB, at least 2 MiB). Default 64 MiB. */
  ramSize?: number;
}

export interface SampleStream {
  /** The stream as chunks: page data are views into `ram`, not copies. */
  chunks: Uint8Array[];
  /** The guest RAM as it is after the last pass (what the stream restores). */
  ram: Uint8Array;
}

export function writeSampleStream(opts: SampleStreamOptions = {}): SampleStream {
  const ramSize = opts.ramSize ?? 64 << 20;
  const ram = new Uint8Array(ramSize);
  const w = new StreamWriter();
  const enc = new RamEncoder();
  const block = 'pc.ram';

  writeFileHeader(w);
  writeConfiguration(w, { machine: 'testvm' });
  writeCommand(w, { name: 'OPEN_RETURN_PATH' });
  writeCommand(w, { name: 'PING', value: 1 });
  writeSectionHeader(w, 'start', 0, 'ram', 0, 4);
  enc.memSize(w, [{ idstr: block, usedLength: ramSize }]);
  enc.eos(w);
  writeSectionFooter(w, 0);

  // Pass 1: every page; the dirtied range has its first byte at 1.
  for (let off = DIRTY_START; off < ramSize; off += PAGE) ram[off] = 1;
  writeSectionContinuation(w, 'part', 0);
  for (let off = 0; off < ramSize; off += PAGE) {
    const page = ram.subarray(off, off + PAGE);
    if (off < DIRTY_START) enc.zeroPage(w, block, off);
    else enc.page(w, block, off, page);
  }
  enc.eos(w);
  writeSectionFooter(w, 0);

  // Pass 2: the lower half of the range was dirtied again; XBZRLE against pass 1.
  const old = new Uint8Array(PAGE);
  old[0] = 1;
  const encoded = new Uint8Array(PAGE);
  writeSectionContinuation(w, 'part', 0);
  const mid = DIRTY_START + Math.floor((ramSize - DIRTY_START) / PAGE / 2) * PAGE;
  for (let off = DIRTY_START; off < mid; off += PAGE) {
    ram[off] = 2;
    const n = xbzrleEncode(old, ram.subarray(off, off + PAGE), encoded);
    enc.xbzrlePage(w, block, off, encoded.slice(0, n));
  }
  enc.eos(w);
  writeSectionFooter(w, 0);
  writeCommand(w, { name: 'PING', value: 2 });

  // Completion: the last few pages written while the VM stopped.
  writeSectionContinuation(w, 'end', 0);
  for (let off = DIRTY_START; off < DIRTY_START + 8 * PAGE; off += PAGE) {
    ram[off] = 3;
    enc.page(w, block, off, ram.subarray(off, off + PAGE));
  }
  enc.eos(w);
  writeSectionFooter(w, 0);

  const vmdesc = new VmdescDocument(PAGE);
  const devices: Array<[string, VMStateDescription, VMStateValue]> = [
    ['timer', timerVMState, { cpu_ticks_offset: 0n, cpu_clock_offset: 123456789n }],
    [
      'serial',
      sampleSerial,
      {
        divider: 12,
        lcr: 3,
        lsr: 0x60,
        chars_written: 42,
        fifo: new TextEncoder().encode('BBBB'.padEnd(16, '\0')),
      },
    ],
    ['globalstate', globalStateVMState, globalStateValue('running')],
  ];
  devices.forEach(([idstr, desc, value], i) => {
    writeSectionHeader(w, 'full', i + 1, idstr, 0, desc.versionId);
    const payload = new ByteWriter();
    vmdesc.addDevice(payload, idstr, 0, desc, value);
    w.bytes(payload.finish());
    writeSectionFooter(w, i + 1);
  });
  writeEof(w);
  writeVmdesc(w, vmdesc.finish());
  return { chunks: w.take(), ram };
}
