/**
 * Builds an outgoing stream as a list of chunks for a vectored write. Small
 * fields go into a staging buffer; bulk data (guest pages) is appended as a view
 * and never copied. Staged bytes handed out by take() are never overwritten:
 * when the staging buffer is used up a fresh one is allocated, so chunks stay
 * valid for as long as the transport holds them.
 */
import { ErrorCode, ProtocolError } from '../errors.js';
import { latin1Bytes, setU64 } from './bytes.js';

/** The write surface encoders use; StreamWriter and ByteWriter-like sinks implement it. */
export interface StreamSink {
  u8(v: number): void;
  u16(v: number): void;
  u32(v: number): void;
  /** be64 from a non-negative safe integer or a bigint. */
  u64(v: number | bigint): void;
  /** Copies `b` into the stream. */
  bytes(b: Uint8Array): void;
  countedString(s: string): void;
}

/**
 * A sink that can also take bulk data (pages) and report its position: what
 * the RAM encoder and live devices write to. StreamWriter appends views without
 * copying; a staging writer (the migration engine's) copies them into large
 * reusable buffers instead.
 */
export interface ChunkSink extends StreamSink {
  /** Adds `view` to the stream (a view for StreamWriter; a copy for a staging writer). */
  append(view: Uint8Array): void;
  /** Bytes written since construction. */
  readonly written: number;
  /**
   * Hint before a record whose `headerBytes` header is followed by page data:
   * a copying sink may start a new chunk so the page lands 8-byte aligned
   * (V8 copies out of a SharedArrayBuffer byte by byte when misaligned).
   */
  alignNext?(headerBytes: number): void;
}

const DEFAULT_STAGING = 64 * 1024;

export class StreamWriter implements ChunkSink {
  private stage: Uint8Array;
  private view: DataView;
  private stageStart = 0;
  private stagePos = 0;
  private chunks: Uint8Array[] = [];
  private queued = 0;
  private readonly stagingSize: number;
  /** Bytes written since construction (staged and appended). */
  written = 0;

  constructor(stagingSize = DEFAULT_STAGING) {
    this.stagingSize = stagingSize;
    this.stage = new Uint8Array(stagingSize);
    this.view = new DataView(this.stage.buffer);
  }

  /** Bytes not yet taken. */
  get pending(): number {
    return this.queued + (this.stagePos - this.stageStart);
  }

  private room(n: number): number {
    if (this.stagePos + n > this.stage.length) {
      this.flushStage();
      const size = Math.max(this.stagingSize, n);
      this.stage = new Uint8Array(size);
      this.view = new DataView(this.stage.buffer);
      this.stageStart = 0;
      this.stagePos = 0;
    }
    const at = this.stagePos;
    this.stagePos += n;
    this.written += n;
    return at;
  }

  private flushStage(): void {
    if (this.stagePos > this.stageStart) {
      this.chunks.push(this.stage.subarray(this.stageStart, this.stagePos));
      this.queued += this.stagePos - this.stageStart;
      this.stageStart = this.stagePos;
    }
  }

  u8(v: number): void {
    const at = this.room(1);
    this.stage[at] = v;
  }

  u16(v: number): void {
    const at = this.room(2);
    this.view.setUint16(at, v);
  }

  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0);
  }

  u64(v: number | bigint): void {
    const at = this.room(8);
    setU64(this.view, at, v);
  }

  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.stage.set(b, at);
  }

  countedString(s: string): void {
    if (s.length > 255) {
      throw new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `Name '${s.slice(0, 40)}...' is too long`);
    }
    this.u8(s.length);
    this.bytes(latin1Bytes(s));
  }

  /**
   * Appends `view` without copying it. The caller keeps the memory alive and
   * accepts that later changes to it before the write completes go on the wire
   * (guest RAM: a page written meanwhile is dirty again and will be resent).
   */
  append(view: Uint8Array): void {
    this.flushStage();
    this.chunks.push(view);
    this.queued += view.length;
    this.written += view.length;
  }

  /** Hands out everything written since the last take(), in order. */
  take(): Uint8Array[] {
    this.flushStage();
    const out = this.chunks;
    this.chunks = [];
    this.queued = 0;
    return out;
  }

  /** Convenience for tests and small streams: everything pending as one buffer. */
  takeBytes(): Uint8Array {
    const parts = this.take();
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
