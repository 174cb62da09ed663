/** The 8-byte file header every QEMU migration stream starts with. */
import { ErrorCode, ProtocolError } from '../errors.js';
import type { ByteReader } from './bytes.js';
import {
  QEMU_VM_FILE_MAGIC,
  QEMU_VM_FILE_VERSION,
  QEMU_VM_FILE_VERSION_COMPAT,
} from './constants.js';
import type { StreamSink } from './stream-writer.js';

export const HEADER_SIZE = 8;

export function writeFileHeader(w: StreamSink): void {
  w.u32(QEMU_VM_FILE_MAGIC);
  w.u32(QEMU_VM_FILE_VERSION);
}

/** Reads and checks the header; returns the version (always 3 when it returns). */
export function readFileHeader(r: ByteReader): number {
  const at = r.offset;
  const magic = r.u32('file magic');
  if (magic !== QEMU_VM_FILE_MAGIC) {
    throw new ProtocolError(ErrorCode.PROTOCOL_MAGIC, 'Not a migration stream', at);
  }
  const version = r.u32('file version');
  if (version === QEMU_VM_FILE_VERSION_COMPAT) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_VERSION,
      "SaveVM v2 format is obsolete and don't work anymore",
      at + 4,
    );
  }
  if (version !== QEMU_VM_FILE_VERSION) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_VERSION,
      'Unsupported migration stream version',
      at + 4,
    );
  }
  return version;
}
