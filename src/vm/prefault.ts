/** Pre-faults a RAM block in a worker thread, without blocking the event loop. */
import { Worker } from 'node:worker_threads';
import type { RamBlock } from './ram-block.js';
import { HELPER_WORKER_LIMITS } from './worker-limits.js';

export interface Prefault {
  /** Resolves when every page is faulted in (or the worker was stopped). */
  readonly done: Promise<void>;
  /** Stops the worker (e.g. at quit). */
  stop(): Promise<void>;
}

export function prefaultInBackground(block: RamBlock): Prefault {
  const w = new Worker(new URL('./prefault-worker.js', import.meta.url), {
    workerData: block.handle(),
    resourceLimits: HELPER_WORKER_LIMITS,
  });
  const done = new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', () => resolve());
  });
  return {
    done,
    stop: async () => {
      await w.terminate();
    },
  };
}
