/**
 * Writes each RAM block's final contents to a file while a stream is decoded:
 * the last copy of every page wins. Contiguous pages are batched into large
 * positioned writes; zero pages are written only over a page that earlier held
 * data (a new file is already zero), and XBZRLE pages are applied to the page
 * as it stands in the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { xbzrleDecode } from '../protocol/xbzrle.js';

const BATCH = 4 << 20;

interface BlockFile {
  idstr: string;
  file: string;
  usedLength: number;
  fd: number;
  /** One bit per page: has this page been written with data? */
  written: Uint8Array;
}

/** The file name for a block: every character outside [A-Za-z0-9._-] becomes '_'. */
export function ramBlockFileName(idstr: string): string {
  return idstr.replace(/[^A-Za-z0-9._-]/g, '_') + '.bin';
}

export class RamDumper {
  private readonly dir: string;
  private readonly pageSize: number;
  private readonly blocks = new Map<string, BlockFile>();
  private readonly batch = Buffer.alloc(BATCH);
  private batchLen = 0;
  private batchFd = -1;
  private batchPos = 0;
  private closed = false;
  private readonly zero: Uint8Array;
  private readonly scratch: Uint8Array;

  constructor(dir: string, pageSize: number) {
    this.dir = dir;
    this.pageSize = pageSize;
    this.zero = new Uint8Array(pageSize);
    this.scratch = new Uint8Array(pageSize);
    fs.mkdirSync(dir, { recursive: true });
  }

  block(idstr: string, usedLength: number): void {
    if (this.blocks.has(idstr)) return;
    let file = ramBlockFileName(idstr);
    const taken = new Set([...this.blocks.values()].map((b) => b.file));
    for (let i = 2; taken.has(file); i++) file = ramBlockFileName(`${idstr}-${i}`);
    const where = path.join(this.dir, file);
    const fd = fs.openSync(where, 'w+');
    try {
      fs.ftruncateSync(fd, usedLength);
    } catch (e) {
      // A block longer than the file system allows (the length is the stream's word).
      fs.closeSync(fd);
      fs.rmSync(where, { force: true });
      (e as Error).message = `${where}: ${(e as Error).message}`;
      throw e;
    }
    const pages = Math.ceil(usedLength / this.pageSize);
    this.blocks.set(idstr, {
      idstr,
      file,
      usedLength,
      fd,
      written: new Uint8Array(Math.ceil(pages / 8)),
    });
  }

  page(idstr: string, addr: number, data: Uint8Array): void {
    const b = this.blocks.get(idstr)!;
    this.mark(b, addr);
    this.put(b.fd, addr, data);
  }

  zeroPage(idstr: string, addr: number): void {
    const b = this.blocks.get(idstr)!;
    const page = addr / this.pageSize;
    if ((b.written[page >>> 3]! & (1 << (page & 7))) === 0) return;
    this.put(b.fd, addr, this.zero);
  }

  xbzrle(idstr: string, addr: number, encoded: Uint8Array, offset: number): void {
    const b = this.blocks.get(idstr)!;
    this.flush();
    fs.readSync(b.fd, this.scratch, 0, this.pageSize, addr);
    xbzrleDecode(encoded, this.scratch, offset);
    this.mark(b, addr);
    this.put(b.fd, addr, this.scratch);
  }

  private mark(b: BlockFile, addr: number): void {
    const page = addr / this.pageSize;
    b.written[page >>> 3]! |= 1 << (page & 7);
  }

  private put(fd: number, pos: number, data: Uint8Array): void {
    if (
      fd !== this.batchFd ||
      pos !== this.batchPos + this.batchLen ||
      this.batchLen + data.length > BATCH
    ) {
      this.flush();
      this.batchFd = fd;
      this.batchPos = pos;
    }
    this.batch.set(data, this.batchLen);
    this.batchLen += data.length;
  }

  private flush(): void {
    if (this.batchLen > 0) {
      fs.writeSync(this.batchFd, this.batch, 0, this.batchLen, this.batchPos);
      this.batchLen = 0;
    }
  }

  /**
   * Flushes, closes the files and writes index.json. Also called when the
   * stream turns out malformed: the dump then holds what came before the error.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const index = [];
    try {
      this.flush();
    } finally {
      // Even when the last batch cannot be written (ENOSPC, ...), no descriptor stays open.
      for (const b of this.blocks.values()) {
        fs.closeSync(b.fd);
        index.push({ idstr: b.idstr, file: b.file, usedLength: b.usedLength });
      }
    }
    fs.writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  }
}
