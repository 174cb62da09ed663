/**
 * What `livemig inspect` learns about a stream, built record by record from the
 * decoder's output. It holds counters and small metadata only — never page
 * data — so a stream of any size fits in a few kilobytes.
 */
import type { MigCommand } from '../protocol/commands.js';
import { formatUuid } from '../protocol/configuration.js';
import type { StreamRecord } from '../protocol/records.js';
import type { SectionKind } from '../protocol/sections.js';

export interface SectionEntry {
  offset: number;
  type: SectionKind;
  sectionId: number;
  idstr: string;
  instanceId: number;
  versionId: number;
  /** Bytes from the section's first byte through its footer. */
  size: number;
}

export interface RamBlockStats {
  idstr: string;
  usedLength: number;
  /** Full pages (PAGE records). */
  pages: number;
  zeroPages: number;
  xbzrlePages: number;
  /** Wire bytes of this block's records, headers included. */
  bytes: number;
}

export interface DeviceEntry {
  idstr: string;
  instanceId: number;
  versionId: number;
  offset: number;
  /** Decoded fields, or undefined when the layout was unknown. */
  fields?: unknown;
  /** Payload size in bytes when only the size is known. */
  size?: number;
}

export interface StreamReport {
  size: number;
  header: { version: number } | null;
  configuration: {
    machine: string;
    capabilities: string[];
    uuid?: string;
    targetPageBits?: number;
  } | null;
  sections: SectionEntry[];
  commands: Array<{ offset: number } & MigCommand>;
  ram: { totalBytes: number | null; blocks: RamBlockStats[]; multifdFlushes: number };
  devices: DeviceEntry[];
  eof: boolean;
  vmdesc: unknown;
}

/** Folds decoder records into a StreamReport. */
export class ReportBuilder {
  readonly report: StreamReport = {
    size: 0,
    header: null,
    configuration: null,
    sections: [],
    commands: [],
    ram: { totalBytes: null, blocks: [], multifdFlushes: 0 },
    devices: [],
    eof: false,
    vmdesc: null,
  };
  private readonly blocks = new Map<string, RamBlockStats>();
  private open: SectionEntry | undefined;
  /** The last RAM record, whose size is known once the next record starts. */
  private ramPrevBlock: RamBlockStats | undefined;
  private ramPrevOffset = 0;

  readonly onRecord = (rec: StreamRecord): void => {
    if (this.ramPrevBlock) {
      this.ramPrevBlock.bytes += rec.offset - this.ramPrevOffset;
      this.ramPrevBlock = undefined;
    }
    switch (rec.kind) {
      case 'header':
        this.report.header = { version: rec.version };
        return;
      case 'configuration': {
        const c = rec.config;
        this.report.configuration = { machine: c.machine, capabilities: c.capabilities ?? [] };
        if (c.uuid) this.report.configuration.uuid = formatUuid(c.uuid);
        if (c.targetPageBits !== undefined) {
          this.report.configuration.targetPageBits = c.targetPageBits;
        }
        return;
      }
      case 'section': {
        this.closeSection(rec.offset);
        const { offset, type, sectionId, idstr, instanceId, versionId } = rec;
        this.open = { offset, type, sectionId, idstr, instanceId, versionId, size: 0 };
        this.report.sections.push(this.open);
        return;
      }
      case 'footer':
        this.closeSection(rec.offset + 5);
        return;
      case 'ram-mem-size':
        this.report.ram.totalBytes = rec.totalBytes;
        return;
      case 'ram-block':
        if (!this.blocks.has(rec.idstr)) {
          const b: RamBlockStats = {
            idstr: rec.idstr,
            usedLength: rec.usedLength,
            pages: 0,
            zeroPages: 0,
            xbzrlePages: 0,
            bytes: 0,
          };
          this.blocks.set(rec.idstr, b);
          this.report.ram.blocks.push(b);
        }
        return;
      case 'ram-page':
      case 'ram-zero':
      case 'ram-xbzrle': {
        const b = this.blocks.get(rec.block)!;
        if (rec.kind === 'ram-page') b.pages++;
        else if (rec.kind === 'ram-zero') b.zeroPages++;
        else b.xbzrlePages++;
        this.ramPrevBlock = b;
        this.ramPrevOffset = rec.offset;
        return;
      }
      case 'ram-multifd-flush':
        this.report.ram.multifdFlushes++;
        return;
      case 'ram-eos':
        return;
      case 'device-state':
      case 'device-bytes': {
        const s = rec.section;
        const d: DeviceEntry = {
          idstr: s.idstr,
          instanceId: s.instanceId,
          versionId: s.versionId,
          offset: rec.offset,
        };
        if (rec.kind === 'device-state') d.fields = rec.value;
        else d.size = rec.data.length;
        this.report.devices.push(d);
        return;
      }
      case 'command':
        this.closeSection(rec.offset);
        this.report.commands.push({ offset: rec.offset, ...rec.command });
        return;
      case 'eof':
        this.closeSection(rec.offset);
        this.report.eof = true;
        return;
      case 'vmdesc':
        this.report.vmdesc = rec.value;
        return;
      default:
        rec satisfies never;
    }
  };

  /** Sections without footers end where the next record begins. */
  private closeSection(end: number): void {
    if (this.open) {
      this.open.size = end - this.open.offset;
      this.open = undefined;
    }
  }

  finish(size: number): StreamReport {
    this.report.size = size;
    return this.report;
  }
}
