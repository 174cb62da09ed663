/** QEMU-style sizes: a number with an optional K, M, G or T suffix (binary units; default bytes). */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(s.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase()]!;
  const v = Number(m[1]) * mult;
  return Number.isSafeInteger(v) ? v : undefined;
}
