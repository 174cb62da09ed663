/**
 * QEMU's "modified UTF-8" rules (util/unicode.c): U+0000 may be written as
 * C0 80, surrogates and the 66 noncharacters are invalid, overlong forms are
 * invalid. Used both to validate input strings and to render raw bytes (for
 * "stray" error texts) the way QEMU's writer would.
 */

export function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

const MIN_CP = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/**
 * Decodes one sequence at `pos` (reading no further than `limit`). Returns the
 * code point (-1 when invalid) and the index just past what was consumed,
 * following QEMU's rules for how far an invalid sequence extends.
 */
export function decodeModUtf8(buf: Uint8Array, pos: number, limit: number): [number, number] {
  if (pos >= limit || buf[pos] === 0) return [-1, pos];
  const first = buf[pos] as number;
  let p = pos + 1;
  if (first < 0x80) return [first, p];
  if (first >= 0xfe || (first & 0x40) === 0) return [-1, p];
  let len = 0;
  let mask = 0x80;
  for (; first & mask; mask >>= 1) len++;
  let cp = first & (mask - 1);
  for (let i = 1; i < len; i++) {
    const byte = p < limit ? (buf[p] as number) : 0;
    if ((byte & 0xc0) !== 0x80) return [-1, p];
    p++;
    cp = (cp << 6) | (byte & 0x3f);
  }
  if (!isValidCodepoint(cp)) return [-1, p];
  if (cp < (MIN_CP[len - 2] as number) && !(cp === 0 && len === 2)) return [-1, p];
  return [cp, p];
}

/**
 * Renders bytes as QEMU's writer would see a C string: stops at the first NUL
 * and turns every invalid sequence into U+FFFD.
 */
export function bytesToDisplayString(buf: Uint8Array): string {
  let end = buf.indexOf(0);
  if (end < 0) end = buf.length;
  let out = '';
  let pos = 0;
  while (pos < end) {
    const [cp, next] = decodeModUtf8(buf, pos, end);
    out += String.fromCodePoint(cp < 0 ? 0xfffd : cp);
    pos = next > pos ? next : pos + 1;
  }
  return out;
}
