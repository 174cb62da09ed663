/**
 * Finds the vmdesc record at the end of a stream file before decoding it, so
 * device sections can be decoded as they are met (QEMU writes the description
 * last). A candidate is a 0x06 byte whose be32 length reaches exactly to the
 * end of the file and whose payload starts with '{'.
 */
import { SectionType } from '../protocol/constants.js';

export interface LocatedVmdesc {
  /** Absolute offset of the 0x06 byte. */
  offset: number;
  json: string;
  value: unknown;
}

/**
 * `tail` holds the last bytes of a file of `fileSize` bytes. Returns the
 * vmdesc found there, or undefined if there is none (or it is not valid JSON:
 * the decoder will report that when it reaches it).
 */
export function locateVmdesc(tail: Uint8Array, fileSize: number): LocatedVmdesc | undefined {
  const tailStart = fileSize - tail.length;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let p = tail.length - 6; p >= 0; p--) {
    if (tail[p] !== SectionType.VMDESCRIPTION || tail[p + 5] !== 0x7b /* { */) continue;
    const len = view.getUint32(p + 1);
    if (p + 5 + len !== tail.length) continue;
    const json = new TextDecoder().decode(tail.subarray(p + 5));
    try {
      return { offset: tailStart + p, json, value: JSON.parse(json) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
