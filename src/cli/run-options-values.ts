/**
 * Value syntaxes of `livemig run` that follow QEMU: UUIDs and the machine type table (sizes are
 * src/qemu-strtosz.ts's, shared with every other QEMU-style size).
 */
import { MAX_VCPUS } from '../vm/vcpu/layout.js';
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
    maxCpus: MAX_VCPUS,
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

/** QEMU's -uuid check: 8-4-4-4-12 hex digits, any case. */
export function parseUuid(s: string, loc: string): Uint8Array {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) {
    usage(loc, 'Fail to parse UUID string. Wrong format.');
  }
  return Uint8Array.from(Buffer.from(s.replaceAll('-', ''), 'hex'));
}
