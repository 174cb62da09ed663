/**
 * C's printf("%.17g") for doubles, which is how QEMU writes every float
 * (e.g. 84.05136 → "84.051360000000003"). Computed from the exact binary
 * value with round-half-even, as glibc does, so no digit depends on V8's
 * own rounding.
 */

const PRECISION = 17;

/** Exact decimal digits and exponent of a finite, positive double. */
function exactDecimal(v: number): { digits: string; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) {
    e2 = -1074;
  } else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  // value = mant * 2^e2 = digits * 10^(-scale)
  let digits: string;
  let scale: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    scale = 0;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    scale = -e2;
  }
  // exp10 is the exponent of the leading digit.
  return { digits, exp10: digits.length - 1 - scale };
}

/** Rounds a digit string to `n` significant digits, half to even. */
function roundDigits(digits: string, n: number): { digits: string; carry: boolean } {
  if (digits.length <= n) return { digits: digits.padEnd(n, '0'), carry: false };
  const head = digits.slice(0, n);
  const rest = digits.slice(n);
  const first = rest.charCodeAt(0) - 48;
  let up = first > 5;
  if (first === 5) {
    const tail = /[1-9]/.test(rest.slice(1));
    up = tail || (head.charCodeAt(n - 1) - 48) % 2 === 1;
  }
  if (!up) return { digits: head, carry: false };
  const bumped = (BigInt(head) + 1n).toString();
  if (bumped.length > n) return { digits: bumped.slice(0, n), carry: true };
  return { digits: bumped, carry: false };
}

export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : '';
  if (v === 0) return `${sign}0`;
  const exact = exactDecimal(Math.abs(v));
  const rounded = roundDigits(exact.digits, PRECISION);
  const exp = exact.exp10 + (rounded.carry ? 1 : 0);
  const ds = rounded.digits;
  let body: string;
  if (exp < -4 || exp >= PRECISION) {
    let frac = ds.slice(1).replace(/0+$/, '');
    frac = frac ? `.${frac}` : '';
    const es = Math.abs(exp).toString().padStart(2, '0');
    body = `${ds[0]}${frac}e${exp < 0 ? '-' : '+'}${es}`;
  } else if (exp >= 0) {
    const int = ds.slice(0, exp + 1);
    const frac = ds.slice(exp + 1).replace(/0+$/, '');
    body = frac ? `${int}.${frac}` : int;
  } else {
    const frac = ('0'.repeat(-exp - 1) + ds).replace(/0+$/, '');
    body = `0.${frac}`;
  }
  return sign + body;
}
