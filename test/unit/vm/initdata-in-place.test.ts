/**
 * The initdata destination writes received blocks straight into the device
 * state (no staging copy held for the worker), except a resend of a block the
 * worker has not finished checking: that one waits, in a buffer of its own,
 * for the worker to write it in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import {
  VFIO_MIG_FLAG_DEV_DATA_STATE as DATA,
  VFIO_MIG_FLAG_END_OF_STATE as EOS,
  checksum,
} from '../../../src/vm/devices/initdata/format.js';
import type { InitDataDevice } from '../../../src/vm/devices/initdata/index.js';
import { type TestLoadCtx, loadCtx, makeDevice } from './initdata-helpers.js';

const SIZE = 64 * 1024;
const BLOCK = 4096;

/** A PART payload with one blob of whole blocks, each filled with `fill` (checksum right unless `sum`). */
function part(exts: Array<{ block: number; fill: number; sum?: number }>): Uint8Array {
  const body = new ByteWriter();
  for (const e of exts) {
    const data = new Uint8Array(BLOCK).fill(e.fill);
    body
      .u64(e.block * BLOCK)
      .u32(BLOCK)
      .u32(e.sum ?? checksum(data))
      .bytes(data);
  }
  const b = body.finish();
  return new ByteWriter().u64(DATA).u64(b.byteLength).bytes(b).u64(EOS).finish();
}

function load(dst: InitDataDevice, ctx: TestLoadCtx, bytes: Uint8Array): void {
  dst.loadState(new ByteReader(bytes), 1, 'part', ctx);
}

/** The distinct byte values of a block of the destination's state. */
function blockBytes(dst: InitDataDevice, block: number): number[] {
  return [...new Set(dst.state.subarray(block * BLOCK, (block + 1) * BLOCK))];
}

describe('initdata destination: blocks go straight into the state', () => {
  it('a block is in the state as soon as it is loaded, before the worker has prepared it', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    load(dst, ctx, part([{ block: 2, fill: 7 }]));
    assert.deepEqual(blockBytes(dst, 2), [7]);
    assert.equal(dst.preparedBytes, 0, 'the worker replies on a later turn');
    await dst.loadComplete();
    assert.equal(dst.preparedBytes, BLOCK);
    assert.deepEqual(ctx.failures, []);
    await dst.loadCleanup();
  });

  it('a resend of a block still queued for the worker is written after it, in order', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    load(dst, ctx, part([{ block: 2, fill: 1 }]));
    load(
      dst,
      ctx,
      part([
        { block: 3, fill: 5 },
        { block: 2, fill: 2 },
      ]),
    );
    // Written in place now, block 2 would change under the worker's checksum of the first copy.
    assert.deepEqual(blockBytes(dst, 2), [1]);
    assert.deepEqual(blockBytes(dst, 3), [0], 'the whole blob waits with its resent block');
    await dst.loadComplete();
    assert.deepEqual(ctx.failures, []);
    assert.deepEqual(blockBytes(dst, 2), [2]);
    assert.deepEqual(blockBytes(dst, 3), [5]);
    assert.equal(dst.preparedBytes, 3 * BLOCK);
    assert.equal(dst.preparedBlocks, 2);
    // Once the worker has caught up, a resend goes straight in again.
    load(dst, ctx, part([{ block: 2, fill: 3 }]));
    assert.deepEqual(blockBytes(dst, 2), [3]);
    await dst.loadComplete();
    await dst.loadCleanup();
  });

  it('a queued resend with a bad checksum fails the load and never reaches the state', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    load(dst, ctx, part([{ block: 2, fill: 1 }]));
    load(dst, ctx, part([{ block: 2, fill: 2, sum: 0xbad }]));
    await assert.rejects(dst.loadComplete(), /checksum mismatch in extent at offset 0x2000/);
    assert.equal(ctx.failures.length, 1);
    assert.deepEqual(blockBytes(dst, 2), [1]);
    await dst.loadCleanup();
  });

  it('loadCleanup resolves once the preparation worker has exited', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    load(dst, ctx, part([{ block: 0, fill: 9 }]));
    await dst.loadComplete();
    const exited = dst.loadCleanup();
    assert.ok(exited instanceof Promise);
    await exited;
    await dst.loadCleanup(); // nothing left to stop
    assert.deepEqual(blockBytes(dst, 0), [9], 'the state outlives the worker');
  });
});
