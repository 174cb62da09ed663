/**
 * Delimiting a section payload nobody can parse: search for its footer,
 * `0x7e` + be32 section id, followed by a byte that can start the next record.
 * A payload could contain the same six bytes by chance; the record-type check
 * makes that unlikely, and the decoder says the payload was only delimited.
 */
import { SectionType } from './constants.js';

function isRecordType(b: number): boolean {
  return (
    b === SectionType.EOF ||
    b === SectionType.START ||
    b === SectionType.PART ||
    b === SectionType.END ||
    b === SectionType.FULL ||
    b === SectionType.COMMAND
  );
}

/** Index of the footer of section `id` in buf[from, end), or -1 (needs one byte after it). */
export function findFooter(buf: Uint8Array, from: number, end: number, id: number): number {
  const b1 = (id >>> 24) & 0xff;
  const b2 = (id >>> 16) & 0xff;
  const b3 = (id >>> 8) & 0xff;
  const b4 = id & 0xff;
  for (let i = from; i + 5 < end; i++) {
    if (
      buf[i] === SectionType.FOOTER &&
      buf[i + 1] === b1 &&
      buf[i + 2] === b2 &&
      buf[i + 3] === b3 &&
      buf[i + 4] === b4 &&
      isRecordType(buf[i + 5]!)
    ) {
      return i;
    }
  }
  return -1;
}
