/** The VM that runs inside a `livemig run` process: RAM, dirty log, vCPUs, devices. */
export { DEFAULT_CHUNK_SIZE, PAGE_SHIFT, PAGE_SIZE, RamBlock } from './ram-block.js';
export type { RamBlockHandle } from './ram-block.js';
export { DirtyBitmap, SharedDirtyLog, markDirty } from './dirty-log.js';
export type { DirtyLog } from './dirty-log.js';
export { countSetBits, forEachSetBit, nextSetBit } from './bitmap-walk.js';
export { RunState, RunStateMachine, isRunState } from './runstate.js';
export type { EventSink, ShutdownCause } from './runstate.js';
export { SerialDevice, serialVMState } from './serial.js';
export type { SerialBackendSpec } from './serial.js';
export { cpuVMState, positionFromVMState, positionToVMState } from './vcpu/cpu-state.js';
export { AB_END_PAGE, AB_START_PAGE, Workload, isWorkloadName } from './vcpu/layout.js';
export type { WorkloadName } from './vcpu/layout.js';
export type { VcpuPosition } from './vcpu/workloads.js';
export { memsave, pmemsave } from './memsave.js';
export { TestVm, createTestVm } from './testvm.js';
export type { TestVmOptions } from './testvm.js';
export type { Machine, StatusInfo, VmDevice } from './machine.js';
