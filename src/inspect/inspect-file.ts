/**
 * Streams a migration file (or any byte source) through the decoder, building a
 * report and optionally dumping RAM. Reads in fixed-size chunks into one reused
 * buffer, so memory stays flat whatever the stream's size.
 */
import fs from 'node:fs';
import { StreamDecoder, type SectionResolver } from '../protocol/stream-decoder.js';
import type { StreamRecord } from '../protocol/records.js';
import { RamDumper } from './ram-dump.js';
import { ReportBuilder, type StreamReport } from './report.js';
import { locateVmdesc } from './vmdesc-locate.js';
import { vmdescResolver } from './vmdesc-resolver.js';

export interface InspectOptions {
  /** Directory for --dump-ram, if wanted. */
  dumpRam?: string;
  /** Decode device sections through the vmdesc (default true). */
  decodeDevices?: boolean;
  /** Read size (default 4 MiB). */
  chunkSize?: number;
}

const TAIL = 16 << 20;

/** Inspects a whole file. Throws ProtocolError (with .offset) on a malformed stream. */
export function inspectFile(file: string, opts: InspectOptions = {}): StreamReport {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let resolver: SectionResolver | undefined;
    if (opts.decodeDevices !== false && size > 0) {
      const tailLen = Math.min(size, TAIL);
      const tail = Buffer.alloc(tailLen);
      fs.readSync(fd, tail, 0, tailLen, size - tailLen);
      const found = locateVmdesc(tail, size);
      if (found) resolver = vmdescResolver(found.json).resolver;
    }
    const session = new InspectSession(opts, resolver);
    const buf = Buffer.alloc(opts.chunkSize ?? 4 << 20);
    let pos = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      session.push(buf.subarray(0, n));
      pos += n;
    }
    return session.end();
  } finally {
    fs.closeSync(fd);
  }
}

/** Inspects a stream fed chunk by chunk (for pipes, where the vmdesc comes last). */
export class InspectSession {
  private readonly decoder: StreamDecoder;
  private readonly builder = new ReportBuilder();
  private readonly dumper: RamDumper | undefined;

  constructor(opts: InspectOptions, resolver?: SectionResolver) {
    this.dumper = opts.dumpRam ? new RamDumper(opts.dumpRam, 4096) : undefined;
    const dumper = this.dumper;
    const report = this.builder.onRecord;
    const onRecord = dumper
      ? (rec: StreamRecord): void => {
          report(rec);
          switch (rec.kind) {
            case 'ram-block':
              dumper.block(rec.idstr, rec.usedLength);
              break;
            case 'ram-page':
              dumper.page(rec.block, rec.addr, rec.data);
              break;
            case 'ram-zero':
              dumper.zeroPage(rec.block, rec.addr);
              break;
            case 'ram-xbzrle':
              dumper.xbzrle(rec.block, rec.addr, rec.data, rec.offset);
              break;
            default:
              break;
          }
        }
      : report;
    this.decoder = new StreamDecoder({
      onRecord,
      configuration: 'optional',
      ...(resolver ? { resolveSection: resolver } : {}),
    });
  }

  push(chunk: Uint8Array): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      try {
        this.dumper?.close();
      } catch {
        // The stream's error is the one to report.
      }
      throw e;
    }
  }

  end(): StreamReport {
    try {
      this.decoder.end();
    } finally {
      this.dumper?.close();
    }
    return this.builder.finish(this.decoder.offset);
  }
}
