/**
 * JSON for the QMP client that keeps uint64 values exact. QEMU prints sizes such
 * as a wrapped max-bandwidth (18446744073709551615) as plain integers, which
 * JSON.parse would round to 2^64. Here an integer literal that is not a safe
 * integer becomes a bigint; everything else matches JSON.parse. Kept separate
 * from the server's parser on purpose: the client must stand alone.
 */

export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

// Nesting bound: a hostile peer must not be able to overflow our stack.
const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new JsonSyntaxError(what, this.pos);
  }

  ws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.ws();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected '${c}'`);
    }
  }

  literal<T extends JsonValue>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return v;
  }

  number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) return this.fail('invalid number');
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  }

  string(): string {
    // Find the closing quote, then let JSON.parse handle escapes and validation.
    const t = this.text;
    let i = this.pos + 1;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c)) {
        this.pos = i;
        this.fail('unterminated string');
      }
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      i++;
    }
    const raw = t.slice(this.pos, i + 1);
    try {
      const s = JSON.parse(raw) as string;
      this.pos = i + 1;
      return s;
    } catch {
      return this.fail('invalid string');
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): { [key: string]: JsonValue } {
    this.pos++;
    const out: { [key: string]: JsonValue } = {};
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected a member name');
      const key = this.string();
      this.ws();
      if (this.text[this.pos++] !== ':') this.fail("expected ':'");
      const v = this.value(depth + 1);
      // defineProperty so that a "__proto__" member from the peer stays plain data.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true });
      else out[key] = v;
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }
}

/** Parses one JSON text; integers beyond 2^53 come back as bigint. */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  const v = p.value(0);
  p.ws();
  if (p.pos !== text.length) p.fail('unexpected trailing characters');
  return v;
}

/**
 * Serialises like JSON.stringify, except that bigints are written as their digits
 * (QMP's uint64 arguments) and `indent` output is compact-friendly. Undefined
 * members are skipped, undefined array elements and non-finite numbers become null.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  const pad = indent > 0 ? ' '.repeat(indent) : '';
  const seen = new Set<object>();
  const write = (v: unknown, prefix: string): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'bigint':
        return v.toString();
      case 'number':
        return Number.isFinite(v) ? JSON.stringify(v) : 'null';
      case 'string':
      case 'boolean':
        return JSON.stringify(v);
      case 'object':
        break;
      default:
        return undefined;
    }
    const obj = v as object;
    if (seen.has(obj)) throw new TypeError('cannot serialise a circular structure');
    seen.add(obj);
    const inner = prefix + pad;
    const sep = pad === '' ? ',' : `,\n${inner}`;
    const open = pad === '' ? '' : `\n${inner}`;
    const close = pad === '' ? '' : `\n${prefix}`;
    let out: string;
    if (Array.isArray(obj)) {
      const items = obj.map((x) => write(x, inner) ?? 'null');
      out = items.length === 0 ? '[]' : `[${open}${items.join(sep)}${close}]`;
    } else {
      const colon = pad === '' ? ':' : ': ';
      const items: string[] = [];
      for (const [k, x] of Object.entries(obj)) {
        const s = write(x, inner);
        if (s !== undefined) items.push(JSON.stringify(k) + colon + s);
      }
      out = items.length === 0 ? '{}' : `{${open}${items.join(sep)}${close}}`;
    }
    seen.delete(obj);
    return out;
  };
  return write(value, '') ?? 'null';
}
