/** A destination initdata device bounds the blobs queued for its worker by holding the stream. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feed, loadCtx, makeDevice, runSource } from './initdata-helpers.js';

test('when the preparation worker falls behind, the device asks the stream to wait', async () => {
  const size = 32 << 20;
  const src = makeDevice('source', size);
  const dst = makeDevice('destination', size);
  const payloads = runSource(src, { ack: true, budget: 1 << 20 });
  const ctx = loadCtx(true, dst);
  feed(dst, payloads, ctx); // 32 blobs at once: far more than the worker has prepared
  assert.ok(ctx.holds.length > 0, 'no hold was requested');
  await Promise.all(ctx.holds); // each hold settles once the worker catches up
  await dst.loadComplete();
  assert.deepEqual(ctx.failures, []);
  assert.equal(dst.verify().digest, src.verify().digest);
  dst.loadCleanup();
});
