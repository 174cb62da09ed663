/**
 * A vCPU's migratable state: where its workload stands. It is device state with
 * a VMState description, one instance per vCPU (instance id = cpu index, as
 * QEMU numbers its "cpu" sections).
 *
 * Named "testvm-cpu", not QEMU's "cpu": QEMU's x86 "cpu" description carries
 * registers this VM does not have, so a QEMU peer must reject the section by
 * name instead of misreading it. `workload` is an equal-field: a destination
 * running another workload refuses the state ("%x != %x"), as QEMU does for
 * configuration that must match.
 */
import { ErrorCode, LivemigError } from '../../errors.js';
import { defineVMState, field } from '../../protocol/vmstate/index.js';
import type { VMStateDescription, VMStateValue } from '../../protocol/vmstate/index.js';
import { Workload } from './layout.js';
import type { WorkloadName } from './layout.js';
import type { VcpuPosition } from './workloads.js';

export const cpuVMState: VMStateDescription = defineVMState({
  name: 'testvm-cpu',
  versionId: 1,
  minimumVersionId: 1,
  fields: [
    field.uint32Equal('workload'),
    field.uint64('pass'),
    field.uint64('cursor'),
    field.uint32('prng'),
    field.uint64('pages_written'),
    field.bool('waiting'),
  ],
});

export function positionToVMState(workload: WorkloadName, p: VcpuPosition): VMStateValue {
  return {
    workload: Workload[workload],
    pass: BigInt(p.pass),
    cursor: BigInt(p.cursor),
    prng: p.prng >>> 0,
    pages_written: BigInt(p.pages),
    waiting: p.waiting !== 0,
  };
}

function big(v: VMStateValue, name: string): number {
  const x = v[name];
  if (typeof x !== 'bigint' || x < 0n || x > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LivemigError(ErrorCode.INVALID_PARAMETER, `testvm-cpu: bad ${name}`);
  }
  return Number(x);
}

/** Checks the workload matches and converts; throws INVALID_PARAMETER otherwise. */
export function positionFromVMState(workload: WorkloadName, v: VMStateValue): VcpuPosition {
  if (v.workload !== Workload[workload]) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      `testvm-cpu: workload ${String(v.workload)} != ${Workload[workload]}`,
    );
  }
  const prng = v.prng;
  if (typeof prng !== 'number' || prng === 0) {
    throw new LivemigError(ErrorCode.INVALID_PARAMETER, 'testvm-cpu: bad prng');
  }
  return {
    pass: big(v, 'pass'),
    cursor: big(v, 'cursor'),
    prng,
    pages: big(v, 'pages_written'),
    waiting: v.waiting === true ? 1 : 0,
  };
}
