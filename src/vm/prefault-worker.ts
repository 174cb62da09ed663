/**
 * Worker: touches every page of a RAM block so the kernel backs it before a
 * migration stream arrives. First-touch faults cost ~11–13 µs per page here,
 * which would otherwise cap an incoming stream near 0.2 GB/s. The touch is an
 * atomic add of 0, so it is harmless if the loader writes the page meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RamBlock, type RamBlockHandle } from './ram-block.js';

const block = RamBlock.fromHandle(workerData as RamBlockHandle);
block.prefault();
parentPort?.postMessage('done');
