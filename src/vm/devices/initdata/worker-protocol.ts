/** Messages between the initdata destination and its preparation worker. */
import type { PrepExtent } from './prepare.js';

export interface WorkerData {
  /** The destination's device state, written by the worker only. */
  state: SharedArrayBuffer;
}

/** One received blob, transferred (not copied) to the worker; `buf` may be longer than the blob. */
export interface ToWorker {
  seq: number;
  buf: ArrayBuffer;
  extents: PrepExtent[];
}

export type FromWorker =
  | {
      type: 'done';
      seq: number;
      /** The message's buffer, handed back for reuse. */
      buf: ArrayBuffer;
      preparedBlocks: number;
      preparedBytes: number;
      indexSize: number;
    }
  | { type: 'error'; seq: number; message: string };
