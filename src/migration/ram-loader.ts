/**
 * The destination side of RAM migration: applies the stream decoder's RAM
 * records to local RAM blocks, with QEMU's checks of the block list. A page
 * whose view is not 8-byte aligned with its destination is bounced through an
 * aligned scratch page: V8 copies misaligned into a SharedArrayBuffer byte by
 * byte, 4× slower (node-datapath.md §7).
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { xbzrleDecode } from '../protocol/xbzrle.js';
import type { RamBlock } from '../vm/ram-block.js';

const PAGE = 4096;

interface LoadBlock {
  block: RamBlock;
  words: Int32Array[];
  /** Pages that may hold data: written before the load (per `everWritten`) or by it. */
  written: Uint32Array;
}

export class RamLoader {
  readonly #blocks = new Map<string, LoadBlock>();
  readonly #scratch = new Uint8Array(PAGE);

  /**
   * `everWritten(block, page)` says whether a page may be non-zero before the
   * load starts (the destination's dirty log knows: its guest has not run).
   * Pages it rules out need no zero check, which would fault fresh memory in.
   */
  constructor(
    blocks: readonly RamBlock[],
    everWritten: (block: RamBlock, page: number) => boolean = () => true,
  ) {
    for (const block of blocks) {
      const written = new Uint32Array((block.pageCount + 31) >>> 5);
      for (let p = 0; p < block.pageCount; p++) {
        if (everWritten(block, p)) written[p >>> 5] = written[p >>> 5]! | (1 << (p & 31));
      }
      this.#blocks.set(block.idstr, {
        block,
        words: block.chunks.map((c) => new Int32Array(c)),
        written,
      });
    }
  }

  /** A MEM_SIZE list entry: the block must exist here with the same size. */
  checkBlock(idstr: string, usedLength: number): void {
    const b = this.#blocks.get(idstr);
    if (!b) {
      throw new LivemigError(
        ErrorCode.PROTOCOL_RAM,
        `Unknown ramblock "${idstr}", cannot accept migration`,
      );
    }
    if (b.block.usedLength !== usedLength) {
      // QEMU tries to resize and fails for a fixed-size block with this text.
      throw new LivemigError(
        ErrorCode.PROTOCOL_RAM,
        `Length mismatch: ${idstr}: 0x${usedLength.toString(16)} in != 0x${b.block.usedLength.toString(16)}: Invalid argument`,
      );
    }
  }

  #target(idstr: string, addr: number): Uint8Array {
    const b = this.#blocks.get(idstr);
    if (!b) throw new LivemigError(ErrorCode.PROTOCOL_RAM, `Can't find block ${idstr}`);
    return b.block.page(addr);
  }

  page(idstr: string, addr: number, data: Uint8Array): void {
    const dst = this.#target(idstr, addr);
    this.#mark(idstr, addr);
    if (((data.byteOffset - dst.byteOffset) & 7) !== 0) {
      this.#scratch.set(data);
      dst.set(this.#scratch);
    } else {
      dst.set(data);
    }
  }

  /** QEMU writes a zero page only where the page is not already zero (no needless faults). */
  zero(idstr: string, addr: number): void {
    const b = this.#blocks.get(idstr);
    if (!b) throw new LivemigError(ErrorCode.PROTOCOL_RAM, `Can't find block ${idstr}`);
    const page = addr / PAGE;
    if ((b.written[page >>> 5]! & (1 << (page & 31))) === 0) return;
    const shift = b.block.chunkPageShift;
    const words = b.words[page >>> shift]!;
    const at = (page & ((1 << shift) - 1)) << 10;
    for (let i = at; i < at + 1024; i++) {
      if (words[i] !== 0) {
        words.fill(0, at, at + 1024);
        return;
      }
    }
  }

  #mark(idstr: string, addr: number): void {
    const b = this.#blocks.get(idstr)!;
    const page = addr / PAGE;
    b.written[page >>> 5] = b.written[page >>> 5]! | (1 << (page & 31));
  }

  xbzrle(idstr: string, addr: number, data: Uint8Array, offset: number): void {
    this.#target(idstr, addr);
    this.#mark(idstr, addr);
    try {
      xbzrleDecode(data, this.#target(idstr, addr), offset);
    } catch (e) {
      throw new LivemigError(
        ErrorCode.PROTOCOL_XBZRLE,
        `Failed to decompress XBZRLE page at ${addr.toString(16)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
}
