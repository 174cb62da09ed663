/**
 * QEMU's global state for migration (migration/global_state.c, 8.1): the
 * "globalstate" v1 entry, whose one job is to carry the source's run state so
 * the destination knows whether the guest should run after the load.
 *
 * Source: the engine snapshots the run state (QEMU's global_state_store) before
 * it stops the VM for completion, so a running guest sends "running", a -S guest
 * "prelaunch", a stopped one "paused". Destination: post_load parses the name
 * against QEMU's RunState enum; after EOF, "running" (or no section at all)
 * obeys autostart and anything else is set as is (process_incoming_migration_bh).
 */
import { ErrorCode, LivemigError, ProtocolError } from '../errors.js';
import {
  GLOBALSTATE_RUNSTATE_SIZE,
  globalStateRunstate,
  globalStateValue,
  globalStateVMState,
} from '../protocol/vmstate/index.js';
import type { VMStateValue } from '../protocol/vmstate/index.js';
import { isRunState } from '../vm/runstate.js';
import type { RunState } from '../vm/runstate.js';
import type { SaveStateEntry } from './savevm/entries.js';

export const GLOBALSTATE_IDSTR = 'globalstate';

/** QEMU 8.1's RunState enum (qapi/run-state.json), the names post_load accepts. */
export const QEMU_RUNSTATES = [
  'debug',
  'inmigrate',
  'internal-error',
  'io-error',
  'paused',
  'postmigrate',
  'prelaunch',
  'finish-migrate',
  'restore-vm',
  'running',
  'save-vm',
  'shutdown',
  'suspended',
  'watchdog',
  'guest-panicked',
  'colo',
] as const;
export type QemuRunState = (typeof QEMU_RUNSTATES)[number];

export function isQemuRunState(s: string): s is QemuRunState {
  return (QEMU_RUNSTATES as readonly string[]).includes(s);
}

/**
 * QEMU's global_state_needed: with store-global-state on (the default) the
 * section is always sent; off, it is left out for "running" and "paused",
 * which the destination's autostart rule handles the same way.
 */
export function globalStateNeeded(storeGlobalState: boolean, runstate: string): boolean {
  return storeGlobalState || (runstate !== 'running' && runstate !== 'paused');
}

/**
 * QEMU's global_state_post_load check. The buffer is read as a C string; a
 * stream with no NUL in the 100 bytes has its last byte forced to NUL first.
 * An unknown name fails with qapi_enum_parse's text, and the load fails.
 */
export function checkReceivedRunstate(value: VMStateValue): QemuRunState {
  const name = globalStateRunstate(value).slice(0, GLOBALSTATE_RUNSTATE_SIZE - 1);
  if (!isQemuRunState(name)) {
    throw new ProtocolError(ErrorCode.PROTOCOL_VMSTATE, `invalid parameter value: ${name}`);
  }
  return name;
}

/** The destination's record of the section (QEMU's GlobalState.received / .state). */
export class GlobalStateRecord {
  #received: RunState | undefined;

  /** The run state the source sent, or undefined when no section arrived. */
  get received(): RunState | undefined {
    return this.#received;
  }

  /** A new incoming migration starts with nothing received. */
  reset(): void {
    this.#received = undefined;
  }

  /** post_load: QEMU's check, then livemig's own: the state must be one it can enter. */
  load(value: VMStateValue): void {
    const name = checkReceivedRunstate(value);
    if (!isRunState(name)) {
      // Valid for QEMU (e.g. "suspended", "io-error") but not a state livemig models.
      throw new LivemigError(
        ErrorCode.UNSUPPORTED,
        `Incoming run state '${name}' is not supported by livemig`,
      );
    }
    this.#received = name;
  }
}

export interface GlobalStateEntryOptions {
  /** QEMU's id for the entry (4 for -M none in 7.2/8.1). */
  sectionId: number;
  /** Source: the run state to send, snapshotted before the VM is stopped for completion. */
  runstate: () => string;
  /** Destination: where the received state is recorded (default: a fresh record). */
  record?: GlobalStateRecord;
}

/** The "globalstate" SaveStateEntry: instance 0, version 1, VMState only. */
export function globalStateEntry(opts: GlobalStateEntryOptions): SaveStateEntry {
  const record = opts.record ?? new GlobalStateRecord();
  return {
    idstr: GLOBALSTATE_IDSTR,
    instanceId: 0,
    versionId: globalStateVMState.versionId,
    sectionId: opts.sectionId,
    vmstate: {
      idstr: GLOBALSTATE_IDSTR,
      instanceId: 0,
      vmsd: globalStateVMState,
      save: () => globalStateValue(opts.runstate()),
      load: (v) => record.load(v),
    },
  };
}

/**
 * QEMU 8.1's decision once the load is complete: no section or "running" →
 * start if autostart (QMP cont / no -S) else paused; anything else → that state
 * (QEMU's runstate_set, which aborts on a transition it does not allow).
 */
export function runstateAfterIncoming(o: {
  received: string | undefined;
  autostart: boolean;
}): 'start' | RunState {
  if (o.received === undefined || o.received === 'running') {
    return o.autostart ? 'start' : 'paused';
  }
  if (!isRunState(o.received)) {
    throw new LivemigError(
      ErrorCode.UNSUPPORTED,
      `Incoming run state '${o.received}' is not supported by livemig`,
    );
  }
  return o.received;
}
