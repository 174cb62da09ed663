/**
 * Worker entry: prepares the blobs the destination posts, in arrival order,
 * checking and indexing them (prepare.ts). Runs off the load thread so
 * preparation overlaps with the precopy stream.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Preparer } from './prepare.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

const data = workerData as WorkerData;
const prep = new Preparer(new Uint8Array(data.state));
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  try {
    prep.process(m.buf, m.extents);
    const reply: FromWorker = {
      type: 'done',
      seq: m.seq,
      preparedBlocks: prep.preparedBlocks,
      preparedBytes: prep.preparedBytes,
      indexSize: prep.indexSize,
    };
    port.postMessage(reply);
  } catch (e) {
    const reply: FromWorker = { type: 'error', seq: m.seq, message: (e as Error).message };
    port.postMessage(reply);
  }
});
