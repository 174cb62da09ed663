/**
 * Wire format of the `initdata` device, inside its START/PART/END section
 * payloads. The outer layer is VFIO's (protocol reference §1.10): be64
 * markers, DATA_STATE carrying a be64 size and an opaque blob.
 *
 *   START: SETUP_STATE, END_OF_STATE
 *   PART:  [DATA_STATE, be64 size, blob], then END_OF_STATE or INIT_DATA_SENT
 *   END:   (DATA_STATE, be64 size, blob)*, END_OF_STATE
 *
 * VFIO's blob is opaque to QEMU; ours must say which bytes of the device
 * state it carries, so it is a sequence of extents filling exactly `size`:
 *
 *   be64 offset    byte offset in the state, a multiple of BLOCK
 *   be32 length    > 0, a multiple of BLOCK, offset + length <= state size
 *   be32 checksum  CRC-32 (zlib's) of the data, checked by the preparation worker
 *   length bytes   the data
 *
 * A blob is at most MAX_BLOB bytes including extent headers, so one extent
 * carries at most MAX_BLOB - EXTENT_HEADER bytes.
 */
import { crc32 } from 'node:zlib';

export const VFIO_MIG_FLAG_END_OF_STATE = 0xffffffffef100001n;
export const VFIO_MIG_FLAG_DEV_CONFIG_STATE = 0xffffffffef100002n;
export const VFIO_MIG_FLAG_DEV_SETUP_STATE = 0xffffffffef100003n;
export const VFIO_MIG_FLAG_DEV_DATA_STATE = 0xffffffffef100004n;
export const VFIO_MIG_FLAG_DEV_INIT_DATA_SENT = 0xffffffffef100005n;

/** Granule of dirtying, addressing and preparation. */
export const BLOCK = 4096;
export const BLOCK_WORDS = BLOCK / 4;
/** QEMU's VFIO data buffer: min(1 MiB, stop_copy_size). */
export const MAX_BLOB = 1 << 20;
export const EXTENT_HEADER = 16;
/** Whole blocks that fit in one blob after one extent header. */
export const MAX_EXTENT = Math.floor((MAX_BLOB - EXTENT_HEADER) / BLOCK) * BLOCK;

export const INITDATA_VERSION = 1;

export function markerName(m: bigint): string {
  return `0x${m.toString(16)}`;
}

/** The extent checksum: zlib's CRC-32 (native, so the source pays almost nothing for it). */
export function checksum(data: Uint8Array): number {
  return crc32(data) >>> 0;
}
