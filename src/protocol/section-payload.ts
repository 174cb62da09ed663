/**
 * How a section's payload is read once its header has been parsed, for the
 * sections that are not RAM: a device whose format a resolver knows (decoded
 * within the device-section limit), an unknown one (delimited by finding its
 * footer, 0x7e + its section id), and the footer itself. Each reader parses a
 * whole unit or throws NeedMoreData, as the stream decoder requires.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { ByteReader, NeedMoreData } from './bytes.js';
import { SectionType } from './constants.js';
import { findFooter } from './footer-scan.js';
import type { SectionInfo } from './records.js';
import type { SectionKind } from './sections.js';

/** How the payload of a section is read. */
export type SectionFormat =
  | { kind: 'ram' }
  /** Reads the whole payload from `r` (throwing NeedMoreData if short) and returns its value. */
  | { kind: 'decode'; decode: (r: ByteReader, section: SectionInfo, type: SectionKind) => unknown }
  /** Unknown layout: delimit the payload by its footer and yield it as bytes. */
  | { kind: 'opaque' };

export type SectionResolver = (
  section: SectionInfo,
  type: 'start' | 'full',
) => SectionFormat | undefined;

/** RAM is built in; anything else is delimited by its footer. */
export const defaultResolver: SectionResolver = (s) =>
  s.idstr === 'ram' ? { kind: 'ram' } : { kind: 'opaque' };

/** A section the stream has opened (by START or FULL), and how to read its payloads. */
export interface OpenSection {
  info: SectionInfo;
  format: SectionFormat;
}

/**
 * A decoded payload, read within `maxBytes`: a device that keeps asking for
 * more than that is refused rather than buffered without end.
 */
export function decodePayload(
  r: ByteReader,
  open: OpenSection,
  type: SectionKind,
  maxBytes: number,
): unknown {
  const format = open.format as Extract<SectionFormat, { kind: 'decode' }>;
  const limited = new ByteReader(r.buf, r.pos, Math.min(r.end, r.pos + maxBytes), r.base);
  let value: unknown;
  try {
    value = format.decode(limited, open.info, type);
  } catch (e) {
    if (e instanceof NeedMoreData && limited.end < r.end) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_LIMIT,
        `Section '${open.info.idstr}' is larger than the limit of ${maxBytes} bytes`,
        r.offset,
      );
    }
    throw e;
  }
  r.pos = limited.pos;
  return value;
}

/**
 * Looks for the opaque payload's footer from absolute offset `scanFrom` on.
 * Returns the payload (a view into `r`, which is left at the footer), or
 * undefined when the footer is not in `r` yet; then the caller needs more
 * bytes and can resume the scan at the returned `resumeAt`.
 */
export function scanOpaquePayload(
  r: ByteReader,
  open: OpenSection,
  scanFrom: number,
  maxBytes: number,
): { data: Uint8Array } | { resumeAt: number } {
  const start = r.pos;
  const at = findFooter(r.buf, Math.max(start, scanFrom - r.base), r.end, open.info.sectionId);
  if (at >= 0) {
    r.pos = at;
    return { data: r.buf.subarray(start, at) };
  }
  if (r.end - start > maxBytes) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_LIMIT,
      `No footer found for section '${open.info.idstr}' within ${maxBytes} bytes`,
      r.offset,
    );
  }
  // A footer is 5 bytes: one may begin in the last 4 read so far.
  return { resumeAt: r.base + Math.max(start, r.end - 5) };
}

/** Reads the footer that closes `open`'s payload, with QEMU's texts; returns its id. */
export function readSectionFooter(r: ByteReader, open: OpenSection): number {
  const offset = r.offset;
  const type = r.u8('section footer');
  if (type !== SectionType.FOOTER) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_FOOTER,
      `Missing section footer for ${open.info.idstr}`,
      offset,
    );
  }
  const id = r.u32('footer section id');
  if (id !== open.info.sectionId) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_FOOTER,
      `Mismatched section id in footer for ${open.info.idstr} - read 0x${id.toString(16)} ` +
        `expected 0x${open.info.sectionId.toString(16)}`,
      offset,
    );
  }
  return id;
}
