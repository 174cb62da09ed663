/**
 * Return-path messages (destination → source): be16 type, be16 len, payload.
 * RECV_BITMAP is followed, outside its message, by be64 size, the
 * little-endian bitmap and a be64 end mark; the decoder treats the three as
 * part of the one message so callers see a single event.
 *
 * Validation order and texts follow QEMU's source-side return-path thread.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { ByteReader, ByteWriter, NeedMoreData, latin1 } from './bytes.js';
import {
  MIGRATION_RESUME_ACK_VALUE,
  MIG_RP_MSG_MAX,
  RAMBLOCK_RECV_BITMAP_ENDING,
  RP_MSG_LENGTHS,
  RP_MSG_NAMES,
  RpMsg,
} from './constants.js';
import { DEFAULT_LIMITS } from './limits.js';

export type RpMessage =
  | { type: 'shut'; status: number }
  | { type: 'pong'; value: number }
  | { type: 'req-pages-id'; start: number; len: number; idstr: string }
  | { type: 'req-pages'; start: number; len: number }
  | { type: 'recv-bitmap'; idstr: string; bitmap: Uint8Array }
  | { type: 'resume-ack'; value: number }
  | { type: 'switchover-ack' };

/** QEMU's source reads each message into a buffer of this size. */
export const RP_MAX_PAYLOAD = 512;

/** QEMU prints a variable length's expected size as (size_t)-1. */
const SIZE_T_MINUS_ONE = '18446744073709551615';

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `${what} ${v} is not a u32`);
  }
}

function checkU64(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `${what} ${v} is not a safe u64`);
  }
}

function checkIdstr(s: string): void {
  if (s.length > 255) {
    throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `Block name '${s}' is longer than 255`);
  }
}

/** Encodes one message; RECV_BITMAP includes the trailing size, bitmap and end mark. */
export function encodeRpMessage(msg: RpMessage): Uint8Array {
  switch (msg.type) {
    case 'shut':
      checkU32(msg.status, 'SHUT status');
      return new ByteWriter(8).u16(RpMsg.SHUT).u16(4).u32(msg.status).finish();
    case 'pong':
      checkU32(msg.value, 'PONG value');
      return new ByteWriter(8).u16(RpMsg.PONG).u16(4).u32(msg.value).finish();
    case 'resume-ack':
      checkU32(msg.value, 'RESUME_ACK value');
      return new ByteWriter(8).u16(RpMsg.RESUME_ACK).u16(4).u32(msg.value).finish();
    case 'switchover-ack':
      return new ByteWriter(4).u16(RpMsg.SWITCHOVER_ACK).u16(0).finish();
    case 'req-pages':
      checkU64(msg.start, 'REQ_PAGES start');
      checkU32(msg.len, 'REQ_PAGES len');
      return new ByteWriter(16).u16(RpMsg.REQ_PAGES).u16(12).u64(msg.start).u32(msg.len).finish();
    case 'req-pages-id': {
      checkU64(msg.start, 'REQ_PAGES_ID start');
      checkU32(msg.len, 'REQ_PAGES_ID len');
      checkIdstr(msg.idstr);
      const len = 13 + msg.idstr.length;
      return new ByteWriter(4 + len)
        .u16(RpMsg.REQ_PAGES_ID)
        .u16(len)
        .u64(msg.start)
        .u32(msg.len)
        .countedString(msg.idstr)
        .finish();
    }
    case 'recv-bitmap': {
      checkIdstr(msg.idstr);
      const size = msg.bitmap.length;
      if (size % 8 !== 0) {
        // QEMU always rounds the bitmap up to whole 64-bit words.
        throw new ProtocolError(
          ErrorCode.PROTOCOL_ENCODE,
          `RECV_BITMAP bitmap size ${size} is not a multiple of 8`,
        );
      }
      const len = 1 + msg.idstr.length;
      return new ByteWriter(4 + len + 8 + size + 8)
        .u16(RpMsg.RECV_BITMAP)
        .u16(len)
        .countedString(msg.idstr)
        .u64(size)
        .bytes(msg.bitmap)
        .u64(RAMBLOCK_RECV_BITMAP_ENDING)
        .finish();
    }
  }
}

export interface ReturnPathDecoderOptions {
  /** Largest RECV_BITMAP bitmap accepted, in bytes (default 512 MiB). */
  maxRecvBitmap?: number;
  /** Receives each message as soon as it is complete, before any later error. */
  onMessage?: (msg: RpMessage) => void;
}

// What the decoder is collecting next.
const HEADER = 0;
const PAYLOAD = 1;
const BITMAP_SIZE = 2;
const BITMAP_DATA = 3;
const BITMAP_END = 4;
type Stage =
  typeof HEADER | typeof PAYLOAD | typeof BITMAP_SIZE | typeof BITMAP_DATA | typeof BITMAP_END;

/**
 * Incremental decoder for the source's side of the return path. Output does
 * not depend on how the input is split. It buffers at most one payload (≤ 512
 * bytes) plus a RECV_BITMAP bitmap, whose size is checked before allocating.
 *
 * push() returns the messages it completed and also hands each to `onMessage`
 * as soon as it is complete. An error is thrown at once: a source must fail
 * the migration without waiting for more input. Messages completed before the
 * error in the same chunk have already reached `onMessage`. After an error the
 * decoder is dead and rethrows it.
 */
export class ReturnPathDecoder {
  readonly #maxRecvBitmap: number;
  readonly #onMessage: ((msg: RpMessage) => void) | undefined;
  readonly #scratch = new Uint8Array(RP_MAX_PAYLOAD);
  #stage: Stage = HEADER;
  /** Bytes wanted for the current item, and bytes of it collected. */
  #want = 4;
  #have = 0;
  /** Absolute offsets: the next input byte, the current item, the current message. */
  #offset = 0;
  #itemStart = 0;
  #msgStart = 0;
  #type = 0;
  #idstr = '';
  #bitmap: Uint8Array | null = null;
  #failure: ProtocolError | null = null;

  constructor(options: ReturnPathDecoderOptions = {}) {
    this.#maxRecvBitmap = options.maxRecvBitmap ?? DEFAULT_LIMITS.maxRecvBitmap;
    this.#onMessage = options.onMessage;
  }

  /** Absolute offset of the next byte the decoder expects. */
  get offset(): number {
    return this.#offset;
  }

  push(chunk: Uint8Array): RpMessage[] {
    if (this.#failure !== null) throw this.#failure;
    const out: RpMessage[] = [];
    let p = 0;
    try {
      while (p < chunk.length) {
        const n = Math.min(this.#want - this.#have, chunk.length - p);
        // The bitmap goes straight to its own buffer; everything else is small.
        const into = this.#stage === BITMAP_DATA ? this.#bitmap! : this.#scratch;
        into.set(chunk.subarray(p, p + n), this.#have);
        this.#have += n;
        this.#offset += n;
        p += n;
        // Zero-length items (empty payload, empty bitmap) complete at once.
        while (this.#have === this.#want) {
          const msg = this.#complete();
          if (msg !== null) {
            out.push(msg);
            this.#onMessage?.(msg);
          }
        }
      }
    } catch (e) {
      const err =
        e instanceof ProtocolError
          ? e
          : new ProtocolError(ErrorCode.PROTOCOL_RETURN_PATH, String(e), this.#offset, {
              cause: e,
            });
      this.#failure = err;
      throw err;
    }
    return out;
  }

  /** Declares the end of input; throws if a message is incomplete. */
  end(): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#stage === HEADER && this.#have === 0) return;
    const err = new NeedMoreData(
      this.#what(),
      this.#offset,
      this.#offset + this.#want - this.#have,
    );
    this.#failure = err;
    throw err;
  }

  #what(): string {
    switch (this.#stage) {
      case HEADER:
        return 'return-path message header';
      case PAYLOAD:
        return `return-path '${RP_MSG_NAMES[this.#type]}' message`;
      case BITMAP_SIZE:
        return 'RECV_BITMAP bitmap size';
      case BITMAP_DATA:
        return 'RECV_BITMAP bitmap';
      case BITMAP_END:
        return 'RECV_BITMAP end mark';
    }
  }

  #next(stage: Stage, want: number): void {
    this.#stage = stage;
    this.#want = want;
    this.#have = 0;
    this.#itemStart = this.#offset;
  }

  /** Handles a completed item; returns a message when one is finished. */
  #complete(): RpMessage | null {
    switch (this.#stage) {
      case HEADER:
        this.#header();
        return null;
      case PAYLOAD:
        return this.#payload();
      case BITMAP_SIZE:
        this.#bitmapSize();
        return null;
      case BITMAP_DATA:
        this.#next(BITMAP_END, 8);
        return null;
      case BITMAP_END:
        return this.#bitmapEnd();
    }
  }

  #header(): void {
    const s = this.#scratch;
    const type = (s[0]! << 8) | s[1]!;
    const len = (s[2]! << 8) | s[3]!;
    const at = this.#itemStart;
    if (type === RpMsg.INVALID || type >= MIG_RP_MSG_MAX) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_UNKNOWN_TYPE,
        `Received invalid message 0x${hex4(type)} length 0x${hex4(len)}`,
        at,
      );
    }
    const fixed = RP_MSG_LENGTHS[type]!;
    if ((fixed !== -1 && len !== fixed) || len > RP_MAX_PAYLOAD) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_LENGTH,
        `Received '${RP_MSG_NAMES[type]}' message (0x${hex4(type)}) with` +
          `incorrect length ${len} expecting ${fixed === -1 ? SIZE_T_MINUS_ONE : fixed}`,
        at,
      );
    }
    this.#type = type;
    this.#msgStart = at;
    this.#next(PAYLOAD, len);
  }

  #payload(): RpMessage | null {
    const len = this.#want;
    const r = new ByteReader(this.#scratch, 0, len, this.#itemStart);
    let msg: RpMessage | null;
    switch (this.#type) {
      case RpMsg.SHUT:
        msg = { type: 'shut', status: r.u32('SHUT status') };
        break;
      case RpMsg.PONG:
        msg = { type: 'pong', value: r.u32('PONG value') };
        break;
      case RpMsg.REQ_PAGES_ID:
        msg = this.#reqPagesId(r, len);
        break;
      case RpMsg.REQ_PAGES:
        msg = { type: 'req-pages', start: r.u64Number('REQ_PAGES start'), len: r.u32() };
        break;
      case RpMsg.RECV_BITMAP:
        this.#recvBitmapName(len);
        return null;
      case RpMsg.RESUME_ACK: {
        const value = r.u32('RESUME_ACK value');
        if (value !== MIGRATION_RESUME_ACK_VALUE) {
          throw new ProtocolError(
            ErrorCode.PROTOCOL_RETURN_PATH,
            `illegal resume_ack value ${value}`,
            this.#itemStart,
          );
        }
        msg = { type: 'resume-ack', value };
        break;
      }
      default:
        // SWITCHOVER_ACK: the header already checked its zero length.
        msg = { type: 'switchover-ack' };
    }
    this.#next(HEADER, 4);
    return msg;
  }

  #reqPagesId(r: ByteReader, len: number): RpMessage {
    // QEMU's check: the idstr length byte, if present, must account for the rest.
    const expected = len >= 13 ? 13 + this.#scratch[12]! : 13;
    if (len !== expected) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_LENGTH,
        `Req_Page_id with length ${len} expecting ${expected}`,
        this.#msgStart,
      );
    }
    const start = r.u64Number('REQ_PAGES_ID start');
    const pages = r.u32('REQ_PAGES_ID len');
    const idstr = r.countedString('REQ_PAGES_ID block name');
    return { type: 'req-pages-id', start, len: pages, idstr };
  }

  #recvBitmapName(len: number): void {
    // QEMU does not check this; livemig requires the name to fill the message exactly.
    if (len < 1 || len !== 1 + this.#scratch[0]!) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_LENGTH,
        `RECV_BITMAP with length ${len} does not match its block name` +
          (len < 1 ? ' (missing block name)' : ` (expecting ${1 + this.#scratch[0]!})`),
        this.#msgStart,
      );
    }
    this.#idstr = latin1(this.#scratch.subarray(1, len));
    this.#next(BITMAP_SIZE, 8);
  }

  #bitmapSize(): void {
    const at = this.#itemStart;
    const size = new ByteReader(this.#scratch, 0, 8, at).u64Number('RECV_BITMAP bitmap size');
    if (size % 8 !== 0) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_LENGTH,
        `ramblock '${this.#idstr}' bitmap size 0x${size.toString(16)} is not a multiple of 8`,
        at,
      );
    }
    if (size > this.#maxRecvBitmap) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_LIMIT,
        `ramblock '${this.#idstr}' bitmap size 0x${size.toString(16)} exceeds the limit ` +
          `0x${this.#maxRecvBitmap.toString(16)}`,
        at,
      );
    }
    this.#bitmap = new Uint8Array(size);
    this.#next(BITMAP_DATA, size);
  }

  #bitmapEnd(): RpMessage {
    const at = this.#itemStart;
    const mark = new ByteReader(this.#scratch, 0, 8, at).u64('RECV_BITMAP end mark');
    if (mark !== RAMBLOCK_RECV_BITMAP_ENDING) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_RETURN_PATH,
        `ramblock '${this.#idstr}' end mark incorrect: 0x${mark.toString(16)}`,
        at,
      );
    }
    const msg: RpMessage = { type: 'recv-bitmap', idstr: this.#idstr, bitmap: this.#bitmap! };
    this.#bitmap = null;
    this.#next(HEADER, 4);
    return msg;
  }
}
