/**
 * The command syntax of `livemig qmp`, modelled on QEMU's qmp-shell:
 *   cmd key=value key2=value2      values are JSON when they parse as JSON
 *                                  (numbers, true/false, null, arrays, objects),
 *                                  strings otherwise; `a.b=1` nests ({a:{b:1}})
 *   {"execute": "cmd", "arguments": {...}}   a raw request object
 * Integers beyond 2^53 stay exact (bigint) so uint64 arguments round-trip.
 */
import { parseJson, stringifyJson } from '../qmp/client/json.js';

export interface ParsedCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

export class CommandSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandSyntaxError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Splits on whitespace outside JSON strings and brackets, so that
 * `caps=[{"capability": "events", "state": true}]` stays one token.
 */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      cur += c;
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      if (cur !== '') tokens.push(cur);
      cur = '';
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    cur += c;
  }
  if (inString) throw new CommandSyntaxError('unterminated string');
  if (cur !== '') tokens.push(cur);
  return tokens;
}

/** A value as typed: JSON when it parses as JSON, otherwise the text itself. */
export function parseValue(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new CommandSyntaxError(`bad argument name '${key}'`);
  let obj = target;
  for (const p of parts.slice(0, -1)) {
    const next = Object.hasOwn(obj, p) ? obj[p] : undefined;
    if (next === undefined) obj = obj[p] = {};
    else if (isObject(next)) obj = next;
    else throw new CommandSyntaxError(`argument '${key}' conflicts with '${p}'`);
  }
  const last = parts[parts.length - 1]!;
  if (Object.hasOwn(obj, last)) throw new CommandSyntaxError(`argument '${key}' given twice`);
  obj[last] = value;
}

/** Parses `key=value` words into an arguments object. */
export function parseKeyValues(words: string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new CommandSyntaxError(`expected key=value, got '${w}'`);
    setPath(args, w.slice(0, eq), parseValue(w.slice(eq + 1)));
  }
  return args;
}

/** Parses a request object given as JSON text (`{"execute": ..., "arguments": ...}`). */
export function parseRawRequest(text: string): ParsedCommand {
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (e) {
    throw new CommandSyntaxError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(v) || typeof v.execute !== 'string')
    throw new CommandSyntaxError('a JSON request needs a string member "execute"');
  const extra = Object.keys(v).filter((k) => k !== 'execute' && k !== 'arguments' && k !== 'id');
  if (extra.length > 0) throw new CommandSyntaxError(`unexpected member '${extra[0]}'`);
  if (v.arguments === undefined) return { execute: v.execute };
  if (!isObject(v.arguments)) throw new CommandSyntaxError('"arguments" must be an object');
  return { execute: v.execute, arguments: v.arguments };
}

/** Parses one shell line; undefined for a blank line. */
export function parseCommandLine(line: string): ParsedCommand | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('{')) return parseRawRequest(trimmed);
  const [name, ...rest] = tokenize(trimmed);
  if (name === undefined) return undefined;
  if (name.includes('=')) throw new CommandSyntaxError(`expected a command name, got '${name}'`);
  return rest.length === 0 ? { execute: name } : { execute: name, arguments: parseKeyValues(rest) };
}

/** Pretty JSON for people and scripts alike; bigints are written as exact digits. */
export function formatJson(value: unknown): string {
  return stringifyJson(value, 2);
}
