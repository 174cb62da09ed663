/**
 * What every machine type shares: its RAM, its run state and QEMU's run-state
 * commands (vm_start, vm_stop_force_state, QMP stop/cont/quit, autostart,
 * query-status, pmemsave), all delegated to one RunControl. A machine says only
 * what resuming, pausing and tearing down its guest means.
 */
import { pmemsave } from './memsave.js';
import type { StatusInfo } from './machine.js';
import type { RamBlock } from './ram-block.js';
import { RunControl } from './run-control.js';
import type { RunState, RunStateMachine, ShutdownCause } from './runstate.js';

export abstract class RunControlledMachine {
  readonly ram: readonly RamBlock[];
  readonly runstate: RunStateMachine;
  /** For machine-specific sequences that must not interleave with a stop or cont. */
  protected readonly control: RunControl;
  /**
   * Aborts memory dumps still being written at quit. QEMU's pmemsave blocks its
   * monitor; livemig's is asynchronous, and one of 2^53 bytes must not keep a
   * quit process alive, writing, after its QMP socket is gone.
   */
  protected readonly dumps = new AbortController();

  protected constructor(ram: RamBlock, runstate: RunStateMachine, autostart: boolean) {
    this.ram = [ram];
    this.runstate = runstate;
    this.control = new RunControl(
      runstate,
      {
        resumeGuest: () => this.resumeGuest(),
        pauseGuest: () => this.pauseGuest(),
        teardown: () => {
          this.dumps.abort();
          return this.teardown();
        },
      },
      autostart,
    );
  }

  /** The guest starts executing (vCPUs go, guest clocks run). */
  protected abstract resumeGuest(): void;
  /** The guest stops; resolves once it can no longer change any state. */
  protected abstract pauseGuest(): Promise<void> | void;
  /** After SHUTDOWN at quit: join threads, close backends. */
  protected abstract teardown(): Promise<void> | void;

  /** QEMU's vm_start: RESUME, running, the guest goes. No-op when already running. */
  start(): Promise<void> {
    return this.control.start();
  }

  /** QEMU's vm_stop_force_state: the guest pauses (STOP if it was running), then `state`. */
  vmStop(state: RunState): Promise<void> {
    return this.control.vmStop(state);
  }

  stop(): Promise<void> {
    return this.control.stop();
  }

  cont(): Promise<void> {
    return this.control.cont();
  }

  /** QMP quit (or a signal): SHUTDOWN {guest: false, reason}, then teardown; later calls share the first. */
  quit(reason: ShutdownCause = 'host-qmp-quit'): Promise<void> {
    return this.control.quit(reason);
  }

  get autostart(): boolean {
    return this.control.autostart;
  }

  set autostart(v: boolean) {
    this.control.autostart = v;
  }

  status(): StatusInfo {
    return { running: this.runstate.running, singlestep: false, status: this.runstate.state };
  }

  /** pmemsave needs no CPU: QEMU reads the system address space directly. */
  pmemsave(addr: number, size: number, filename: string): Promise<void> {
    return pmemsave(this.ram[0]!, addr, size, filename, this.dumps.signal);
  }
}
