/**
 * The VM run state (QEMU's RunState, qapi/run-state.json) with QEMU's transition
 * table (system/runstate.c runstate_transitions_def) cut down to the states this
 * VM can reach. `transition` is the only writer of the state and emits the
 * events QEMU emits: STOP when leaving `running` through a vm_stop, RESUME when
 * entering `running` (both without data), SHUTDOWN with {guest, reason}.
 */
import { ErrorCode, LivemigError } from '../errors.js';

export const RunState = {
  prelaunch: 'prelaunch',
  running: 'running',
  paused: 'paused',
  inmigrate: 'inmigrate',
  postmigrate: 'postmigrate',
  finishMigrate: 'finish-migrate',
  shutdown: 'shutdown',
  internalError: 'internal-error',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export type EventSink = (name: string, data?: Record<string, unknown>) => void;

/** QEMU's ShutdownCause values this VM produces. */
export type ShutdownCause = 'host-qmp-quit' | 'host-signal' | 'host-error';

/** Allowed targets per source state (QEMU 8.1 runstate_transitions_def, these states only). */
const ALLOWED: Readonly<Record<RunState, readonly RunState[]>> = {
  prelaunch: ['running', 'finish-migrate', 'inmigrate'],
  running: ['internal-error', 'paused', 'finish-migrate', 'shutdown'],
  paused: ['running', 'finish-migrate', 'postmigrate', 'prelaunch'],
  inmigrate: [
    'internal-error',
    'paused',
    'running',
    'shutdown',
    'finish-migrate',
    'prelaunch',
    'postmigrate',
  ],
  postmigrate: ['running', 'finish-migrate', 'prelaunch'],
  'finish-migrate': ['running', 'paused', 'postmigrate', 'prelaunch', 'internal-error'],
  shutdown: ['paused', 'finish-migrate', 'prelaunch'],
  'internal-error': ['paused', 'running', 'finish-migrate', 'prelaunch'],
};

export function isRunState(s: string): s is RunState {
  return Object.prototype.hasOwnProperty.call(ALLOWED, s);
}

export class RunStateMachine {
  #state: RunState;
  readonly #emit: EventSink;

  constructor(initial: RunState, emit: EventSink) {
    this.#state = initial;
    this.#emit = emit;
  }

  get state(): RunState {
    return this.#state;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  canTransition(to: RunState): boolean {
    return to === this.#state || ALLOWED[this.#state].includes(to);
  }

  /**
   * Moves to `to`. Same state: nothing happens (QEMU's runstate_set returns early).
   * A transition QEMU would abort on throws BAD_STATE. `silent` suppresses STOP
   * for vm_shutdown, which QEMU calls with send_stop=false.
   */
  transition(to: RunState, options: { silent?: boolean } = {}): void {
    const from = this.#state;
    if (to === from) return;
    if (!ALLOWED[from].includes(to)) {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        `invalid runstate transition: '${from}' -> '${to}'`,
      );
    }
    this.#state = to;
    // QEMU emits RESUME in vm_prepare_start just before runstate_set(RUNNING), and
    // STOP in do_vm_stop once the vCPUs are paused; callers transition at those points.
    if (to === 'running') this.#emit('RESUME');
    else if (from === 'running' && !options.silent) this.#emit('STOP');
  }

  /**
   * QEMU's shutdown path for a host request: SHUTDOWN is always emitted, the state
   * only changes when the VM was running (vm_shutdown → do_vm_stop, no STOP event).
   */
  shutdown(reason: ShutdownCause): void {
    this.#emit('SHUTDOWN', { guest: false, reason });
    if (this.#state === 'running') {
      this.transition('shutdown', { silent: true });
    }
  }
}
