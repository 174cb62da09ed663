/**
 * Turns the tokens of one message into a value, with the error texts of QEMU's
 * qobject/json-parser.c. Recursion is bounded because the streamer never hands
 * over more than MAX_NESTING open containers.
 */
import { TokenType } from './lexer.js';
import { bytesToDisplayString, decodeModUtf8, isValidCodepoint } from './utf8.js';
import { JsonFloat, hasMember, setMember } from './value.js';
import type { JsonValue } from './value.js';

export interface Token {
  type: TokenType;
  bytes: Buffer;
}

class ParseFailure extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Reads exactly four hex digits, -1 when any is missing or not hex. */
function hex4(b: Buffer, pos: number): number {
  let cp = 0;
  for (let k = 0; k < 4; k++) {
    const c = b[pos + k];
    if (c === undefined) return -1;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    cp = (cp << 4) | d;
  }
  return cp;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"',
  0x27: "'",
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

function fail(msg: string): never {
  throw new ParseFailure(`JSON parse error, ${msg}`);
}

export function decodeStringToken(b: Buffer): string {
  const quote = b[0];
  let i = 1;
  const out: string[] = [];
  while (i < b.length && b[i] !== quote) {
    // Plain printable ASCII runs are copied in one go.
    let j = i;
    for (
      let c = b[j] as number;
      c >= 0x20 && c < 0x7f && c !== quote && c !== 0x5c;
      c = b[++j] as number
    );
    if (j > i) {
      out.push(b.toString('latin1', i, j));
      i = j;
      continue;
    }
    if (b[i] === 0x5c) {
      const beg = i;
      const esc = b[i + 1] as number;
      i += 2;
      const simple = SIMPLE_ESCAPES[esc];
      if (simple !== undefined) {
        out.push(simple);
        continue;
      }
      if (esc !== 0x75) fail('invalid escape sequence in string');
      let cp = hex4(b, i);
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && b[i] === 0x5c && b[i + 1] === 0x75) {
        const trail = hex4(b, i + 2);
        if (trail >= 0xdc00 && trail <= 0xdfff) {
          cp = 0x10000 + ((cp & 0x3ff) << 10) + (trail & 0x3ff);
          i += 6;
        } else {
          cp = -1;
        }
      }
      if (!isValidCodepoint(cp)) {
        const shown = bytesToDisplayString(b.subarray(beg, Math.min(i, b.length)));
        fail(`${shown} is not a valid Unicode character`);
      }
      out.push(String.fromCodePoint(cp));
      continue;
    }
    const [cp, next] = decodeModUtf8(b, i, Math.min(b.length, i + 6));
    if (cp < 0) fail('invalid UTF-8 sequence in string');
    out.push(String.fromCodePoint(cp));
    i = next;
  }
  return out.join('');
}

function integerValue(text: string): JsonValue {
  const big = BigInt(text);
  if (big >= INT64_MIN && big <= INT64_MAX) {
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  if (big >= 0n && big <= UINT64_MAX) return big;
  // Like QEMU: beyond 64 bits an integer becomes a double.
  return new JsonFloat(Number(text));
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private pop(): Token | undefined {
    return this.tokens[this.pos++];
  }

  value(): JsonValue {
    const tok = this.peek();
    if (tok === undefined) fail('premature EOI');
    switch (tok.type) {
      case TokenType.LCURLY:
        return this.object();
      case TokenType.LSQUARE:
        return this.array();
      case TokenType.STRING:
        this.pos++;
        return decodeStringToken(tok.bytes);
      case TokenType.INTEGER:
        this.pos++;
        return integerValue(tok.bytes.toString('latin1'));
      case TokenType.FLOAT:
        this.pos++;
        return new JsonFloat(Number(tok.bytes.toString('latin1')));
      case TokenType.KEYWORD: {
        this.pos++;
        const word = tok.bytes.toString('latin1');
        if (word === 'true') return true;
        if (word === 'false') return false;
        if (word === 'null') return null;
        return fail(`invalid keyword '${word}'`);
      }
      default:
        return fail('expecting value');
    }
  }

  private pair(obj: Record<string, JsonValue>): void {
    if (this.peek() === undefined) fail('premature EOI');
    const key = this.value();
    if (typeof key !== 'string') fail('key is not a string in object');
    const colon = this.pop();
    if (colon === undefined) fail('premature EOI');
    if (colon.type !== TokenType.COLON) fail('missing : in object pair');
    const v = this.value();
    if (hasMember(obj, key)) fail('duplicate key');
    setMember(obj, key, v);
  }

  private object(): JsonValue {
    this.pos++;
    const obj: Record<string, JsonValue> = {};
    const peek = this.peek();
    if (peek === undefined) fail('premature EOI');
    if (peek.type === TokenType.RCURLY) {
      this.pos++;
      return obj;
    }
    this.pair(obj);
    for (;;) {
      const tok = this.pop();
      if (tok === undefined) fail('premature EOI');
      if (tok.type === TokenType.RCURLY) return obj;
      if (tok.type !== TokenType.COMMA) fail('expected separator in dict');
      this.pair(obj);
    }
  }

  private array(): JsonValue {
    this.pos++;
    const list: JsonValue[] = [];
    const peek = this.peek();
    if (peek === undefined) fail('premature EOI');
    if (peek.type === TokenType.RSQUARE) {
      this.pos++;
      return list;
    }
    list.push(this.value());
    for (;;) {
      const tok = this.pop();
      if (tok === undefined) fail('premature EOI');
      if (tok.type === TokenType.RSQUARE) return list;
      if (tok.type !== TokenType.COMMA) fail('expected separator in list');
      list.push(this.value());
    }
  }
}

export type ParseResult = { ok: true; value: JsonValue } | { ok: false; error: string };

export function parseTokens(tokens: readonly Token[]): ParseResult {
  try {
    return { ok: true, value: new Parser(tokens).value() };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: e.message };
    throw e;
  }
}
