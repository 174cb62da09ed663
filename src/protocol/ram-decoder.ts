/**
 * Reads the records of a RAM section payload on one channel. It knows the
 * blocks the stream announced in its MEM_SIZE list and checks every page
 * against them, with the messages QEMU's loader prints. Each call reads one
 * whole record or throws NeedMoreData having changed nothing, so the stream
 * decoder can retry it when more input arrives.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { type ByteReader, TWO_32 } from './bytes.js';
import { ENCODING_FLAG_XBZRLE, RamFlag } from './constants.js';
import type { DecodeLimits } from './limits.js';
import type { StreamRecord } from './records.js';

export interface RamBlockState {
  idstr: string;
  usedLength: number;
}

export interface RamDecoderOptions {
  pageSize: number;
  limits: DecodeLimits;
  /** x-ignore-shared: each block-list entry carries the block's guest address. */
  ignoreShared?: boolean;
  /** Blocks whose list entry carries a page size (postcopy with huge pages). */
  blockHasPageSize?: (idstr: string) => boolean;
}

const ADDRESSED = RamFlag.ZERO | RamFlag.PAGE | RamFlag.XBZRLE | RamFlag.COMPRESS_PAGE;

/** What the payload needs next after a record. */
export const RamNext = { Record: 0, BlockList: 1, EndOfPayload: 2 } as const;
export type RamNext = (typeof RamNext)[keyof typeof RamNext];

export class RamDecoder {
  readonly blocks = new Map<string, RamBlockState>();
  private lastBlock: RamBlockState | undefined;
  /** Bytes of the announced total still to be covered by block-list entries. */
  private listRemaining = 0;
  private readonly pageSize: number;
  private readonly flagMask: number;
  private readonly opts: RamDecoderOptions;

  constructor(opts: RamDecoderOptions) {
    this.opts = opts;
    this.pageSize = opts.pageSize;
    this.flagMask = opts.pageSize - 1;
  }

  /** Forget the last block (a new channel or a new stream). */
  resetChannel(): void {
    this.lastBlock = undefined;
  }

  /** Reads one record of the payload. */
  record(r: ByteReader, emit: (rec: StreamRecord) => void): RamNext {
    const start = r.pos;
    const offset = r.offset;
    r.need(8, 'RAM record');
    const hi = r.view.getUint32(start);
    const lo = r.view.getUint32(start + 4);
    const flags = lo & this.flagMask;
    const addr = hi * TWO_32 + ((lo & ~this.flagMask) >>> 0);
    r.pos = start + 8;

    if (flags & RamFlag.COMPRESS_PAGE) this.fail('Received an unexpected compressed page', offset);
    if (flags & ADDRESSED) {
      let block: RamBlockState | undefined;
      if (flags & RamFlag.CONTINUE) {
        block = this.lastBlock;
        if (!block) this.fail('Ack, bad migration stream!', offset);
      } else {
        const name = r.countedString('RAM block name');
        block = this.blocks.get(name);
        if (!block) this.fail(`Can't find block ${name}`, offset);
      }
      if (addr + this.pageSize > block.usedLength) {
        this.fail(`Illegal RAM offset ${addr.toString(16)}`, offset);
      }
      switch (flags & ~RamFlag.CONTINUE) {
        case RamFlag.ZERO: {
          const fill = r.u8('zero page fill byte');
          if (fill !== 0) this.fail(`Found a zero page with value ${fill}`, offset);
          this.lastBlock = block;
          emit({ kind: 'ram-zero', offset, block: block.idstr, addr });
          return RamNext.Record;
        }
        case RamFlag.PAGE: {
          const data = r.bytes(this.pageSize, 'RAM page');
          this.lastBlock = block;
          emit({ kind: 'ram-page', offset, block: block.idstr, addr, data });
          return RamNext.Record;
        }
        case RamFlag.XBZRLE: {
          const enc = r.u8('XBZRLE encoding flag');
          const len = r.u16('XBZRLE length');
          if (enc !== ENCODING_FLAG_XBZRLE) {
            this.fail(
              'Failed to load XBZRLE page - wrong compression!',
              offset,
              ErrorCode.PROTOCOL_XBZRLE,
            );
          }
          if (len > this.pageSize) {
            this.fail(
              'Failed to load XBZRLE page - len overflow!',
              offset,
              ErrorCode.PROTOCOL_XBZRLE,
            );
          }
          const data = r.bytes(len, 'XBZRLE data');
          this.lastBlock = block;
          emit({ kind: 'ram-xbzrle', offset, block: block.idstr, addr, data });
          return RamNext.Record;
        }
        default:
          return this.fail(
            `Unknown combination of migration flags: 0x${flags.toString(16)}`,
            offset,
          );
      }
    }
    switch (flags) {
      case RamFlag.MEM_SIZE:
        return this.memSize(addr, offset, emit);
      case RamFlag.EOS:
        emit({ kind: 'ram-eos', offset });
        return RamNext.EndOfPayload;
      case RamFlag.MULTIFD_FLUSH:
        emit({ kind: 'ram-multifd-flush', offset });
        return RamNext.Record;
      case RamFlag.HOOK:
        return this.fail('RAM_SAVE_FLAG_HOOK (RDMA) is not supported', offset);
      default:
        return this.fail(`Unknown combination of migration flags: 0x${flags.toString(16)}`, offset);
    }
  }

  private memSize(total: number, offset: number, emit: (rec: StreamRecord) => void): RamNext {
    if (total > this.opts.limits.maxRamSize) {
      this.fail(
        `RAM size ${total} is over the limit of ${this.opts.limits.maxRamSize}`,
        offset,
        ErrorCode.PROTOCOL_LIMIT,
      );
    }
    emit({ kind: 'ram-mem-size', offset, totalBytes: total });
    this.listRemaining = total;
    return total > 0 ? RamNext.BlockList : RamNext.Record;
  }

  /** Reads one entry of the MEM_SIZE block list. */
  blockEntry(r: ByteReader, emit: (rec: StreamRecord) => void): RamNext {
    const offset = r.offset;
    const idstr = r.countedString('RAM block name');
    const usedLength = r.u64Number('RAM block length');
    const pageSize = this.opts.blockHasPageSize?.(idstr)
      ? r.u64Number('RAM block page size')
      : undefined;
    const addr = this.opts.ignoreShared ? r.u64Number('RAM block address') : undefined;
    if (usedLength > this.listRemaining) {
      this.fail(`RAM block "${idstr}" of ${usedLength} bytes exceeds the announced total`, offset);
    }
    if (!this.blocks.has(idstr) && this.blocks.size >= this.opts.limits.maxRamBlocks) {
      this.fail(
        `More than ${this.opts.limits.maxRamBlocks} RAM blocks`,
        offset,
        ErrorCode.PROTOCOL_LIMIT,
      );
    }
    this.blocks.set(idstr, { idstr, usedLength });
    this.listRemaining -= usedLength;
    const rec: StreamRecord = { kind: 'ram-block', offset, idstr, usedLength };
    if (pageSize !== undefined) rec.pageSize = pageSize;
    if (addr !== undefined) rec.addr = addr;
    emit(rec);
    return this.listRemaining > 0 ? RamNext.BlockList : RamNext.Record;
  }

  private fail(msg: string, offset: number, code: ErrorCode = ErrorCode.PROTOCOL_RAM): never {
    throw new ProtocolError(code, msg, offset);
  }
}
