/**
 * QEMU's run-state commands, shared by every machine type: vm_start,
 * vm_stop_force_state, and QMP stop, cont and quit with qmp_cont's checks and
 * texts. Commands run one at a time, so a stop and a cont never interleave.
 * A machine supplies only what starting and stopping its guest means.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import type { RunState, RunStateMachine, ShutdownCause } from './runstate.js';

export interface GuestHooks {
  /** The guest starts executing (vCPUs go, guest clocks run). */
  resumeGuest(): void;
  /** The guest stops; resolves once it can no longer change any state. */
  pauseGuest(): Promise<void> | void;
  /** After SHUTDOWN at quit: join threads, close backends. */
  teardown(): Promise<void> | void;
}

export class RunControl {
  readonly runstate: RunStateMachine;
  /** QEMU's autostart: whether an incoming VM runs once the migration completes. */
  autostart: boolean;
  readonly #hooks: GuestHooks;
  #queue: Promise<unknown> = Promise.resolve();
  #quit: Promise<void> | undefined;

  constructor(runstate: RunStateMachine, hooks: GuestHooks, autostart: boolean) {
    this.runstate = runstate;
    this.#hooks = hooks;
    this.autostart = autostart;
  }

  get quitting(): boolean {
    return this.#quit !== undefined;
  }

  serialize<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.serialize(() => this.#vmStart());
  }

  #vmStart(): void {
    if (this.runstate.running) return;
    if (this.#quit) throw new LivemigError(ErrorCode.BAD_STATE, 'The VM has quit');
    this.runstate.transition('running'); // RESUME
    this.#hooks.resumeGuest();
  }

  vmStop(state: RunState): Promise<void> {
    return this.serialize(() => this.vmStopNow(state));
  }

  /** vm_stop_force_state inside a serialized command. */
  async vmStopNow(state: RunState): Promise<void> {
    if (this.runstate.running) {
      if (!this.runstate.canTransition(state)) this.runstate.transition(state); // throws
      await this.#hooks.pauseGuest();
    }
    this.runstate.transition(state);
  }

  /** QMP stop: inmigrate → clears autostart; running → paused (STOP); otherwise nothing. */
  stop(): Promise<void> {
    return this.serialize(async () => {
      if (this.runstate.state === 'inmigrate') this.autostart = false;
      else if (this.runstate.running) await this.vmStopNow('paused');
    });
  }

  /** QMP cont, with qmp_cont's checks and texts. */
  cont(): Promise<void> {
    return this.serialize(() => {
      const s = this.runstate.state;
      if (s === 'shutdown' || s === 'internal-error') {
        throw new LivemigError(ErrorCode.BAD_STATE, 'Resetting the Virtual Machine is required');
      }
      if (s === 'finish-migrate') {
        throw new LivemigError(ErrorCode.BAD_STATE, 'Migration is not finalized yet');
      }
      if (s === 'inmigrate') this.autostart = true;
      else this.#vmStart();
    });
  }

  /** QMP quit (or a signal): SHUTDOWN {guest: false, reason}, then teardown; later calls share it. */
  quit(reason: ShutdownCause): Promise<void> {
    this.#quit ??= this.serialize(async () => {
      if (this.runstate.running) await this.#hooks.pauseGuest();
      this.runstate.shutdown(reason);
      await this.#hooks.teardown();
    });
    return this.#quit;
  }
}
