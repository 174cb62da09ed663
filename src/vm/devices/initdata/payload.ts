/**
 * Parses one initdata section payload (format.ts) completely before anything
 * is applied, so that a NeedMoreData thrown by the reader leaves the device
 * untouched and the call can be repeated with more bytes. Messages for marker
 * errors follow QEMU's vfio_load_state().
 */
import { ErrorCode, ProtocolError } from '../../../errors.js';
import type { ByteReader } from '../../../protocol/bytes.js';
import type { SectionKind } from '../../../protocol/sections.js';
import {
  BLOCK,
  EXTENT_HEADER,
  MAX_BLOB,
  VFIO_MIG_FLAG_DEV_DATA_STATE,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE,
  VFIO_MIG_FLAG_END_OF_STATE,
  markerName,
} from './format.js';
import type { PrepExtent } from './prepare.js';

export interface ParsedBlob {
  /** A view of the blob in the reader's buffer (valid until the caller returns). */
  data: Uint8Array;
  extents: PrepExtent[];
}

export interface ParsedPayload {
  blobs: ParsedBlob[];
  initDataSent: boolean;
}

function bad(id: string, msg: string, at: number): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_SECTION, `${id}: ${msg}`, at);
}

export function parsePayload(
  r: ByteReader,
  kind: SectionKind,
  id: string,
  stateSize: number,
): ParsedPayload {
  const out: ParsedPayload = { blobs: [], initDataSent: false };
  if (kind === 'full') throw bad(id, 'initdata has no FULL section', r.offset);
  if (kind === 'start') {
    const at = r.offset;
    const m = r.u64('initdata marker');
    if (m !== VFIO_MIG_FLAG_DEV_SETUP_STATE) {
      throw bad(id, `START section: expected SETUP_STATE, got tag ${markerName(m)}`, at);
    }
    const eos = r.u64('initdata marker');
    if (eos !== VFIO_MIG_FLAG_END_OF_STATE) {
      throw bad(id, `SETUP STATE: EOS not found ${markerName(eos)}`, at + 8);
    }
    return out;
  }
  for (;;) {
    const at = r.offset;
    const m = r.u64('initdata marker');
    if (m === VFIO_MIG_FLAG_END_OF_STATE) return out;
    if (m === VFIO_MIG_FLAG_DEV_INIT_DATA_SENT) {
      // A source sends it only in a PART, and only while the VM still runs.
      if (kind === 'end') throw bad(id, 'INIT_DATA_SENT in an END section', at);
      out.initDataSent = true;
      return out;
    }
    if (m !== VFIO_MIG_FLAG_DEV_DATA_STATE) throw bad(id, `Unknown tag ${markerName(m)}`, at);
    const size = r.u64Number('initdata data size');
    if (size > MAX_BLOB) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_LIMIT,
        `${id}: data size ${size} is above the limit of ${MAX_BLOB}`,
        at + 8,
      );
    }
    const blobAt = r.offset;
    const data = r.bytes(size, 'initdata data');
    out.blobs.push({ data, extents: parseExtents(data, id, stateSize, blobAt) });
  }
}

/** The extents of one complete blob. The blob is all there, so a short header is an error, not NeedMoreData. */
function parseExtents(data: Uint8Array, id: string, stateSize: number, base: number): PrepExtent[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: PrepExtent[] = [];
  let pos = 0;
  while (pos < data.byteLength) {
    if (data.byteLength - pos < EXTENT_HEADER) {
      throw bad(id, `extent header truncated (${data.byteLength - pos} bytes left)`, base + pos);
    }
    const hi = dv.getUint32(pos);
    const offset = hi * 0x1_0000_0000 + dv.getUint32(pos + 4);
    const length = dv.getUint32(pos + 8);
    const sum = dv.getUint32(pos + 12);
    const where = `extent at 0x${offset.toString(16)} length ${length}`;
    if (length === 0 || length % BLOCK !== 0 || offset % BLOCK !== 0) {
      throw bad(id, `${where} is not a nonempty multiple of ${BLOCK} bytes`, base + pos);
    }
    if (offset + length > stateSize) {
      throw bad(id, `${where} is outside the state (size ${stateSize})`, base + pos);
    }
    if (length > data.byteLength - pos - EXTENT_HEADER) {
      throw bad(id, `${where} runs past the end of its data block`, base + pos);
    }
    out.push({ offset, length, checksum: sum, at: pos + EXTENT_HEADER });
    pos += EXTENT_HEADER + length;
  }
  return out;
}
