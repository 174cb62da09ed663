/**
 * The two device states real QEMU's `-M none` machine sends after RAM
 * (qemu-none-machine.md): "timer" and "globalstate", both instance 0.
 */
import { ErrorCode, ProtocolError } from '../../errors.js';
import { defineVMState, field } from './builder.js';
import type { VMStateValue } from './types.js';

/** Sent only when QEMU runs with -icount; its own nested subsections are not modelled. */
const icountTimers = defineVMState({
  name: 'timer/icount',
  versionId: 1,
  minimumVersionId: 1,
  needed: (v) => v.qemu_icount !== undefined,
  fields: [field.int64('qemu_icount_bias'), field.int64('qemu_icount')],
});

/** TimersState: v2 added cpu_clock_offset; the 8 bytes between are unused. */
export const timerVMState = defineVMState({
  name: 'timer',
  versionId: 2,
  minimumVersionId: 1,
  fields: [
    field.int64('cpu_ticks_offset'),
    field.unused(8),
    field.int64('cpu_clock_offset', { versionId: 2 }),
  ],
  subsections: [icountTimers],
});

export const GLOBALSTATE_RUNSTATE_SIZE = 100;

/**
 * The source's run state as a NUL-terminated string in a 100-byte buffer; `size`
 * is its length including the NUL, which QEMU's pre_save computes.
 */
export const globalStateVMState = defineVMState({
  name: 'globalstate',
  versionId: 1,
  minimumVersionId: 1,
  preSave: (v) => {
    const buf = v.runstate;
    if (buf instanceof Uint8Array) {
      const nul = buf.indexOf(0);
      v.size = (nul < 0 ? buf.length : nul) + 1;
    }
  },
  fields: [field.uint32('size'), field.buffer('runstate', GLOBALSTATE_RUNSTATE_SIZE)],
});

/** A globalstate value for a run state name such as "running" or "prelaunch". */
export function globalStateValue(runstate: string): VMStateValue {
  if (runstate.length >= GLOBALSTATE_RUNSTATE_SIZE) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_ENCODE,
      `Run state '${runstate}' does not fit in ${GLOBALSTATE_RUNSTATE_SIZE} bytes`,
    );
  }
  const buf = new Uint8Array(GLOBALSTATE_RUNSTATE_SIZE);
  for (let i = 0; i < runstate.length; i++) buf[i] = runstate.charCodeAt(i) & 0xff;
  return { size: runstate.length + 1, runstate: buf };
}

/** Reads the run state name back out of a decoded globalstate value. */
export function globalStateRunstate(value: VMStateValue): string {
  const buf = value.runstate;
  if (!(buf instanceof Uint8Array)) return '';
  const nul = buf.indexOf(0);
  let s = '';
  for (const b of nul < 0 ? buf : buf.subarray(0, nul)) s += String.fromCharCode(b);
  return s;
}
