/**
 * Worker that samples the process's RSS every 2 ms into a shared Float64Array
 * ([0] = peak bytes since the main thread last zeroed it). A worker is needed
 * because inspectFile is synchronous: a timer on the main thread would never
 * fire while it runs. RSS is per process, so the worker sees the main thread's.
 */
import process from 'node:process';
import { setInterval } from 'node:timers';
import { workerData } from 'node:worker_threads';

const peak = new Float64Array(workerData as SharedArrayBuffer);
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peak[0]!) peak[0] = rss;
}, 2);
