/**
 * The incremental decoder for QEMU's migration stream. It accepts bytes in any
 * chunking and yields typed records (see records.ts) through a callback.
 *
 *   header → [configuration] → { START/FULL/PART/END payload footer | COMMAND }* → EOF → [vmdesc]
 *
 * How it stays fast and bounded: records are parsed straight out of the input
 * chunk, so page payloads are views, not copies. Only a record that straddles
 * two chunks is assembled in a small pending buffer, and only up to the number
 * of bytes the parser said it needs (NeedMoreData.needed), so the copy is at
 * most one record. Each unit is parsed completely before any state changes, so
 * an interrupted parse is simply retried when more input arrives.
 *
 * The stream is not self-framing: a device section's payload can only be read
 * by someone who knows its format. `resolveSection` says how to read each
 * section; RAM is built in, and a section nobody knows is delimited by finding
 * its footer (0x7e + its section id), as far as footers are on.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { ByteReader, NeedMoreData } from './bytes.js';
import { readCommand } from './commands.js';
import { readConfiguration } from './configuration.js';
import { SectionType, TARGET_PAGE_SIZE } from './constants.js';
import { readVmdescRecord } from './sections.js';
import { readFileHeader } from './header.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { RamDecoder, RamNext } from './ram-decoder.js';
import type { SectionInfo, StreamRecord } from './records.js';
import type { SectionKind } from './sections.js';
import {
  decodePayload,
  defaultResolver,
  type OpenSection,
  readSectionFooter,
  scanOpaquePayload,
  type SectionResolver,
} from './section-payload.js';
import { StraddleBuffer } from './straddle-buffer.js';

export { defaultResolver, type SectionFormat, type SectionResolver } from './section-payload.js';

export interface StreamDecoderOptions {
  /** Receives every record. Byte views in it are valid only during the call. */
  onRecord: (rec: StreamRecord) => void;
  /** Says how to read each START/FULL section; undefined means an unknown device. */
  resolveSection?: SectionResolver;
  /** QEMU's send-configuration: 'required' (default), 'optional' or 'absent'. */
  configuration?: 'required' | 'optional' | 'absent';
  /** QEMU's send-section-footer (default true). */
  sectionFooters?: boolean;
  pageSize?: number;
  limits?: Partial<DecodeLimits>;
}

const St = {
  Header: 0,
  Configuration: 1,
  Top: 2,
  RamRecord: 3,
  RamBlockList: 4,
  Payload: 5,
  Opaque: 6,
  Footer: 7,
  AfterEof: 8,
  Done: 9,
} as const;
type St = (typeof St)[keyof typeof St];

const EXPECTED: Record<St, string> = {
  [St.Header]: 'the file header',
  [St.Configuration]: 'the configuration section',
  [St.Top]: 'a section, command or EOF record',
  [St.RamRecord]: 'a RAM record',
  [St.RamBlockList]: 'a RAM block-list entry',
  [St.Payload]: 'a device section payload',
  [St.Opaque]: 'a device section payload and its footer',
  [St.Footer]: 'a section footer',
  [St.AfterEof]: 'the vmdesc record',
  [St.Done]: 'nothing',
};

const MAX_SECTIONS = 65536;

export class StreamDecoder {
  private state: St = St.Header;
  private readonly emit: (rec: StreamRecord) => void;
  private readonly resolve: SectionResolver;
  private readonly configMode: 'required' | 'optional' | 'absent';
  private readonly footers: boolean;
  private readonly limits: DecodeLimits;
  readonly pageSize: number;
  private ram: RamDecoder;
  private readonly sections = new Map<number, OpenSection>();
  /** The section whose payload is being read, and how it began. */
  private cur: OpenSection | undefined;
  private curType: SectionKind = 'start';
  /** Where the opaque footer scan resumes (absolute offset). */
  private scanFrom = 0;

  /** Absolute offset of the next byte push() will receive. */
  private base = 0;
  /** A unit that straddles chunks. */
  private readonly pend = new StraddleBuffer();
  /** Absolute offset up to which the pending unit needs bytes. */
  private needAbs = 0;
  /** Opaque payloads take whole chunks: their length is unknown until the footer. */
  private greedy = false;
  private failure: Error | undefined;
  private sawEof = false;

  constructor(opts: StreamDecoderOptions) {
    this.emit = opts.onRecord;
    this.resolve = opts.resolveSection ?? defaultResolver;
    this.configMode = opts.configuration ?? 'required';
    this.footers = opts.sectionFooters ?? true;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.pageSize = opts.pageSize ?? TARGET_PAGE_SIZE;
    this.ram = new RamDecoder({ pageSize: this.pageSize, limits: this.limits });
  }

  /** Total bytes accepted so far. */
  get offset(): number {
    return this.base;
  }

  /** True once EOF (and the vmdesc, if any) has been read. */
  get finished(): boolean {
    return this.sawEof;
  }

  /** The RAM blocks the stream announced. */
  get ramBlocks(): ReadonlyMap<string, { idstr: string; usedLength: number }> {
    return this.ram.blocks;
  }

  /** Feeds the next bytes of the stream. Throws ProtocolError on malformed input. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      this.feed(chunk);
    } catch (e) {
      this.failure = e as Error;
      throw e;
    }
  }

  /**
   * Declares the end of input. Throws a TRUNCATED ProtocolError naming the
   * offset and what was expected unless the stream ended at a clean point
   * (after EOF, with or without its vmdesc).
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (!this.pend.empty || (this.state !== St.AfterEof && this.state !== St.Done)) {
      this.failure = new ProtocolError(
        ErrorCode.PROTOCOL_TRUNCATED,
        `Truncated stream: expected ${EXPECTED[this.state]}` +
          (!this.pend.empty ? ` (${this.needAbs - this.base} more byte(s) needed)` : ''),
        this.base,
      );
      throw this.failure;
    }
  }

  private feed(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    // First finish a unit that began in an earlier chunk.
    const pend = this.pend;
    while (!pend.empty && pos < n) {
      const want = this.needAbs - pend.base;
      const take = this.greedy ? n - pos : Math.min(Math.max(want - pend.length, 0), n - pos);
      pend.append(chunk, pos, take);
      pos += take;
      if (pend.length < want) break;
      const r = new ByteReader(pend.bytes, 0, pend.length, pend.base);
      this.run(r);
      this.dropPend(r.pos);
    }
    if (pos < n && pend.empty) {
      const r = new ByteReader(chunk, pos, n, this.base);
      this.run(r);
      if (r.pos < n) {
        pend.base = this.base + r.pos;
        pend.append(chunk, r.pos, n - r.pos);
      }
    }
    this.base += n;
  }

  /** Parses units from `r` until it runs dry; remembers what the next unit needs. */
  private run(r: ByteReader): void {
    this.greedy = false;
    while (r.pos < r.end) {
      const save = r.pos;
      try {
        this.step(r);
      } catch (e) {
        if (!(e instanceof NeedMoreData)) throw e;
        r.pos = save;
        this.needAbs = e.needed;
        return;
      }
    }
  }

  private dropPend(consumed: number): void {
    if (this.pend.drop(consumed)) this.greedy = false;
  }

  /** Parses one unit for the current state. */
  private step(r: ByteReader): void {
    switch (this.state) {
      case St.Header: {
        const offset = r.offset;
        const version = readFileHeader(r);
        this.emit({ kind: 'header', offset, version });
        this.state = this.configMode === 'absent' ? St.Top : St.Configuration;
        return;
      }
      case St.Configuration:
        return this.configuration(r);
      case St.Top:
        return this.top(r);
      case St.RamRecord: {
        const next = this.ram.record(r, this.emit);
        if (next === RamNext.BlockList) this.state = St.RamBlockList;
        else if (next === RamNext.EndOfPayload) this.endPayload();
        return;
      }
      case St.RamBlockList:
        if (this.ram.blockEntry(r, this.emit) === RamNext.Record) this.state = St.RamRecord;
        return;
      case St.Payload:
        return this.payload(r);
      case St.Opaque:
        return this.opaque(r);
      case St.Footer:
        return this.footer(r);
      case St.AfterEof:
        return this.vmdesc(r);
      case St.Done:
        throw new ProtocolError(
          ErrorCode.PROTOCOL_UNKNOWN_TYPE,
          'Unexpected data after the end of the migration stream',
          r.offset,
        );
      default:
        this.state satisfies never;
    }
  }

  private configuration(r: ByteReader): void {
    const offset = r.offset;
    const type = r.peekU8('record type');
    if (type !== SectionType.CONFIGURATION) {
      if (this.configMode === 'required') {
        throw new ProtocolError(
          ErrorCode.PROTOCOL_CONFIGURATION,
          'Configuration section missing',
          offset,
        );
      }
      this.state = St.Top;
      return;
    }
    r.pos++;
    const config = readConfiguration(r, this.limits);
    if (config.capabilities?.includes('x-ignore-shared')) {
      this.ram = new RamDecoder({
        pageSize: this.pageSize,
        limits: this.limits,
        ignoreShared: true,
      });
    }
    this.emit({ kind: 'configuration', offset, config });
    this.state = St.Top;
  }

  private top(r: ByteReader): void {
    const offset = r.offset;
    const type = r.u8('record type');
    switch (type) {
      case SectionType.START:
      case SectionType.FULL: {
        const sectionId = r.u32('section id');
        const idstr = r.countedString('section idstr');
        const instanceId = r.u32('instance id');
        const versionId = r.u32('version id');
        const kind = type === SectionType.START ? 'start' : 'full';
        const info: SectionInfo = { sectionId, idstr, instanceId, versionId };
        const format = this.resolve(info, kind);
        if (!format) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_SECTION,
            `Unknown savevm section or instance '${idstr}' ${instanceId}. Make sure that your ` +
              'current VM setup matches your saved VM setup, including any hotplugged devices',
            offset,
          );
        }
        if (format.kind === 'ram' && versionId !== 4) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_SECTION,
            `savevm: unsupported version ${versionId} for '${idstr}' v4`,
            offset,
          );
        }
        if (!this.sections.has(sectionId) && this.sections.size >= MAX_SECTIONS) {
          throw new ProtocolError(ErrorCode.PROTOCOL_LIMIT, 'Too many sections', offset);
        }
        const open = { info, format };
        this.sections.set(sectionId, open);
        this.emit({ kind: 'section', offset, type: kind, ...info });
        return this.beginPayload(open, kind, r.offset);
      }
      case SectionType.PART:
      case SectionType.END: {
        const sectionId = r.u32('section id');
        const open = this.sections.get(sectionId);
        if (!open) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_SECTION,
            `Unknown savevm section ${sectionId}`,
            offset,
          );
        }
        const kind = type === SectionType.PART ? 'part' : 'end';
        this.emit({ kind: 'section', offset, type: kind, ...open.info });
        return this.beginPayload(open, kind, r.offset);
      }
      case SectionType.COMMAND: {
        const command = readCommand(r, this.limits);
        this.emit({ kind: 'command', offset, command });
        return;
      }
      case SectionType.EOF:
        this.emit({ kind: 'eof', offset });
        this.sawEof = true;
        this.state = St.AfterEof;
        return;
      default:
        throw new ProtocolError(
          ErrorCode.PROTOCOL_UNKNOWN_TYPE,
          `Unknown savevm section type ${type}`,
          offset,
        );
    }
  }

  private beginPayload(open: OpenSection, type: SectionKind, payloadAt: number): void {
    this.cur = open;
    this.curType = type;
    switch (open.format.kind) {
      case 'ram':
        // The last block carries over between sections, as in QEMU's loader.
        this.state = St.RamRecord;
        return;
      case 'decode':
        this.state = St.Payload;
        return;
      case 'opaque':
        if (!this.footers) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_SECTION,
            `Cannot read section '${open.info.idstr}': its format is unknown and the stream has no section footers`,
            payloadAt,
          );
        }
        this.scanFrom = payloadAt;
        this.state = St.Opaque;
        return;
      default:
        open.format satisfies never;
    }
  }

  private endPayload(): void {
    this.state = this.footers ? St.Footer : St.Top;
  }

  private payload(r: ByteReader): void {
    const open = this.cur!;
    const offset = r.offset;
    const value = decodePayload(r, open, this.curType, this.limits.maxDeviceSection);
    this.emit({ kind: 'device-state', offset, section: open.info, value });
    this.endPayload();
  }

  /** An unknown device's payload: everything up to its footer, however many chunks that takes. */
  private opaque(r: ByteReader): void {
    const open = this.cur!;
    const offset = r.offset;
    const found = scanOpaquePayload(r, open, this.scanFrom, this.limits.maxDeviceSection);
    if ('data' in found) {
      this.emit({ kind: 'device-bytes', offset, section: open.info, data: found.data });
      this.state = St.Footer;
      return;
    }
    this.scanFrom = found.resumeAt;
    this.greedy = true;
    throw new NeedMoreData('a section footer', r.offset, r.base + r.end + 1);
  }

  private footer(r: ByteReader): void {
    const offset = r.offset;
    const sectionId = readSectionFooter(r, this.cur!);
    this.emit({ kind: 'footer', offset, sectionId });
    this.cur = undefined;
    this.state = St.Top;
  }

  private vmdesc(r: ByteReader): void {
    const offset = r.offset;
    const { json, value } = readVmdescRecord(r, this.limits.maxVmdesc);
    this.emit({ kind: 'vmdesc', offset, json, value });
    this.state = St.Done;
  }
}
