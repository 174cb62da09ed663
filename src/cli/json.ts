/**
 * JSON output that survives bigints and byte arrays. Bytes become hex strings
 * (Buffer's own toJSON shape would otherwise appear); bigints become numbers
 * when exact, else decimal strings.
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key]; // before toJSON ran
      if (raw instanceof Uint8Array)
        return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('hex');
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      return v;
    },
    indent,
  );
}

/**
 * For people: a byte array that is printable text padded with NULs (such as
 * globalstate's runstate) is shown as that text.
 */
export function toDisplayJson(value: unknown, indent = 2): string {
  const text = (b: Uint8Array): string | undefined => {
    let end = b.length;
    while (end > 0 && b[end - 1] === 0) end--;
    if (end === 0) return undefined;
    for (let i = 0; i < end; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return undefined;
    const s = Buffer.from(b.buffer, b.byteOffset, end).toString('latin1');
    return end < b.length ? `${s} (+${b.length - end} NUL)` : s;
  };
  const out = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key];
      if (raw instanceof Uint8Array) {
        return text(raw) ?? Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('hex');
      }
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      return v;
    },
    indent,
  );
  // Arrays of numbers or strings on one line: register files read better that way.
  return out.replace(
    /\[\n\s*((?:(?:-?[\d.e+]+|"[^"\n]*"),\n\s*)*(?:-?[\d.e+]+|"[^"\n]*"))\n\s*\]/g,
    (_m, body: string) => `[${body.split(/,\n\s*/).join(', ')}]`,
  );
}
