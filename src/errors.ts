/**
 * One error hierarchy for the whole project. Every error carries a stable string
 * code (documented in docs/errors.md) so callers and tests branch on the code,
 * never on the message. Messages follow QEMU's wording wherever QEMU has one, so
 * that an operator who knows QEMU recognises them.
 */

export const ErrorCode = {
  /** Bytes that are not a migration stream at all (bad magic). */
  PROTOCOL_MAGIC: 'LIVEMIG_ERR_PROTOCOL_MAGIC',
  /** A stream version this implementation does not read. */
  PROTOCOL_VERSION: 'LIVEMIG_ERR_PROTOCOL_VERSION',
  /** The input ended in the middle of a record. */
  PROTOCOL_TRUNCATED: 'LIVEMIG_ERR_PROTOCOL_TRUNCATED',
  /** A record type, command or message id that does not exist. */
  PROTOCOL_UNKNOWN_TYPE: 'LIVEMIG_ERR_PROTOCOL_UNKNOWN_TYPE',
  /** A length field that disagrees with its fixed size or framing. */
  PROTOCOL_BAD_LENGTH: 'LIVEMIG_ERR_PROTOCOL_BAD_LENGTH',
  /** A length field above the explicit maximum for its kind. */
  PROTOCOL_LIMIT: 'LIVEMIG_ERR_PROTOCOL_LIMIT',
  /** A section footer that is missing or names another section. */
  PROTOCOL_FOOTER: 'LIVEMIG_ERR_PROTOCOL_FOOTER',
  /** The configuration section is missing or malformed. */
  PROTOCOL_CONFIGURATION: 'LIVEMIG_ERR_PROTOCOL_CONFIGURATION',
  /** A section refers to an unknown section id, device or version. */
  PROTOCOL_SECTION: 'LIVEMIG_ERR_PROTOCOL_SECTION',
  /** A RAM record that is malformed or addresses memory that does not exist. */
  PROTOCOL_RAM: 'LIVEMIG_ERR_PROTOCOL_RAM',
  /** An XBZRLE page that cannot be encoded or decoded. */
  PROTOCOL_XBZRLE: 'LIVEMIG_ERR_PROTOCOL_XBZRLE',
  /** A VMState payload that does not match its description. */
  PROTOCOL_VMSTATE: 'LIVEMIG_ERR_PROTOCOL_VMSTATE',
  /** The vmdesc JSON is not valid. */
  PROTOCOL_VMDESC: 'LIVEMIG_ERR_PROTOCOL_VMDESC',
  /** A return-path message that is malformed. */
  PROTOCOL_RETURN_PATH: 'LIVEMIG_ERR_PROTOCOL_RETURN_PATH',
  /** A value the encoder was asked to write cannot be represented on the wire. */
  PROTOCOL_ENCODE: 'LIVEMIG_ERR_PROTOCOL_ENCODE',
  /** QMP: the command does not exist (QMP class CommandNotFound). */
  QMP_COMMAND_NOT_FOUND: 'LIVEMIG_ERR_QMP_COMMAND_NOT_FOUND',
  /** QMP: a request that is not valid JSON or not a valid request envelope. */
  QMP_BAD_INPUT: 'LIVEMIG_ERR_QMP_BAD_INPUT',
  /** A command argument that is missing, unexpected, of the wrong type or out of range. */
  INVALID_PARAMETER: 'LIVEMIG_ERR_INVALID_PARAMETER',
  /** A migration capability combination that is not allowed. */
  MIGRATION_CAPABILITY: 'LIVEMIG_ERR_MIGRATION_CAPABILITY',
  /** A migration parameter value that is not allowed. */
  MIGRATION_PARAMETER: 'LIVEMIG_ERR_MIGRATION_PARAMETER',
  /** A command that is not allowed in the current migration or VM state. */
  BAD_STATE: 'LIVEMIG_ERR_BAD_STATE',
  /** A feature this build of livemig does not provide (QEMU: not compiled in). */
  UNSUPPORTED: 'LIVEMIG_ERR_UNSUPPORTED',
  /** The QMP server answered a command with an error (client side; carries class and desc). */
  QMP_ERROR_REPLY: 'LIVEMIG_ERR_QMP_ERROR_REPLY',
  /** The QMP connection failed, closed, or the peer broke the protocol (client side). */
  QMP_CONNECTION: 'LIVEMIG_ERR_QMP_CONNECTION',
  /** A QMP command or wait did not finish in time (client side). */
  QMP_TIMEOUT: 'LIVEMIG_ERR_QMP_TIMEOUT',
  /** An operation was aborted through its AbortSignal. */
  ABORTED: 'LIVEMIG_ERR_ABORTED',
  /** Bad command-line usage. */
  USAGE: 'LIVEMIG_ERR_USAGE',
  /** A file could not be read or written. */
  IO: 'LIVEMIG_ERR_IO',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class LivemigError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LivemigError';
  }
}

/**
 * Malformed or unsupported migration-stream input. `offset` is the absolute byte
 * offset in the stream where the problem was found, when the decoder knows it.
 */
export class ProtocolError extends LivemigError {
  offset: number | undefined;
  constructor(code: ErrorCode, message: string, offset?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProtocolError';
    this.offset = offset;
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
