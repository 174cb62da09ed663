/**
 * Builds QEMU-format precopy streams for the benches, using livemig's own
 * encoders so the bytes are what a livemig source would send:
 *
 *   header, configuration, START "ram" (MEM_SIZE block list, EOS, footer),
 *   PART sections of PAGE/ZERO records (CONTINUE after the first), each ending
 *   in EOS + footer, END "ram" (EOS, footer), EOF, vmdesc.
 *
 * The builder hands chunks out section by section (page chunks are views of
 * the caller's RAM), so a caller can write a 1 GiB file without holding it.
 */
import { writeConfiguration } from '../src/protocol/configuration.js';
import { writeFileHeader } from '../src/protocol/header.js';
import { RamEncoder } from '../src/protocol/ram-encoder.js';
import {
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
} from '../src/protocol/sections.js';
import { StreamWriter } from '../src/protocol/stream-writer.js';
import { PAGE } from './lib.js';

export const BLOCK = 'pc.ram';
/** QEMU numbers sections in registration order; any id works as long as it is consistent. */
export const RAM_SECTION_ID = 2;
/** QEMU sends a PART per iteration of ram_save_iterate; 1024 pages (4 MiB) is a typical batch. */
export const PAGES_PER_PART = 1024;

export class PageStreamBuilder {
  readonly w = new StreamWriter();
  readonly enc = new RamEncoder();
  pages = 0;
  zeroPages = 0;

  /** Everything before the first page: header, configuration, RAM START. */
  begin(ramBytes: number): void {
    writeFileHeader(this.w);
    writeConfiguration(this.w, { machine: 'pc-i440fx-8.1' });
    writeSectionHeader(this.w, 'start', RAM_SECTION_ID, 'ram', 0, 4);
    this.enc.memSize(this.w, [{ idstr: BLOCK, usedLength: ramBytes }]);
    this.enc.eos(this.w);
    writeSectionFooter(this.w, RAM_SECTION_ID);
  }

  /**
   * One PART section holding `count` pages of `ram`, whose byte 0 is guest
   * address `ramAddr`. Pages for which isZero(guest page number) holds are
   * sent as ZERO records (the caller keeps them zero in `ram`).
   */
  part(
    ram: Uint8Array,
    ramAddr: number,
    from: number,
    count: number,
    isZero?: (page: number) => boolean,
  ): void {
    writeSectionContinuation(this.w, 'part', RAM_SECTION_ID);
    for (let off = from, end = from + count * PAGE; off < end; off += PAGE) {
      const addr = ramAddr + off;
      if (isZero?.(addr / PAGE)) {
        this.enc.zeroPage(this.w, BLOCK, addr);
        this.zeroPages++;
      } else {
        this.enc.page(this.w, BLOCK, addr, ram.subarray(off, off + PAGE));
        this.pages++;
      }
    }
    this.enc.eos(this.w);
    writeSectionFooter(this.w, RAM_SECTION_ID);
  }

  /** END section, EOF and a minimal vmdesc, as QEMU finishes a precopy stream. */
  finish(): void {
    writeSectionContinuation(this.w, 'end', RAM_SECTION_ID);
    this.enc.eos(this.w);
    writeSectionFooter(this.w, RAM_SECTION_ID);
    writeEof(this.w);
    writeVmdesc(this.w, JSON.stringify({ page_size: PAGE, devices: [] }));
  }

  take(): Uint8Array[] {
    return this.w.take();
  }
}

/** The whole stream for `ram` (guest address 0) as one contiguous buffer. */
export function buildStream(ram: Uint8Array): { wire: Uint8Array; pages: number } {
  const b = new PageStreamBuilder();
  b.begin(ram.length);
  const parts: Uint8Array[] = [];
  const pagesTotal = ram.length / PAGE;
  for (let p = 0; p < pagesTotal; p += PAGES_PER_PART) {
    b.part(ram, 0, p * PAGE, Math.min(PAGES_PER_PART, pagesTotal - p));
    parts.push(...b.take());
  }
  b.finish();
  parts.push(...b.take());
  let n = 0;
  for (const c of parts) n += c.length;
  const wire = new Uint8Array(n);
  let at = 0;
  for (const c of parts) {
    wire.set(c, at);
    at += c.length;
  }
  return { wire, pages: b.pages };
}

/** Splits `wire` into views of `size` bytes, like successive socket reads. */
export function splitChunks(wire: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < wire.length; at += size) out.push(wire.subarray(at, at + size));
  return out;
}
