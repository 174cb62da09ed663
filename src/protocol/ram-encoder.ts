/**
 * Writes the records of a RAM section payload ("ram", version 4). Each record
 * starts with a be64 word: the page's offset in its block with RAM_SAVE_FLAG_*
 * bits in the low bits. The block name is sent only when it differs from the
 * previous record's on the same channel (otherwise CONTINUE is set), so each
 * channel owns one encoder.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { TWO_32 } from './bytes.js';
import { ENCODING_FLAG_XBZRLE, RamFlag, TARGET_PAGE_SIZE } from './constants.js';
import type { ChunkSink, StreamSink } from './stream-writer.js';

export interface RamBlockInfo {
  idstr: string;
  usedLength: number;
}

export class RamEncoder {
  private lastBlock: string | undefined;
  readonly pageSize: number;

  constructor(pageSize = TARGET_PAGE_SIZE) {
    this.pageSize = pageSize;
  }

  /** Forget the last block, e.g. at the start of a new stream or channel. */
  reset(): void {
    this.lastBlock = undefined;
  }

  private word(w: StreamSink, offset: number, flags: number): void {
    // offset is page-aligned, so the flags occupy bits the offset leaves clear.
    w.u32(Math.floor(offset / TWO_32));
    w.u32(((offset >>> 0) | flags) >>> 0);
  }

  private addressed(w: StreamSink, block: string, offset: number, flags: number): void {
    if (offset % this.pageSize !== 0) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_ENCODE,
        `RAM offset ${offset} is not page aligned`,
      );
    }
    if (block === this.lastBlock) {
      this.word(w, offset, flags | RamFlag.CONTINUE);
    } else {
      this.word(w, offset, flags);
      w.countedString(block);
      this.lastBlock = block;
    }
  }

  /** The block list sent by save_setup: total size | MEM_SIZE, then each block. */
  memSize(w: StreamSink, blocks: readonly RamBlockInfo[]): void {
    let total = 0;
    for (const b of blocks) total += b.usedLength;
    this.word(w, total, RamFlag.MEM_SIZE);
    for (const b of blocks) {
      w.countedString(b.idstr);
      w.u64(b.usedLength);
    }
  }

  zeroPage(w: StreamSink, block: string, offset: number): void {
    this.addressed(w, block, offset, RamFlag.ZERO);
    w.u8(0);
  }

  /** A full page; `data` is appended without a copy. */
  page(w: ChunkSink, block: string, offset: number, data: Uint8Array): void {
    if (data.length !== this.pageSize) {
      throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `A page is ${this.pageSize} bytes`);
    }
    w.alignNext?.(block === this.lastBlock ? 8 : 9 + block.length);
    this.addressed(w, block, offset, RamFlag.PAGE);
    w.append(data);
  }

  /** A full page copied into the stream (for sinks that cannot hold views). */
  pageCopy(w: StreamSink, block: string, offset: number, data: Uint8Array): void {
    if (data.length !== this.pageSize) {
      throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `A page is ${this.pageSize} bytes`);
    }
    this.addressed(w, block, offset, RamFlag.PAGE);
    w.bytes(data);
  }

  /** An XBZRLE-encoded page; encoded output longer than a page is refused. */
  xbzrlePage(w: StreamSink, block: string, offset: number, encoded: Uint8Array): void {
    if (encoded.length > this.pageSize || encoded.length === 0) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_XBZRLE,
        `XBZRLE encoding of ${encoded.length} bytes does not fit a ${this.pageSize}-byte page`,
      );
    }
    this.addressed(w, block, offset, RamFlag.XBZRLE);
    w.u8(ENCODING_FLAG_XBZRLE);
    w.u16(encoded.length);
    w.bytes(encoded);
  }

  multifdFlush(w: StreamSink): void {
    this.word(w, 0, RamFlag.MULTIFD_FLUSH);
  }

  eos(w: StreamSink): void {
    this.word(w, 0, RamFlag.EOS);
  }
}
