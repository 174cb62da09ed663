/** Messages between the initdata destination and its preparation worker. */
import type { PrepExtent } from './prepare.js';

export interface WorkerData {
  /** The destination's device state: the load thread writes blobs in, the worker reads them. */
  state: SharedArrayBuffer;
}

/**
 * One received blob. Without `buf` its extents are already in the state (the
 * usual case: no copy is queued); with `buf` (transferred, not copied) they are
 * in the blob, for the worker to copy in after their checksums match.
 */
export interface ToWorker {
  seq: number;
  buf?: ArrayBuffer;
  extents: PrepExtent[];
}

export type FromWorker =
  | {
      type: 'done';
      seq: number;
      preparedBlocks: number;
      preparedBytes: number;
      indexSize: number;
    }
  | { type: 'error'; seq: number; message: string };
