/**
 * Client-side errors. The codes come from src/errors.ts so that callers branch on
 * `err.code`; the classes exist so that an error reply can carry QEMU's class and
 * desc as fields instead of being parsed back out of a message.
 */
import { ErrorCode, LivemigError } from '../../errors.js';

/** The server answered a command with `{"error": {"class", "desc"}}`. */
export class QmpError extends LivemigError {
  /** QEMU's error class, e.g. 'GenericError' or 'CommandNotFound'. */
  readonly errorClass: string;
  /** QEMU's human-readable description, verbatim. */
  readonly desc: string;
  /** The command that failed. */
  readonly command: string;
  constructor(command: string, errorClass: string, desc: string) {
    super(ErrorCode.QMP_ERROR_REPLY, `${errorClass}: ${desc}`);
    this.name = 'QmpError';
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** Connecting failed, the peer closed, or the peer broke the protocol. */
export class QmpConnectionError extends LivemigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.QMP_CONNECTION, message, options);
    this.name = 'QmpConnectionError';
  }
}

export class QmpTimeoutError extends LivemigError {
  constructor(message: string) {
    super(ErrorCode.QMP_TIMEOUT, message);
    this.name = 'QmpTimeoutError';
  }
}

export class AbortedError extends LivemigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ABORTED, message, options);
    this.name = 'AbortedError';
  }
}

export function isQmpError(e: unknown): e is QmpError {
  return e instanceof QmpError;
}
