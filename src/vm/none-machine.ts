/**
 * QEMU's memory-only machine, `-M none -m SIZE` (hw/core/null-machine.c): no CPU
 * unless -cpu asks for one, one RAM block "ram" mapped at guest physical 0 and
 * nothing else. Its only device state on the wire is "timer"; "globalstate"
 * belongs to the migration engine (src/migration/global-state.ts).
 *
 * Nothing but the generic loader and incoming migration writes guest RAM, so
 * the dirty log only ever sees those writes; the engine's first pass marks
 * everything anyway. Run-state handling follows TestVm (QEMU 8.1 vm_start,
 * vm_stop_force_state, qmp_stop, qmp_cont, quit); without -S QEMU starts the
 * machine, so query-status says "running" even though nothing executes.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { timerVMState } from '../protocol/vmstate/index.js';
import { CpuTimers } from './cpu-timers.js';
import type { HostClock } from './cpu-timers.js';
import { SharedDirtyLog } from './dirty-log.js';
import { memsave } from './memsave.js';
import { RamBlock } from './ram-block.js';
import { RunStateMachine } from './runstate.js';
import { RunControlledMachine } from './run-controlled-machine.js';
import type { EventSink } from './runstate.js';
import type { Machine, VmDevice } from './machine.js';

/** QEMU's RAM block id for -M none (MachineClass.default_ram_id). */
export const NONE_RAM_ID = 'ram';

/**
 * Section ids QEMU 7.2 and 8.1 give the state entries of `-M none`, in
 * registration order: cpu_timers_init registers "timer" first, then
 * migration_object_init registers "block" (blk_mig_init), "ram" and
 * "dirty-bitmap", then register_global_state "globalstate". "block" and
 * "dirty-bitmap" are live entries that are inactive by default and never
 * appear on the wire; they still use up ids 1 and 3. The fixtures show 0, 2, 4.
 * (QEMU 9.0 dropped block migration, so newer QEMUs number differently.)
 */
export const NONE_MACHINE_SECTION_IDS = {
  timer: 0,
  block: 1,
  ram: 2,
  'dirty-bitmap': 3,
  globalstate: 4,
} as const;

/**
 * The order of the FULL sections after RAM's END: QEMU walks its handler list
 * (all priority MIG_PRI_DEFAULT, so registration order), and of those entries
 * only "timer" and "globalstate" have a VMState.
 */
export const NONE_MACHINE_FULL_ORDER = ['timer', 'globalstate'] as const;

export interface NoneMachineOptions {
  /** Bytes, a positive multiple of 4096 (QEMU's -m; -M none defaults to no RAM at all). */
  ramSize: number;
  /** QEMU's -S: stay in prelaunch until cont. */
  startPaused?: boolean;
  /** QEMU's -incoming: start in inmigrate. */
  incoming?: boolean;
  onEvent?: EventSink;
  /** Host clock for the timer device (tests pin it). */
  clock?: HostClock;
  /** RAM chunk size (tests use small chunks). */
  ramChunkSize?: number;
}

export class NoneMachine extends RunControlledMachine implements Machine {
  readonly type = 'none';
  /** -M none has no CPU: memsave fails and the loader cannot set a PC. */
  readonly cpuCount = 0;
  readonly dirtyLog: SharedDirtyLog;
  readonly timers: CpuTimers;

  /** Use createNoneMachine(). */
  constructor(parts: {
    ram: RamBlock;
    runstate: RunStateMachine;
    timers: CpuTimers;
    autostart: boolean;
  }) {
    super(parts.ram, parts.runstate, parts.autostart);
    this.dirtyLog = new SharedDirtyLog(parts.ram.pageCount);
    this.timers = parts.timers;
  }

  protected resumeGuest(): void {
    this.timers.enable();
  }

  protected pauseGuest(): void {
    this.timers.disable();
  }

  protected teardown(): void {}

  /** memsave does: with no CPU QEMU answers "Parameter 'cpu-index' expects a CPU number". */
  memsave(addr: number, size: number, filename: string, cpuIndex = 0): Promise<void> {
    return memsave(this.ram[0]!, this.cpuCount, addr, size, filename, cpuIndex, this.dumps.signal);
  }

  /** Only "timer" (instance 0); globalstate is the migration engine's. */
  devices(): VmDevice[] {
    return [
      {
        idstr: timerVMState.name,
        instanceId: 0,
        vmsd: timerVMState,
        save: () => this.timers.save(),
        load: (v) => this.timers.load(v),
      },
    ];
  }
}

export async function createNoneMachine(o: NoneMachineOptions): Promise<NoneMachine> {
  // -M none without -m has no RAM block at all; livemig's Machine needs ram[0].
  if (!(o.ramSize > 0)) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      `-M none needs RAM: give a size (got ${o.ramSize})`,
    );
  }
  const ram = new RamBlock(NONE_RAM_ID, o.ramSize, { chunkSize: o.ramChunkSize });
  // QEMU starts in prelaunch and moves to inmigrate for -incoming.
  const runstate = new RunStateMachine('prelaunch', o.onEvent ?? (() => {}));
  if (o.incoming) runstate.transition('inmigrate');
  const vm = new NoneMachine({
    ram,
    runstate,
    timers: new CpuTimers(o.clock),
    autostart: !o.startPaused,
  });
  if (!o.incoming && !o.startPaused) await vm.start();
  return vm;
}
