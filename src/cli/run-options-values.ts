/**
 * Value syntaxes of `livemig run` that follow QEMU: sizes (qemu_strtosz), UUIDs and the machine
 * type table. src/cli/size.ts is not reused because its grammar differs from QEMU's: it accepts
 * `4GB` and fractional byte counts, and has no P/E suffixes; `-m` must accept exactly what QEMU does.
 */
import { usage } from './run-options-qemuopts.js';

export const WORKLOADS = ['ab', 'random', 'fill', 'idle'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface MachineTypeInfo {
  readonly name: string;
  readonly description: string;
  /** Machine properties settable with `-machine NAME,KEY=VALUE` (besides `type`). */
  readonly properties: readonly string[];
  /** Largest `-smp` this machine accepts (QEMU's MachineClass::max_cpus). */
  readonly maxCpus: number;
}

/** Machine types; the first is the default, as `-machine help` marks it. */
export const MACHINE_TYPES = [
  {
    name: 'testvm',
    description: 'livemig test VM: RAM dirtied by a synthetic workload',
    properties: ['workload', 'dirty-rate'],
    maxCpus: 255,
  },
  {
    // QEMU's null machine: RAM only, no CPU runs; QEMU limits it to one vCPU.
    name: 'none',
    description: 'empty machine',
    properties: [],
    maxCpus: 1,
  },
] as const satisfies readonly MachineTypeInfo[];

export type MachineType = (typeof MACHINE_TYPES)[number]['name'];

const UNIT_SHIFT: Record<string, bigint> = {
  b: 0n,
  k: 10n,
  m: 20n,
  g: 30n,
  t: 40n,
  p: 50n,
  e: 60n,
};

/**
 * qemu_strtosz(): decimal digits, an optional fraction, an optional one-letter binary suffix
 * (B, K, M, G, T, P, E, any case). A fraction needs a suffix larger than B (no fractional bytes).
 * Returns the byte count as a bigint (it may exceed 2^53), or undefined if the syntax is wrong,
 * or 'range' if it does not fit in 64 bits.
 */
export function qemuStrtosz(s: string): bigint | 'range' | undefined {
  const m = /^(\d+)(?:\.(\d+))?([bkmgtpeBKMGTPE]?)$/.exec(s);
  if (!m) return undefined;
  const unit = (m[3] ?? '').toLowerCase();
  const frac = m[2];
  if (frac !== undefined && (unit === '' || unit === 'b')) return undefined;
  const shift = UNIT_SHIFT[unit === '' ? 'b' : unit]!;
  let v = BigInt(m[1]!) << shift;
  if (frac !== undefined) v += (BigInt(frac) << shift) / 10n ** BigInt(frac.length);
  return v >= 1n << 64n ? 'range' : v;
}

/** QEMU's -uuid check: 8-4-4-4-12 hex digits, any case. */
export function parseUuid(s: string, loc: string): Uint8Array {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) {
    usage(loc, 'Fail to parse UUID string. Wrong format.');
  }
  return Uint8Array.from(Buffer.from(s.replaceAll('-', ''), 'hex'));
}
