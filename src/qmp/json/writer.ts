/**
 * Serialises values the way QEMU's qobject/json-writer.c does: separators
 * ", " and ": ", ASCII-only output with \uXXXX (upper-case hex) escapes,
 * floats as %.17g, 64-bit integers exactly.
 *
 * Member order: QEMU keeps objects in a QDict, a 512-bucket hash table, and
 * prints them bucket by bucket (newest entry first within a bucket). That is
 * why QEMU prints {"return": …, "id": …} but {"id": …, "error": …}. The
 * 'qemu' order reproduces this; 'inserted' keeps the JS insertion order.
 */
import { formatDouble } from './number-format.js';
import { JsonFloat } from './value.js';

export type MemberOrder = 'inserted' | 'qemu';

export interface WriteOptions {
  order?: MemberOrder;
}

const QDICT_BUCKET_MAX = 512;

/** QEMU's tdb_hash() of a key's UTF-8 bytes, reduced to a bucket index. */
export function qdictBucket(key: string): number {
  const b = Buffer.from(key, 'utf8');
  let v = Math.imul(0x238f13af, b.length) >>> 0;
  for (let i = 0; i < b.length; i++) {
    v = (v + ((b[i] as number) << ((i * 5) % 24))) >>> 0;
  }
  return ((Math.imul(1103515243, v) + 12345) >>> 0) % QDICT_BUCKET_MAX;
}

/** Keys (given in insertion order) in the order QEMU iterates a QDict. */
export function qdictOrder(keys: readonly string[]): string[] {
  return keys
    .map((key, index) => ({ key, index, bucket: qdictBucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || b.index - a.index)
    .map((e) => e.key);
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

const SIMPLE: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

function escapeCodePoint(ch: string): string {
  let cp = ch.codePointAt(0) as number;
  const simple = SIMPLE[cp];
  if (simple !== undefined) return simple;
  // QEMU cannot hold lone surrogates or noncharacters; it writes U+FFFD.
  if (
    (cp >= 0xd800 && cp <= 0xdfff) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe
  ) {
    cp = 0xfffd;
  }
  if (cp > 0xffff) {
    return `\\u${hex4(0xd800 + ((cp - 0x10000) >> 10))}\\u${hex4(0xdc00 + ((cp - 0x10000) & 0x3ff))}`;
  }
  return `\\u${hex4(cp)}`;
}

// Everything QEMU's writer does not print as itself; the rest is plain ASCII.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\u{10ffff}]/gu;

export function quoteString(s: string): string {
  return `"${s.replace(NEEDS_ESCAPE, escapeCodePoint)}"`;
}

const TWO_64 = 2 ** 64;

function writeNumber(n: number): string {
  // Integral JS numbers are written like QEMU's int64/uint64 members.
  if (Number.isInteger(n) && Math.abs(n) < TWO_64) return BigInt(n).toString();
  return formatDouble(n);
}

function write(v: unknown, order: MemberOrder, parts: string[]): void {
  if (v === null || v === undefined) {
    parts.push('null');
  } else if (typeof v === 'string') {
    parts.push(quoteString(v));
  } else if (typeof v === 'number') {
    parts.push(writeNumber(v));
  } else if (typeof v === 'bigint') {
    parts.push(v.toString());
  } else if (typeof v === 'boolean') {
    parts.push(v ? 'true' : 'false');
  } else if (v instanceof JsonFloat) {
    parts.push(formatDouble(v.value));
  } else if (Array.isArray(v)) {
    parts.push('[');
    v.forEach((item, i) => {
      if (i > 0) parts.push(', ');
      write(item, order, parts);
    });
    parts.push(']');
  } else if (typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    // Members holding undefined are absent, like unset optional QAPI members.
    const present = Object.keys(rec).filter((k) => rec[k] !== undefined);
    const keys = order === 'qemu' ? qdictOrder(present) : present;
    parts.push('{');
    keys.forEach((k, i) => {
      if (i > 0) parts.push(', ');
      parts.push(quoteString(k), ': ');
      write(rec[k], order, parts);
    });
    parts.push('}');
  } else {
    throw new TypeError(`cannot write a ${typeof v} as JSON`);
  }
}

/** One JSON text for `value`, without a line terminator. */
export function writeJson(value: unknown, options: WriteOptions = {}): string {
  const parts: string[] = [];
  write(value, options.order ?? 'inserted', parts);
  return parts.join('');
}
