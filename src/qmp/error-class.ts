/**
 * The one place where livemig errors become QMP error replies. QEMU's error
 * classes: everything is GenericError except CommandNotFound (and device
 * classes livemig does not use). The desc is the error's message, which carries
 * QEMU's wording.
 */
import { ErrorCode, LivemigError } from '../errors.js';

export type QmpErrorClass =
  'GenericError' | 'CommandNotFound' | 'DeviceNotActive' | 'DeviceNotFound' | 'KVMMissingCap';

export interface QmpErrorBody {
  class: QmpErrorClass;
  desc: string;
}

export function toQmpError(e: unknown): QmpErrorBody {
  if (e instanceof LivemigError) {
    const cls = e.code === ErrorCode.QMP_COMMAND_NOT_FOUND ? 'CommandNotFound' : 'GenericError';
    return { class: cls, desc: e.message };
  }
  // A bug, not a user error: report it rather than crash the monitor.
  return { class: 'GenericError', desc: e instanceof Error ? e.message : String(e) };
}
