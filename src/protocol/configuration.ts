/**
 * The configuration section (QEMU_VM_CONFIGURATION, 0x07) that follows the file
 * header: the machine-type name, then optional subsections. It is a VMState
 * struct named "configuration", version 1, with no section id and no footer.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { type ByteReader, latin1, latin1Bytes } from './bytes.js';
import { SectionType } from './constants.js';
import type { DecodeLimits } from './limits.js';
import type { StreamSink } from './stream-writer.js';

export interface Configuration {
  /** Machine type, e.g. "pc-i440fx-8.1" or "none". */
  machine: string;
  /** TARGET_PAGE_BITS, sent only when above the target's minimum. */
  targetPageBits?: number;
  /** Validated capabilities that are on (x-ignore-shared, mapped-ram). */
  capabilities?: string[];
  /** The source's UUID (16 bytes), sent with the validate-uuid capability. */
  uuid?: Uint8Array;
}

const PREFIX = 'configuration/';
const SUB_PAGE_BITS = 'configuration/target-page-bits';
const SUB_CAPS = 'configuration/capabilities';
const SUB_UUID = 'configuration/uuid';

function subsectionHeader(w: StreamSink, name: string): void {
  w.u8(SectionType.SUBSECTION);
  w.countedString(name);
  w.u32(1);
}

/** Writes 0x07 and the configuration payload. */
export function writeConfiguration(w: StreamSink, c: Configuration): void {
  w.u8(SectionType.CONFIGURATION);
  const name = latin1Bytes(c.machine);
  w.u32(name.length);
  w.bytes(name);
  if (c.targetPageBits !== undefined) {
    subsectionHeader(w, SUB_PAGE_BITS);
    w.u32(c.targetPageBits);
  }
  if (c.capabilities && c.capabilities.length > 0) {
    subsectionHeader(w, SUB_CAPS);
    w.u32(c.capabilities.length);
    for (const cap of c.capabilities) w.countedString(cap);
  }
  if (c.uuid) {
    if (c.uuid.length !== 16) {
      throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, 'A UUID is 16 bytes');
    }
    subsectionHeader(w, SUB_UUID);
    w.bytes(c.uuid);
  }
}

/**
 * Reads the configuration payload after its 0x07 byte, including the
 * subsections. It peeks one byte past the end to look for a further subsection,
 * as QEMU's loader does.
 */
export function readConfiguration(r: ByteReader, limits: DecodeLimits): Configuration {
  const lenAt = r.offset;
  const len = r.u32('machine name length');
  if (len > limits.maxMachineName) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_LIMIT,
      `Machine type name of ${len} bytes is over the limit of ${limits.maxMachineName}`,
      lenAt,
    );
  }
  const machine = latin1(r.bytes(len, 'machine name'));
  const config: Configuration = { machine };
  while (r.peekU8('record type') === SectionType.SUBSECTION) {
    const start = r.pos;
    r.u8();
    const name = r.countedString('subsection name');
    if (!name.startsWith(PREFIX) || name.length <= PREFIX.length) {
      // Not ours: QEMU stops here and lets the main loop see the 0x05.
      r.pos = start;
      break;
    }
    if (name !== SUB_PAGE_BITS && name !== SUB_CAPS && name !== SUB_UUID) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_CONFIGURATION,
        `Unknown subsection '${name}' in the configuration section`,
        r.base + start,
      );
    }
    const versionAt = r.offset;
    const version = r.u32('subsection version');
    if (version > 1) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_CONFIGURATION,
        `${name}: incoming version_id ${version} is too new for local version_id 1`,
        versionAt,
      );
    }
    if (version < 1) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_CONFIGURATION,
        `${name}: incoming version_id ${version} is too old for local minimum version_id 1`,
        versionAt,
      );
    }
    switch (name) {
      case SUB_PAGE_BITS:
        config.targetPageBits = r.u32('target page bits');
        break;
      case SUB_CAPS: {
        const countAt = r.offset;
        const count = r.u32('capability count');
        if (count > limits.maxCapabilities) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_LIMIT,
            `Capability count ${count} is over the limit of ${limits.maxCapabilities}`,
            countAt,
          );
        }
        const caps: string[] = [];
        for (let i = 0; i < count; i++) caps.push(r.countedString('capability name'));
        config.capabilities = caps;
        break;
      }
      default:
        config.uuid = r.copy(16, 'uuid');
        break;
    }
  }
  return config;
}

/** Formats 16 UUID bytes as QEMU prints them. */
export function formatUuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
