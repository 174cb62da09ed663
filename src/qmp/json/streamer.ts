/**
 * Splits a byte stream into JSON messages exactly where QEMU's
 * qobject/json-streamer.c does: a message ends when its braces and brackets
 * balance (or go negative), a top-level scalar is a message of its own, and a
 * lexical error ends the message in progress. Limits and texts are QEMU's.
 */
import { JsonLexer, MAX_TOKEN_SIZE, TokenType } from './lexer.js';
import { parseTokens } from './parser.js';
import type { Token } from './parser.js';
import { bytesToDisplayString } from './utf8.js';
import type { JsonValue } from './value.js';

/** QEMU's MAX_TOKEN_COUNT: tokens per message. */
export const MAX_TOKEN_COUNT = 2 * 1024 * 1024;
/** QEMU's MAX_NESTING: open braces plus brackets. */
export const MAX_NESTING = 1024;

export type JsonMessage = { kind: 'value'; value: JsonValue } | { kind: 'error'; message: string };

export class JsonStreamer {
  private readonly lexer: JsonLexer;
  private braces = 0;
  private brackets = 0;
  private tokens: Token[] = [];
  private size = 0;

  constructor(private readonly onMessage: (msg: JsonMessage) => void) {
    this.lexer = new JsonLexer((type, bytes) => this.token(type, bytes));
  }

  feed(chunk: Buffer): void {
    this.lexer.feed(chunk);
  }

  private token(type: TokenType, bytes: Buffer): void {
    switch (type) {
      case TokenType.LCURLY:
        this.braces++;
        break;
      case TokenType.RCURLY:
        this.braces--;
        break;
      case TokenType.LSQUARE:
        this.brackets++;
        break;
      case TokenType.RSQUARE:
        this.brackets--;
        break;
      case TokenType.ERROR:
        return this.finish({
          kind: 'error',
          message: `JSON parse error, stray '${bytesToDisplayString(bytes)}'`,
        });
      default:
        break;
    }
    if (this.size + bytes.length + 1 > MAX_TOKEN_SIZE) {
      return this.finish({ kind: 'error', message: 'JSON token size limit exceeded' });
    }
    if (this.tokens.length + 1 > MAX_TOKEN_COUNT) {
      return this.finish({ kind: 'error', message: 'JSON token count limit exceeded' });
    }
    if (this.braces + this.brackets > MAX_NESTING) {
      return this.finish({ kind: 'error', message: 'JSON nesting depth limit exceeded' });
    }
    this.tokens.push({ type, bytes });
    this.size += bytes.length;
    if ((this.braces > 0 || this.brackets > 0) && this.braces >= 0 && this.brackets >= 0) return;
    const res = parseTokens(this.tokens);
    this.finish(
      res.ok ? { kind: 'value', value: res.value } : { kind: 'error', message: res.error },
    );
  }

  private finish(msg: JsonMessage): void {
    this.braces = 0;
    this.brackets = 0;
    this.tokens = [];
    this.size = 0;
    this.onMessage(msg);
  }
}
