/**
 * What the QMP layer and the migration engine need from a machine, whatever
 * its type (testvm, none). TestVm is the reference implementation.
 */
import type { VMStateDescription, VMStateValue } from '../protocol/vmstate/index.js';
import type { SharedDirtyLog } from './dirty-log.js';
import type { RamBlock } from './ram-block.js';
import type { RunState, RunStateMachine, ShutdownCause } from './runstate.js';

/** query-status in QEMU 8.1. */
export interface StatusInfo {
  running: boolean;
  singlestep: boolean;
  status: RunState;
}

/** A non-iterative device: one FULL section with a VMState payload. */
export interface VmDevice {
  readonly idstr: string;
  readonly instanceId: number;
  readonly vmsd: VMStateDescription;
  save(): VMStateValue;
  load(value: VMStateValue): void;
}

export interface Machine {
  /** The -machine type name, sent in the configuration section. */
  readonly type: string;
  /** RAM blocks in QEMU's order; ram[0] is the guest's main memory at address 0. */
  readonly ram: readonly RamBlock[];
  /** Dirty log of ram[0]. */
  readonly dirtyLog: SharedDirtyLog;
  readonly runstate: RunStateMachine;
  /** QEMU's autostart: whether an incoming VM runs once the migration completes. */
  autostart: boolean;
  /** QEMU's vm_start. */
  start(): Promise<void>;
  /** QEMU's vm_stop_force_state. */
  vmStop(state: RunState): Promise<void>;
  /** QMP stop / cont / quit semantics. */
  stop(): Promise<void>;
  cont(): Promise<void>;
  quit(reason?: ShutdownCause): Promise<void>;
  status(): StatusInfo;
  pmemsave(addr: number, size: number, filename: string): Promise<void>;
  memsave(addr: number, size: number, filename: string, cpuIndex?: number): Promise<void>;
  /** Non-iterative device states, in the order their FULL sections are sent. */
  devices(): VmDevice[];
}
