import { setTimeout as sleep } from 'node:timers/promises';
import type { TestVm } from '../../../src/vm/testvm.js';
import { AB_START_PAGE } from '../../../src/vm/vcpu/layout.js';

export { sleep };

/** Polls until cond() holds; fails after `ms` (generous: this is not a timing assertion). */
export async function waitUntil(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** First bytes of the ab range's pages. */
export function abBytes(vm: TestVm): number[] {
  const ram = vm.ram[0]!;
  const end = Math.min(ram.pageCount, (100 << 20) >>> 12);
  const out: number[] = [];
  for (let p = AB_START_PAGE; p < end; p++) out.push(ram.pageByIndex(p)[0]!);
  return out;
}

/** Values seen in the ab range: at most two, consecutive mod 256. */
export function abSpread(bytes: readonly number[]): number[] {
  return [...new Set(bytes)].sort((a, b) => a - b);
}
