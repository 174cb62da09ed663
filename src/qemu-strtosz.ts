/**
 * QEMU's qemu_strtosz (util/cutils.c, 8.1), the one size syntax of QEMU's
 * options and URIs: `-m`, `-global` size properties, `file:...,offset=`.
 * Shared by every layer that reads QEMU-style sizes, so they agree on every
 * corner (leading blanks, hex without suffix, fractions rounded to the byte).
 */
const UINT64_MAX = (1n << 64n) - 1n;

const SIZE_SUFFIXES: Readonly<Record<string, bigint>> = {
  B: 1n,
  K: 1n << 10n,
  M: 1n << 20n,
  G: 1n << 30n,
  T: 1n << 40n,
  P: 1n << 50n,
  E: 1n << 60n,
};

function suffixMultiplier(ch: string | undefined): bigint | undefined {
  return ch === undefined ? undefined : SIZE_SUFFIXES[ch.toUpperCase()];
}

export type StrtoszResult = { value: bigint } | { error: 'EINVAL' | 'ERANGE' };

/**
 * qemu_strtosz(str, NULL) as of QEMU 8.1: a decimal integer with an optional
 * fraction, or a hex integer without fraction or suffix; an optional
 * B/K/M/G/T/P/E suffix (binary units, any case; default bytes); a fraction
 * needs a suffix other than B. Negative input is ERANGE; trailing text EINVAL.
 */
export function strtosz(text: string): StrtoszResult {
  const EINVAL = { error: 'EINVAL' } as const;
  const ERANGE = { error: 'ERANGE' } as const;

  let pos: number;
  let val = 0n;
  let valf = 0n; // fraction in units of 2^-64
  let fail: 'EINVAL' | 'ERANGE' | undefined;

  // parse_uint(…, 10): strtoull, but a leading '-' is ERANGE.
  const int = /^([\t\n\v\f\r ]*)([+-]?)([0-9]+)/.exec(text);
  if (int) {
    pos = int[0].length;
    val = BigInt(int[3] ?? '0');
    if (val > UINT64_MAX) fail = 'ERANGE';
    else if (int[2] === '-') fail = 'ERANGE';
  } else {
    pos = 0;
    fail = 'EINVAL';
  }
  if (fail === 'ERANGE') {
    return pos === text.length ? ERANGE : EINVAL;
  }

  const next = text[pos];
  if (fail === undefined && val === 0n && (next === 'x' || next === 'X')) {
    const hex = /^[\t\n\v\f\r ]*\+?0[xX]([0-9a-fA-F]+)/.exec(text);
    if (!hex) return EINVAL;
    val = BigInt(`0x${hex[1] ?? ''}`);
    pos = hex[0].length;
    if (val > UINT64_MAX) return pos === text.length ? ERANGE : EINVAL;
    if (text[pos] === '.' || suffixMultiplier(text[pos]) !== undefined) return EINVAL;
  } else if (next === '.' || (fail !== undefined && text.includes('.'))) {
    let fraction = 0;
    if (fail === undefined && next === '.' && !/[0-9]/.test(text[pos + 1] ?? '')) {
      pos += 1;
    } else {
      // strtod on the rest, with any exponent cut off (QEMU rejects exponents).
      const rest = text.slice(pos).replace(/[eE].*$/, '');
      const f = /^[\t\n\v\f\r ]*([+-]?)([0-9]*\.?[0-9]*)/.exec(rest);
      const body = f?.[2] ?? '';
      if (!f || !/[0-9]/.test(body)) return EINVAL;
      fraction = Number(`${f[1] ?? ''}${body}`);
      if (f[1] === '-') return pos + f[0].length === text.length ? ERANGE : EINVAL;
      pos += f[0].length;
      fail = undefined;
    }
    if (fraction === 1) {
      if (val === UINT64_MAX) return ERANGE;
      val += 1n;
    } else {
      valf = BigInt(Math.floor(fraction * 2 ** 64));
      if (valf === 0n && fraction > 0) valf = 1n;
    }
  }
  if (fail !== undefined) return EINVAL;

  let mul = suffixMultiplier(text[pos]);
  if (mul !== undefined) pos += 1;
  else mul = 1n;
  if (pos !== text.length) return EINVAL;

  if (mul === 1n) {
    if (valf !== 0n) return EINVAL;
    return { value: val };
  }
  // 128-bit product, rounding the fraction to the nearest byte as QEMU does.
  const fracProduct = valf * mul;
  const total = val * mul + (fracProduct >> 64n) + ((fracProduct >> 63n) & 1n);
  return total > UINT64_MAX ? ERANGE : { value: total };
}

/** The strerror text QEMU appends for each failure ("... : Invalid argument"). */
export function strtoszErrorText(error: 'EINVAL' | 'ERANGE'): string {
  return error === 'EINVAL' ? 'Invalid argument' : 'Numerical result out of range';
}

/**
 * A size as a JavaScript number, for livemig's own options (--ram 256M,
 * --param max-bandwidth=1G) and device properties (initdata's size=):
 * undefined when it is not a size or is beyond 2^53.
 */
export function parseSize(s: string): number | undefined {
  const r = strtosz(s);
  if ('error' in r || r.value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(r.value);
}
