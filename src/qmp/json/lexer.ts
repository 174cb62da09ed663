/**
 * Byte-level JSON lexer with the same state machine as QEMU's
 * qobject/json-lexer.c: single-quoted strings, [a-z]+ keywords (judged by the
 * parser), and error recovery that skips to the next structural or control
 * character. Input may arrive in any chunking; no newline is required.
 */

export const TokenType = {
  ERROR: 0,
  LCURLY: 1,
  RCURLY: 2,
  LSQUARE: 3,
  RSQUARE: 4,
  COLON: 5,
  COMMA: 6,
  INTEGER: 7,
  FLOAT: 8,
  KEYWORD: 9,
  STRING: 10,
  /** A token that outgrew MAX_TOKEN_SIZE inside the lexer. */
  OVERSIZE: 11,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** QEMU's MAX_TOKEN_SIZE: 64 MiB. */
export const MAX_TOKEN_SIZE = 64 * 1024 * 1024;

const S = {
  START: 0,
  RECOVERY: 1,
  DQ: 2,
  DQ_ESC: 3,
  SQ: 4,
  SQ_ESC: 5,
  ZERO: 6,
  EXP_DIGITS: 7,
  EXP_SIGN: 8,
  EXP_E: 9,
  MANTISSA: 10,
  MANTISSA_DIGITS: 11,
  DIGITS: 12,
  SIGN: 13,
  KEYWORD: 14,
} as const;
type State = (typeof S)[keyof typeof S];

const STRUCTURAL: Record<number, TokenType> = {
  0x7b: TokenType.LCURLY,
  0x7d: TokenType.RCURLY,
  0x5b: TokenType.LSQUARE,
  0x5d: TokenType.RSQUARE,
  0x3a: TokenType.COLON,
  0x2c: TokenType.COMMA,
};

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const inString = (c: number): boolean => c >= 0x20 && c <= 0xfd;

export type TokenSink = (type: TokenType, bytes: Buffer) => void;

export class JsonLexer {
  private state: State = S.START;
  /** Completed pieces of the current token from earlier chunks. */
  private parts: Buffer[] = [];
  private partsLen = 0;

  constructor(private readonly sink: TokenSink) {}

  feed(chunk: Buffer): void {
    // Start of the current token inside `chunk`; -1 if none. A token left
    // unfinished by the previous chunk continues at offset 0.
    let start = this.state === S.START || this.state === S.RECOVERY ? -1 : 0;
    const n = chunk.length;
    let i = 0;
    const tokenLen = (upto: number): number => this.partsLen + (start < 0 ? 0 : upto - start);
    const take = (upto: number): Buffer => {
      const tail = start < 0 ? Buffer.alloc(0) : chunk.subarray(start, upto);
      const bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
      this.parts = [];
      this.partsLen = 0;
      start = -1;
      return bytes;
    };
    const emit = (type: TokenType, upto: number): void => {
      const bytes = take(upto);
      this.state = S.START;
      this.sink(type, bytes);
    };
    const error = (upto: number): void => {
      const bytes = take(upto);
      this.state = S.RECOVERY;
      this.sink(TokenType.ERROR, bytes);
    };

    while (i < n) {
      const c = chunk[i] as number;
      switch (this.state) {
        case S.START: {
          const st = STRUCTURAL[c];
          if (st !== undefined) {
            start = i;
            emit(st, i + 1);
          } else if (isWs(c)) {
            // skipped, never part of a token
          } else {
            start = i;
            if (c === 0x22) this.state = S.DQ;
            else if (c === 0x27) this.state = S.SQ;
            else if (c === 0x30) this.state = S.ZERO;
            else if (isDigit(c)) this.state = S.DIGITS;
            else if (c === 0x2d) this.state = S.SIGN;
            else if (isLower(c)) this.state = S.KEYWORD;
            else error(i + 1);
          }
          i++;
          break;
        }
        case S.RECOVERY:
          if (c < 0x20 || c >= 0xfe || STRUCTURAL[c] !== undefined) {
            if (c !== 0x09) {
              this.state = S.START; // re-read c from the start state
              break;
            }
          }
          i++;
          break;
        case S.DQ:
        case S.SQ: {
          // Fast scan of ordinary string bytes, bounded so the size check below
          // fires exactly where QEMU's would.
          const quote = this.state === S.DQ ? 0x22 : 0x27;
          const cap = Math.min(n, i + (MAX_TOKEN_SIZE + 1 - tokenLen(i)));
          while (i < cap) {
            const b = chunk[i] as number;
            if (b === quote || b === 0x5c || !inString(b)) break;
            i++;
          }
          if (i >= cap) break;
          const b = chunk[i] as number;
          i++;
          if (b === quote) emit(TokenType.STRING, i);
          else if (b === 0x5c) this.state = this.state === S.DQ ? S.DQ_ESC : S.SQ_ESC;
          else error(i);
          break;
        }
        case S.DQ_ESC:
        case S.SQ_ESC:
          i++;
          if (inString(c)) this.state = this.state === S.DQ_ESC ? S.DQ : S.SQ;
          else error(i);
          break;
        case S.ZERO:
          if (isDigit(c)) error(++i);
          else if (c === 0x2e) {
            this.state = S.MANTISSA;
            i++;
          } else emit(TokenType.INTEGER, i);
          break;
        case S.DIGITS:
          if (isDigit(c)) i++;
          else if (c === 0x65 || c === 0x45) {
            this.state = S.EXP_E;
            i++;
          } else if (c === 0x2e) {
            this.state = S.MANTISSA;
            i++;
          } else emit(TokenType.INTEGER, i);
          break;
        case S.SIGN:
          i++;
          if (c === 0x30) this.state = S.ZERO;
          else if (isDigit(c)) this.state = S.DIGITS;
          else error(i);
          break;
        case S.MANTISSA:
          i++;
          if (isDigit(c)) this.state = S.MANTISSA_DIGITS;
          else error(i);
          break;
        case S.MANTISSA_DIGITS:
          if (isDigit(c)) i++;
          else if (c === 0x65 || c === 0x45) {
            this.state = S.EXP_E;
            i++;
          } else emit(TokenType.FLOAT, i);
          break;
        case S.EXP_E:
          i++;
          if (c === 0x2d || c === 0x2b) this.state = S.EXP_SIGN;
          else if (isDigit(c)) this.state = S.EXP_DIGITS;
          else error(i);
          break;
        case S.EXP_SIGN:
          i++;
          if (isDigit(c)) this.state = S.EXP_DIGITS;
          else error(i);
          break;
        case S.EXP_DIGITS:
          if (isDigit(c)) i++;
          else emit(TokenType.FLOAT, i);
          break;
        case S.KEYWORD:
          if (isLower(c)) i++;
          else emit(TokenType.KEYWORD, i);
          break;
      }
      // QEMU refuses to let one token grow without bound.
      if (start >= 0 && tokenLen(i) > MAX_TOKEN_SIZE) emit(TokenType.OVERSIZE, i);
    }
    if (start >= 0) {
      const rest = chunk.subarray(start);
      this.parts.push(rest);
      this.partsLen += rest.length;
    }
  }
}
