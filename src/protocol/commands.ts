/**
 * QEMU_VM_COMMAND records: 0x08, be16 command, be16 length, payload. Fixed
 * lengths and payload shapes are checked with QEMU's error texts.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { ByteReader, latin1 } from './bytes.js';
import { MIG_CMD_LENGTHS, MIG_CMD_MAX, MIG_CMD_NAMES, MigCmd, SectionType } from './constants.js';
import type { DecodeLimits } from './limits.js';
import type { StreamSink } from './stream-writer.js';

export interface DiscardRange {
  start: number;
  length: number;
}

export type MigCommand =
  | { name: 'OPEN_RETURN_PATH' }
  | { name: 'PING'; value: number }
  | { name: 'POSTCOPY_ADVISE'; ramPageSizeSummary?: number; targetPageSize?: number }
  | { name: 'POSTCOPY_LISTEN' }
  | { name: 'POSTCOPY_RUN' }
  | { name: 'POSTCOPY_RAM_DISCARD'; idstr: string; ranges: DiscardRange[] }
  | { name: 'PACKAGED'; length: number }
  | { name: 'ENABLE_COLO' }
  | { name: 'POSTCOPY_RESUME' }
  | { name: 'RECV_BITMAP'; idstr: string }
  | { name: 'SWITCHOVER_START' };

export type MigCommandName = MigCommand['name'];

/** The discard-command format version QEMU writes. */
const POSTCOPY_RAM_DISCARD_VERSION = 0;

function encodePayload(c: MigCommand): { cmd: number; payload: Uint8Array } {
  const body: number[] = [];
  const be32 = (v: number): void => {
    body.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  };
  const be64 = (v: number): void => {
    be32(Math.floor(v / 0x1_0000_0000));
    be32(v >>> 0);
  };
  const counted = (s: string): void => {
    if (s.length > 255) throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, 'Name too long');
    body.push(s.length);
    for (let i = 0; i < s.length; i++) body.push(s.charCodeAt(i) & 0xff);
  };
  switch (c.name) {
    case 'PING':
      be32(c.value);
      break;
    case 'POSTCOPY_ADVISE':
      if (c.ramPageSizeSummary !== undefined || c.targetPageSize !== undefined) {
        be64(c.ramPageSizeSummary ?? 0);
        be64(c.targetPageSize ?? 0);
      }
      break;
    case 'POSTCOPY_RAM_DISCARD':
      body.push(POSTCOPY_RAM_DISCARD_VERSION);
      counted(c.idstr);
      body.push(0);
      for (const r of c.ranges) {
        be64(r.start);
        be64(r.length);
      }
      break;
    case 'PACKAGED':
      be32(c.length);
      break;
    case 'RECV_BITMAP':
      counted(c.idstr);
      break;
    case 'OPEN_RETURN_PATH':
    case 'POSTCOPY_LISTEN':
    case 'POSTCOPY_RUN':
    case 'ENABLE_COLO':
    case 'POSTCOPY_RESUME':
    case 'SWITCHOVER_START':
      break;
    default:
      c satisfies never;
  }
  if (body.length > 0xffff) {
    throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `${c.name} payload is too long`);
  }
  return { cmd: MIG_CMD_NAMES.indexOf(c.name), payload: Uint8Array.from(body) };
}

/** Writes a complete command record, 0x08 included. */
export function writeCommand(w: StreamSink, c: MigCommand): void {
  const { cmd, payload } = encodePayload(c);
  w.u8(SectionType.COMMAND);
  w.u16(cmd);
  w.u16(payload.length);
  w.bytes(payload);
}

function fail(code: ErrorCode, msg: string, at: number): never {
  throw new ProtocolError(code, msg, at);
}

/**
 * Reads a command after its 0x08 byte. `r` must hold the whole record or throw
 * NeedMoreData; the payload is checked before anything is built from it.
 */
export function readCommand(r: ByteReader, limits: DecodeLimits): MigCommand {
  const at = r.offset;
  const cmd = r.u16('command');
  const len = r.u16('command length');
  if (cmd === MigCmd.INVALID || cmd >= MIG_CMD_MAX) {
    fail(
      ErrorCode.PROTOCOL_UNKNOWN_TYPE,
      `MIG_CMD 0x${cmd.toString(16)} unknown (len 0x${len.toString(16)})`,
      at,
    );
  }
  const name = MIG_CMD_NAMES[cmd]!;
  const fixed = MIG_CMD_LENGTHS[cmd]!;
  if (fixed !== -1 && len !== fixed) {
    fail(
      ErrorCode.PROTOCOL_BAD_LENGTH,
      `${name} received with bad length - expecting ${fixed}, got ${len}`,
      at,
    );
  }
  const payloadAt = r.offset;
  const p = new ByteReader(r.bytes(len, `${name} payload`), 0, len, payloadAt);
  switch (cmd) {
    case MigCmd.OPEN_RETURN_PATH:
      return { name: 'OPEN_RETURN_PATH' };
    case MigCmd.PING:
      return { name: 'PING', value: p.u32() };
    case MigCmd.POSTCOPY_ADVISE:
      if (len === 0) return { name: 'POSTCOPY_ADVISE' };
      if (len !== 16) {
        fail(ErrorCode.PROTOCOL_BAD_LENGTH, `CMD_POSTCOPY_ADVISE invalid length (${len})`, at);
      }
      return {
        name: 'POSTCOPY_ADVISE',
        ramPageSizeSummary: p.u64Number('ram page size summary'),
        targetPageSize: p.u64Number('target page size'),
      };
    case MigCmd.POSTCOPY_LISTEN:
      return { name: 'POSTCOPY_LISTEN' };
    case MigCmd.POSTCOPY_RUN:
      return { name: 'POSTCOPY_RUN' };
    case MigCmd.POSTCOPY_RAM_DISCARD:
      return readDiscard(p, len, at);
    case MigCmd.PACKAGED: {
      const length = p.u32();
      if (length > limits.maxPackaged) {
        fail(ErrorCode.PROTOCOL_LIMIT, `Unreasonably large packaged state: ${length}`, payloadAt);
      }
      return { name: 'PACKAGED', length };
    }
    case MigCmd.ENABLE_COLO:
      return { name: 'ENABLE_COLO' };
    case MigCmd.POSTCOPY_RESUME:
      return { name: 'POSTCOPY_RESUME' };
    case MigCmd.RECV_BITMAP: {
      if (len < 1) {
        fail(
          ErrorCode.PROTOCOL_BAD_LENGTH,
          'loadvm_handle_recv_bitmap: failed to read block name',
          at,
        );
      }
      const n = p.u8();
      if (len !== n + 1) {
        fail(
          ErrorCode.PROTOCOL_BAD_LENGTH,
          `loadvm_handle_recv_bitmap: invalid payload length (${len})`,
          at,
        );
      }
      return { name: 'RECV_BITMAP', idstr: latin1(p.bytes(n)) };
    }
    case MigCmd.SWITCHOVER_START:
      return { name: 'SWITCHOVER_START' };
    default:
      return fail(ErrorCode.PROTOCOL_UNKNOWN_TYPE, `MIG_CMD 0x${cmd.toString(16)} unknown`, at);
  }
}

function readDiscard(p: ByteReader, len: number, at: number): MigCommand {
  const bad = (): never =>
    fail(ErrorCode.PROTOCOL_BAD_LENGTH, `CMD_POSTCOPY_RAM_DISCARD invalid length (${len})`, at);
  if (len < 1 + 1 + 1 + 1 + 2 * 8) bad();
  const version = p.u8();
  if (version !== POSTCOPY_RAM_DISCARD_VERSION) {
    fail(ErrorCode.PROTOCOL_VERSION, `CMD_POSTCOPY_RAM_DISCARD invalid version (${version})`, at);
  }
  const n = p.u8();
  if (3 + n > len) bad();
  const idstr = latin1(p.bytes(n));
  const nil = p.u8();
  if (nil !== 0) {
    fail(ErrorCode.PROTOCOL_BAD_LENGTH, `CMD_POSTCOPY_RAM_DISCARD missing nil (${nil})`, at);
  }
  const rest = len - 3 - n;
  if (rest % 16 !== 0) {
    fail(ErrorCode.PROTOCOL_BAD_LENGTH, `CMD_POSTCOPY_RAM_DISCARD invalid length (${rest})`, at);
  }
  const ranges: DiscardRange[] = [];
  for (let i = 0; i < rest / 16; i++) {
    ranges.push({ start: p.u64Number('discard start'), length: p.u64Number('discard length') });
  }
  return { name: 'POSTCOPY_RAM_DISCARD', idstr, ranges };
}
