/**
 * The migration status machine (QEMU's MigrationStatus), one per direction.
 * `transition` is its only writer: it checks the move is allowed, traces
 * `migrate_set_state`, and emits the MIGRATION event when the events
 * capability is on.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { trace } from '../trace.js';

export const MIGRATION_STATUSES = [
  'none',
  'setup',
  'cancelling',
  'cancelled',
  'active',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover',
  'completed',
  'failed',
  'colo',
  'pre-switchover',
  'device',
  'wait-unplug',
] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

/** Moves livemig makes (precopy, pause-before-switchover, cancel, failure). */
const ALLOWED: Readonly<Record<MigrationStatus, readonly MigrationStatus[]>> = {
  none: ['setup', 'active'],
  setup: ['active', 'failed', 'cancelling'],
  active: ['pre-switchover', 'completed', 'failed', 'cancelling'],
  'pre-switchover': ['device', 'failed', 'cancelling'],
  device: ['completed', 'failed', 'cancelling'],
  cancelling: ['cancelled', 'failed'],
  completed: ['setup'],
  failed: ['setup'],
  cancelled: ['setup'],
  'postcopy-active': [],
  'postcopy-paused': [],
  'postcopy-recover': [],
  colo: [],
  'wait-unplug': [],
};

/** QEMU's migration_is_running(). */
export function isRunningStatus(s: MigrationStatus): boolean {
  return (
    s === 'setup' ||
    s === 'active' ||
    s === 'pre-switchover' ||
    s === 'device' ||
    s === 'cancelling' ||
    s === 'wait-unplug' ||
    s.startsWith('postcopy-')
  );
}

export class StatusMachine {
  #status: MigrationStatus = 'none';
  readonly #emit: (status: MigrationStatus) => void;

  /** `emit` sends MIGRATION {status}; it decides itself whether events are on. */
  constructor(emit: (status: MigrationStatus) => void) {
    this.#emit = emit;
  }

  get status(): MigrationStatus {
    return this.#status;
  }

  /** Moves to `to` if allowed from the current state; returns false (no change) otherwise. */
  tryTransition(to: MigrationStatus): boolean {
    if (!ALLOWED[this.#status].includes(to)) return false;
    trace('migrate_set_state', { new_state: to, old_state: this.#status });
    this.#status = to;
    this.#emit(to);
    return true;
  }

  /** Like tryTransition, but a disallowed move is a bug and throws. */
  transition(to: MigrationStatus): void {
    if (!this.tryTransition(to)) {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        `Invalid migration state change from ${this.#status} to ${to}`,
      );
    }
  }
}
