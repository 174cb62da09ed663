/**
 * The test machine: one RAM block "pc.ram", a shared dirty log, N vCPU workers
 * running a named workload, a serial port and the run state. Commands follow
 * QEMU 8.1's semantics (qmp_stop, qmp_cont, vm_start, vm_stop_force_state,
 * query-status) so the QMP layer can map them one to one.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { SharedDirtyLog } from './dirty-log.js';
import { memsave } from './memsave.js';
import { RamBlock } from './ram-block.js';
import { RunStateMachine } from './runstate.js';
import { RunControlledMachine } from './run-controlled-machine.js';
import type { EventSink } from './runstate.js';
import { SerialDevice, serialVMState } from './serial.js';
import { cpuVMState, positionFromVMState, positionToVMState } from './vcpu/cpu-state.js';
import { isWorkloadName, vcpuShare } from './vcpu/layout.js';
import type { WorkloadName } from './vcpu/layout.js';
import { VcpuSet } from './vcpu/vcpus.js';
import type { Machine, VmDevice } from './machine.js';
import type { VcpuPosition } from './vcpu/workloads.js';

export interface TestVmOptions {
  /** Bytes, a multiple of 4096. */
  ramSize: number;
  smp?: number;
  /** 'ab' (default), 'random', 'fill' or 'idle'. */
  workload?: WorkloadName | string;
  /** Caps page writes per second for the whole VM (split between vCPUs). */
  dirtyRatePagesPerSec?: number;
  /** 'none' (default), 'stdio' or 'file:PATH'. */
  serial?: string;
  /** QEMU's -S: stay in prelaunch until cont. */
  startPaused?: boolean;
  /** QEMU's -incoming: start in inmigrate; vCPUs wait for the migration to start them. */
  incoming?: boolean;
  onEvent?: EventSink;
  /** A vCPU crashed; the VM is already in internal-error when this runs. */
  onError?: (error: Error) => void;
  /** RAM chunk size (tests use small chunks to exercise chunk boundaries). */
  ramChunkSize?: number;
}

export class TestVm extends RunControlledMachine implements Machine {
  readonly type = 'testvm';
  readonly dirtyLog: SharedDirtyLog;
  readonly serial: SerialDevice;
  readonly vcpus: VcpuSet;
  #error: Error | undefined;
  readonly #onError: ((e: Error) => void) | undefined;

  /** Use createTestVm(). */
  constructor(parts: {
    ram: RamBlock;
    dirtyLog: SharedDirtyLog;
    runstate: RunStateMachine;
    serial: SerialDevice;
    vcpus: VcpuSet;
    autostart: boolean;
    onError?: (e: Error) => void;
  }) {
    super(parts.ram, parts.runstate, parts.autostart);
    this.dirtyLog = parts.dirtyLog;
    this.serial = parts.serial;
    this.vcpus = parts.vcpus;
    this.#onError = parts.onError;
  }

  protected resumeGuest(): void {
    this.vcpus.resume();
  }

  protected async pauseGuest(): Promise<void> {
    await this.vcpus.pause();
    this.serial.flush();
  }

  protected async teardown(): Promise<void> {
    await this.vcpus.quit();
    this.serial.close();
  }

  /** The first vCPU crash, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  memsave(addr: number, size: number, filename: string, cpuIndex = 0): Promise<void> {
    return memsave(this.ram[0]!, this.vcpus.smp, addr, size, filename, cpuIndex, this.dumps.signal);
  }

  /** vCPU i's workload position; only while stopped. */
  getVcpuState(i: number): VcpuPosition {
    return this.vcpus.getPosition(i);
  }

  /** Sets vCPU i's position; only while stopped. The next start continues from it. */
  setVcpuState(i: number, p: VcpuPosition): void {
    const [lo, hi] = vcpuShare(this.vcpus.workload, this.ram[0]!.pageCount, i, this.vcpus.smp);
    if (!(p.cursor >= lo && p.cursor <= hi) || !Number.isInteger(p.cursor)) {
      throw new LivemigError(
        ErrorCode.INVALID_PARAMETER,
        `vCPU ${i}: cursor ${p.cursor} is outside its pages ${lo}..${hi}`,
      );
    }
    this.vcpus.setPosition(i, p);
  }

  /** The devices a later issue wraps in SaveVM handlers: every vCPU, then the serial port. */
  devices(): VmDevice[] {
    const w = this.vcpus.workload;
    const cpus = Array.from({ length: this.vcpus.smp }, (_, i): VmDevice => ({
      idstr: cpuVMState.name,
      instanceId: i,
      vmsd: cpuVMState,
      save: () => positionToVMState(w, this.getVcpuState(i)),
      load: (v) => this.setVcpuState(i, positionFromVMState(w, v)),
    }));
    const serial: VmDevice = {
      idstr: serialVMState.name,
      instanceId: 0,
      vmsd: serialVMState,
      save: () => this.serial.saveState(),
      load: (v) => this.serial.loadState(v),
    };
    return [...cpus, serial];
  }

  /** A vCPU crashed: park the others, enter internal-error (STOP if running), report. */
  crashed(index: number, error: Error): void {
    const e = new LivemigError(ErrorCode.BAD_STATE, `vCPU ${index} crashed: ${error.message}`, {
      cause: error,
    });
    this.#error ??= e;
    void this.control
      .serialize(async () => {
        if (this.control.quitting) return;
        if (this.runstate.running) await this.control.vmStopNow('internal-error');
        else if (this.runstate.canTransition('internal-error')) {
          this.runstate.transition('internal-error');
        }
      })
      .finally(() => {
        if (this.#onError) this.#onError(e);
        else process.emitWarning(e);
      });
  }
}

export async function createTestVm(o: TestVmOptions): Promise<TestVm> {
  const workload = o.workload ?? 'ab';
  if (!isWorkloadName(workload)) {
    throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Unknown workload '${workload}'`);
  }
  const rate = o.dirtyRatePagesPerSec ?? 0;
  if (!Number.isFinite(rate) || rate < 0) {
    throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Bad dirty-rate ${rate}`);
  }
  const ram = new RamBlock('pc.ram', o.ramSize, { chunkSize: o.ramChunkSize });
  const dirtyLog = new SharedDirtyLog(ram.pageCount);
  const serial = new SerialDevice(o.serial ?? 'none');
  const onEvent = o.onEvent ?? (() => {});
  // A crash can be reported before the TestVm exists; it is replayed once it does.
  const box: { vm?: TestVm; early?: [number, Error] } = {};
  let vcpus: VcpuSet;
  try {
    vcpus = await VcpuSet.create({
      smp: o.smp ?? 1,
      workload,
      dirtyRatePagesPerSec: rate,
      ram,
      dirtyBuffer: dirtyLog.buffer,
      serialBuffer: serial.ring.buffer,
      onCrash: (i, e) => (box.vm ? box.vm.crashed(i, e) : (box.early = [i, e])),
    });
  } catch (e) {
    serial.close();
    throw e;
  }
  // QEMU starts in prelaunch and moves to inmigrate for -incoming.
  const runstate = new RunStateMachine('prelaunch', onEvent);
  if (o.incoming) runstate.transition('inmigrate');
  const vm = new TestVm({
    ram,
    dirtyLog,
    runstate,
    serial,
    vcpus,
    autostart: !o.startPaused,
    onError: o.onError,
  });
  box.vm = vm;
  if (box.early) vm.crashed(...box.early);
  if (!o.incoming && !o.startPaused) await vm.start();
  return vm;
}
