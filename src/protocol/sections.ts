/** Writers for the section framing records, EOF and the vmdesc record. */
import { ErrorCode, ProtocolError } from '../errors.js';
import type { ByteReader } from './bytes.js';
import { SectionType } from './constants.js';
import type { StreamSink } from './stream-writer.js';

export type SectionKind = 'start' | 'part' | 'end' | 'full';

export const SECTION_KIND_BYTE: Readonly<Record<SectionKind, number>> = {
  start: SectionType.START,
  part: SectionType.PART,
  end: SectionType.END,
  full: SectionType.FULL,
};

/** START or FULL: section id, counted idstr, instance id, version id. */
export function writeSectionHeader(
  w: StreamSink,
  kind: 'start' | 'full',
  sectionId: number,
  idstr: string,
  instanceId: number,
  versionId: number,
): void {
  w.u8(SECTION_KIND_BYTE[kind]);
  w.u32(sectionId);
  w.countedString(idstr);
  w.u32(instanceId);
  w.u32(versionId);
}

/** PART or END: just the section id. */
export function writeSectionContinuation(
  w: StreamSink,
  kind: 'part' | 'end',
  sectionId: number,
): void {
  w.u8(SECTION_KIND_BYTE[kind]);
  w.u32(sectionId);
}

export function writeSectionFooter(w: StreamSink, sectionId: number): void {
  w.u8(SectionType.FOOTER);
  w.u32(sectionId);
}

export function writeEof(w: StreamSink): void {
  w.u8(SectionType.EOF);
}

/** 0x06, be32 length, compact JSON (no trailing NUL). */
export function writeVmdesc(w: StreamSink, json: string): void {
  const bytes = new TextEncoder().encode(json);
  if (bytes.length > 0xffffffff) {
    throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, 'vmdesc too large');
  }
  w.u8(SectionType.VMDESCRIPTION);
  w.u32(bytes.length);
  w.bytes(bytes);
}

/**
 * Reads the record after EOF: 0x06, be32 length (checked against `max`
 * first), JSON. QEMU's loader only warns when another byte comes instead;
 * livemig reports it, since nothing else may follow EOF.
 */
export function readVmdescRecord(r: ByteReader, max: number): { json: string; value: unknown } {
  const offset = r.offset;
  const type = r.u8('vmdesc record');
  if (type !== SectionType.VMDESCRIPTION) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_UNKNOWN_TYPE,
      `Expected vmdescription section, but got ${type}`,
      offset,
    );
  }
  const len = r.u32('vmdesc length');
  if (len > max) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_LIMIT,
      `vmdesc of ${len} bytes is over the limit of ${max}`,
      offset,
    );
  }
  const json = new TextDecoder().decode(r.bytes(len, 'vmdesc JSON'));
  try {
    return { json, value: JSON.parse(json) };
  } catch (e) {
    throw new ProtocolError(ErrorCode.PROTOCOL_VMDESC, 'vmdesc is not valid JSON', offset + 5, {
      cause: e,
    });
  }
}
