export { JsonFloat, isJsonObject } from './value.js';
export type { JsonObject, JsonValue } from './value.js';
export { JsonStreamer, MAX_NESTING, MAX_TOKEN_COUNT } from './streamer.js';
export type { JsonMessage } from './streamer.js';
export { MAX_TOKEN_SIZE } from './lexer.js';
export { formatDouble } from './number-format.js';
export { qdictBucket, qdictOrder, quoteString, writeJson } from './writer.js';
export type { MemberOrder, WriteOptions } from './writer.js';

import { JsonStreamer } from './streamer.js';
import type { JsonMessage } from './streamer.js';

/** All messages in `text`, as a QEMU monitor would split and parse them. */
export function parseMessages(input: string | Buffer): JsonMessage[] {
  const out: JsonMessage[] = [];
  new JsonStreamer((m) => out.push(m)).feed(typeof input === 'string' ? Buffer.from(input) : input);
  return out;
}
