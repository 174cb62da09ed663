/**
 * QEMU's size syntax (util/cutils.c qemu_strtosz), needed for `file:...,offset=N`:
 * decimal with an optional fraction and a binary suffix (B K M G T P E, any case),
 * or `0x` hex without fraction or suffix. A fraction needs a suffix other than B.
 * Returns the value, or the strerror text QEMU appends to its error message.
 */
const SUFFIX: Record<string, bigint> = {
  b: 1n,
  k: 1n << 10n,
  m: 1n << 20n,
  g: 1n << 30n,
  t: 1n << 40n,
  p: 1n << 50n,
  e: 1n << 60n,
};
const U64_MAX = (1n << 64n) - 1n;
export const EINVAL_TEXT = 'Invalid argument';
export const ERANGE_TEXT = 'Numerical result out of range';

export function qemuStrtosz(text: string): bigint | string {
  const s = text.replace(/^\s+/, '');
  if (s.startsWith('-')) return ERANGE_TEXT;
  const hex = /^0[xX]([0-9a-fA-F]+)$/.exec(s);
  if (hex) {
    const v = BigInt(`0x${hex[1]!}`);
    return v > U64_MAX ? ERANGE_TEXT : v;
  }
  const m = /^(\d*)(?:\.(\d*))?([bBkKmMgGtTpPeE]?)$/.exec(s);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return EINVAL_TEXT;
  const mul = SUFFIX[m[3]!.toLowerCase() || 'b']!;
  const frac = m[2] ?? '';
  if (/[1-9]/.test(frac) && mul === 1n) return EINVAL_TEXT;
  const whole = BigInt(m[1] || '0') * mul;
  // The fraction is scaled with integer arithmetic and rounded like QEMU's double math.
  const scale = 10n ** BigInt(frac.length);
  const part = frac ? (BigInt(frac) * mul * 2n + scale) / (2n * scale) : 0n;
  const v = whole + part;
  return v > U64_MAX ? ERANGE_TEXT : v;
}
