// Byte comparisons that report *where* two large buffers differ, not just "not equal".
const CHUNK = 1 << 20;

/** Offset of the first differing byte, -1 if equal; a length mismatch counts at the shorter end. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let off = 0; off < n; off += CHUNK) {
    const end = Math.min(off + CHUNK, n);
    // Buffer.compare over 1 MiB slices is native and fast; only a differing chunk is scanned.
    if (Buffer.compare(a.subarray(off, end), b.subarray(off, end)) === 0) continue;
    for (let i = off; i < end; i++) if (a[i] !== b[i]) return i;
  }
  return a.length === b.length ? -1 : n;
}

export function hexdump(buf: Uint8Array, offset: number, length = 16): string {
  return Buffer.from(buf.subarray(offset, offset + length)).toString('hex');
}
