import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { createInitDataEntry } from '../../../src/vm/devices/initdata/index.js';
import {
  EOS,
  FakeClock,
  feed,
  feedByteByByte,
  isInitDataSent,
  lastMarker,
  loadCtx,
  makeDevice,
  runSource,
} from './initdata-helpers.js';

const KiB = 1024;

describe('initdata device: source and destination', () => {
  it('factory: idstr, version, size validation', () => {
    const { entry, device } = createInitDataEntry({
      id: 'vf0',
      size: 8 * KiB,
      role: 'source',
      sectionId: 5,
      instanceId: 0,
    });
    assert.equal(entry.idstr, 'vf0/initdata');
    assert.equal(entry.versionId, 1);
    assert.equal(entry.sectionId, 5);
    assert.equal(entry.live, device);
    assert.ok(device.verify().ok);
    for (const size of [100, -4096, 1.5]) {
      assert.throws(
        () => createInitDataEntry({ id: 'x', size, role: 'source', sectionId: 1, instanceId: 0 }),
        (e: { code?: string }) => e.code === ErrorCode.INVALID_PARAMETER,
      );
    }
  });

  it('ack on: INIT_DATA_SENT once, right after the last initial chunk; approval after preparation', async () => {
    const size = 256 * KiB;
    const src = makeDevice('source', size);
    const dst = makeDevice('destination', size);
    const ctx = loadCtx(true, dst);
    dst.loadSetup(ctx);
    assert.equal(dst.switchoverAckNeeded(), true);
    const payloads = runSource(src, { ack: true, budget: 64 * KiB });
    const sent = payloads.map(isInitDataSent);
    assert.equal(sent.filter(Boolean).length, 1);
    const at = sent.indexOf(true);
    // Each PART carries < 64 KiB: the last initial chunk is in the INIT_DATA_SENT part itself.
    const parts = payloads.filter((p) => p.kind === 'part');
    assert.equal(parts.indexOf(payloads[at]!), Math.ceil(size / (60 * KiB)) - 1);
    for (const p of parts) if (!isInitDataSent(p)) assert.equal(lastMarker(p), EOS);
    assert.equal(src.pendingEstimate(), 0);
    feed(dst, payloads, ctx);
    // Nothing prepared yet: the worker's replies need an event-loop turn.
    assert.equal(ctx.approvals, 0);
    await dst.loadComplete();
    assert.equal(ctx.approvals, 1);
    assert.deepEqual(ctx.preparedAtApproval, [size]);
    assert.equal(dst.preparedBlocks, size / 4096);
    const v = dst.verify();
    assert.deepEqual(v, { ok: true, mismatches: 0, digest: src.verify().digest });
    assert.deepEqual(ctx.failures, []);
    dst.loadCleanup();
  });

  it('ack off: no INIT_DATA_SENT, no approval; loadComplete waits for all preparation', async () => {
    const size = 512 * KiB;
    const src = makeDevice('source', size);
    const dst = makeDevice('destination', size);
    const ctx = loadCtx(false, dst);
    dst.loadSetup(ctx);
    const payloads = runSource(src, {
      ack: false,
      budget: 128 * KiB,
    });
    assert.ok(!payloads.some(isInitDataSent));
    // Leave part of the state for END (as after a VM stop): it must be prepared too.
    feed(dst, payloads, ctx);
    assert.equal(dst.preparedBytes, 0);
    await dst.loadComplete();
    assert.equal(dst.preparedBytes, size);
    assert.equal(ctx.approvals, 0);
    assert.equal(dst.verify().digest, src.verify().digest);
    dst.loadCleanup();
  });

  it('END carries unsent initial data and loadComplete covers it', async () => {
    const size = 256 * KiB;
    const src = makeDevice('source', size);
    const dst = makeDevice('destination', size);
    const ctx = loadCtx(true, dst);
    const payloads = runSource(src, { ack: true, budget: 64 * KiB, maxRounds: 2 });
    assert.ok(!payloads.some(isInitDataSent));
    feed(dst, payloads, ctx);
    await dst.loadComplete();
    assert.equal(ctx.approvals, 0);
    assert.ok(dst.verify().ok);
    assert.equal(dst.verify().digest, src.verify().digest);
    dst.loadCleanup();
  });

  it('0-size device: INIT_DATA_SENT in the first iterate, approved at once', async () => {
    const src = makeDevice('source', 0);
    const dst = makeDevice('destination', 0);
    const ctx = loadCtx(true, dst);
    const payloads = runSource(src, {
      ack: true,
      budget: 4096,
    });
    assert.equal(payloads.length, 3);
    assert.ok(isInitDataSent(payloads[1]!));
    feed(dst, payloads.slice(0, 2), ctx);
    assert.equal(ctx.approvals, 1);
    await dst.loadComplete();
    assert.equal(src.pendingExact(), 0);
    assert.deepEqual(dst.verify(), src.verify());
  });

  it('dirty-rate: pending accounting, resends, destination ends with the final source state', async () => {
    const size = 1024 * KiB;
    const clock = new FakeClock();
    const src = makeDevice('source', size, { dirtyRate: 4 * 1024 * KiB, clock });
    const dst = makeDevice('destination', size);
    const ctx = loadCtx(true, dst);
    let first = true;
    const payloads = runSource(src, {
      ack: true,
      budget: 256 * KiB,
      extraRounds: 3,
      maxRounds: 40,
      tick: () => {
        if (first) {
          // After setup nothing is sent: estimate = all initial data; exact doubles it.
          assert.equal(src.pendingEstimate(), size);
          assert.equal(src.pendingExact(), 2 * size);
          first = false;
        }
        clock.ms += 20;
      },
    });
    assert.ok(src.dirtiedBlocks > 50, `dirtied ${src.dirtiedBlocks}`);
    assert.equal(payloads.filter(isInitDataSent).length, 1);
    assert.equal(src.pendingEstimate(), 0);
    const before = src.verify().digest;
    clock.ms += 1000; // VM stopped after END: no more dirtying
    assert.equal(src.verify().digest, before);
    feed(dst, payloads, ctx);
    await dst.loadComplete();
    const v = dst.verify();
    assert.ok(v.ok, `mismatches ${v.mismatches}`);
    assert.equal(v.digest, src.verify().digest);
    assert.equal(ctx.approvals, 1);
    assert.ok(ctx.preparedAtApproval[0]! >= size);
    assert.ok(dst.preparedBytes > size, 'dirty blocks were resent');
    dst.loadCleanup();
  });

  it('byte-by-byte feeding with NeedMoreData retries gives the same result', async () => {
    const size = 64 * KiB;
    const clock = new FakeClock();
    const src = makeDevice('source', size, { dirtyRate: 2 * 1024 * KiB, clock });
    const dst = makeDevice('destination', size);
    const ctx = loadCtx(true, dst);
    const payloads = runSource(src, {
      ack: true,
      budget: 16 * KiB,
      extraRounds: 2,
      maxRounds: 30,
      tick: () => (clock.ms += 5),
    });
    for (const p of payloads) assert.equal(feedByteByByte(dst, p, ctx), p.bytes.byteLength);
    await dst.loadComplete();
    assert.equal(ctx.approvals, 1);
    assert.equal(dst.verify().digest, src.verify().digest);
    assert.ok(dst.verify().ok);
    dst.loadCleanup();
  });
});
