/**
 * Is the destination's RAM the source's? The source's dump is taken after the
 * migration (the source is stopped in postmigrate, so it is its RAM at the
 * switchover); the destination's is taken later, after its guest ran on. What
 * may differ then depends on the workload:
 *   idle    nothing: byte for byte equal;
 *   ab      only the first byte of pages (ab's pass counters), each advanced by
 *           the passes run on the destination: k or k+1 for one vCPU (the
 *           cursor splits the range), within k..k+smp for several;
 *   random, fill  anything the guest wrote: not comparable.
 */
import { Buffer } from 'node:buffer';

const PAGE = 4096;

export interface RamComparison {
  /** undefined when the workload makes a comparison meaningless. */
  ok: boolean | undefined;
  detail: string;
}

const MiB = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;

function exact(src: Buffer, dst: Buffer): RamComparison {
  if (src.equals(dst)) return { ok: true, detail: `RAM: ${MiB(src.length)} identical` };
  let pages = 0;
  for (let off = 0; off < src.length; off += PAGE) {
    if (src.compare(dst, off, off + PAGE, off, off + PAGE) !== 0) pages++;
  }
  return { ok: false, detail: `RAM: ${pages} pages differ from the source's` };
}

function abCounters(src: Buffer, dst: Buffer, smp: number): RamComparison {
  const deltas = new Uint32Array(256);
  let otherBytes = 0;
  for (let off = 0; off < src.length; off += PAGE) {
    deltas[(dst[off]! - src[off]! + 256) & 0xff]!++;
    if (src.compare(dst, off + 1, off + PAGE, off + 1, off + PAGE) !== 0) otherBytes++;
  }
  const advanced: number[] = [];
  for (let d = 1; d < 256; d++) if (deltas[d]! > 0) advanced.push(d);
  const pages = advanced.reduce((s, d) => s + deltas[d]!, 0);
  if (otherBytes > 0)
    return { ok: false, detail: `RAM: ${otherBytes} pages differ beyond ab's counter byte` };
  if (advanced.length === 0) return { ok: true, detail: `RAM: ${MiB(src.length)} identical` };
  const lo = advanced[0]!;
  const hi = advanced[advanced.length - 1]!;
  if (hi - lo > smp)
    return {
      ok: false,
      detail: `RAM: ab counters advanced unevenly (by ${advanced.join(', ')}): inconsistent memory`,
    };
  const by = lo === hi ? `${lo}` : `${lo}-${hi}`;
  return {
    ok: true,
    detail:
      `RAM: ${MiB(src.length)} identical except ab's counters, ${pages} pages advanced ` +
      `by ${by} (the passes the guest ran on the destination)`,
  };
}

export function compareRam(src: Buffer, dst: Buffer, workload: string, smp = 1): RamComparison {
  if (src.length !== dst.length)
    return { ok: false, detail: `RAM: sizes differ (${src.length} vs ${dst.length} bytes)` };
  if (workload === 'idle') return exact(src, dst);
  if (workload === 'ab') return abCounters(src, dst, smp);
  return {
    ok: undefined,
    detail: `RAM: not compared (the ${workload} workload keeps rewriting it on the destination)`,
  };
}
