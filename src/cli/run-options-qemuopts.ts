/**
 * The two QEMU option-string grammars `livemig run` accepts, reimplemented from their documented
 * behaviour: QemuOpts (`-m`, `-smp`, `-name`, `-device`, `-global`, chardev options) and keyval
 * (`-machine`). Both are `key=value` lists separated by commas, where `,,` stands for a literal comma
 * and the first item may omit its key (the "implied" key, e.g. `-m 4G` is `size=4G`).
 */
import { ErrorCode, LivemigError } from '../errors.js';

export interface OptPair {
  readonly key: string;
  readonly value: string;
}

/** Throws the parser's one error type; `loc` is the option as typed, as QEMU prints it. */
export function usage(loc: string, message: string): never {
  throw new LivemigError(ErrorCode.USAGE, `${loc}: ${message}`);
}

/** Reads a value up to the next single comma, turning `,,` into `,`. Returns [value, next index]. */
function readValue(s: string, start: number): [string, number] {
  let out = '';
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ',') {
      if (s[i + 1] !== ',') break;
      i++;
    }
    out += c;
    i++;
  }
  return [out, i];
}

/**
 * Splits an option string. `grammar` 'qemuopts' turns a bare `key` into `key=on` and a bare
 * `nokey` into `key=off` (QemuOpts' legacy short booleans, e.g. chardev `server,nowait`); keyval
 * has no short form and QEMU rejects it with "Expected '=' after parameter".
 */
export function splitOpts(
  s: string,
  loc: string,
  implied: string | undefined,
  grammar: 'qemuopts' | 'keyval',
): OptPair[] {
  const pairs: OptPair[] = [];
  let i = 0;
  while (i < s.length) {
    let end = i;
    while (end < s.length && s[end] !== '=' && s[end] !== ',') end++;
    if (pairs.length === 0 && i === 0 && implied !== undefined && s[end] !== '=') {
      const [value, next] = readValue(s, 0);
      pairs.push({ key: implied, value });
      i = next + 1;
      continue;
    }
    const key = s.slice(i, end);
    if (s[end] === '=') {
      const [value, next] = readValue(s, end + 1);
      pairs.push({ key, value });
      i = next + 1;
    } else if (grammar === 'keyval') {
      usage(loc, `Expected '=' after parameter '${key}'`);
    } else {
      // QEMU reads every bare `noX` this way, so `nodelay` really means `delay=off`.
      const short = key.startsWith('no') && key.length > 2;
      pairs.push(short ? { key: key.slice(2), value: 'off' } : { key, value: 'on' });
      i = end + 1;
    }
  }
  return pairs;
}

/** QEMU's boolean spellings (qapi_bool_parse). */
export function parseBool(key: string, value: string, loc: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(value)) return true;
  if (['off', 'no', 'false', 'n'].includes(value)) return false;
  return usage(loc, `Parameter '${key}' expects 'on' or 'off'`);
}

/** QEMU's id_wellformed(): a letter, then letters, digits, '-', '.' or '_'. */
export function checkId(id: string, loc: string): void {
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(id)) {
    usage(
      loc,
      "Parameter 'id' expects an identifier " +
        "(letters, digits, '-', '.', '_', starting with a letter)",
    );
  }
}

/**
 * Rejects keys: ones QEMU knows but livemig does not implement get a message saying so; anything
 * else gets QEMU's own "Invalid parameter".
 */
export function rejectKey(key: string, loc: string, qemuKeys: readonly string[]): never {
  if (qemuKeys.includes(key)) usage(loc, `Parameter '${key}' is not supported by livemig`);
  return usage(loc, `Invalid parameter '${key}'`);
}
