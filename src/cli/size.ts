import { strtosz } from '../qemu-strtosz.js';

/**
 * A size in livemig's own options (--ram 256M, --param max-bandwidth=1G, ...):
 * QEMU's syntax (a number with an optional B/K/M/G/T/P/E binary suffix), as a
 * JavaScript number. undefined when it is not a size or is beyond 2^53.
 */
export function parseSize(s: string): number | undefined {
  const r = strtosz(s);
  if ('error' in r || r.value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(r.value);
}
