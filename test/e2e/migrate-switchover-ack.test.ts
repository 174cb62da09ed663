/** The switchover-ack capability between two `livemig run` processes (QEMU 8.1 semantics). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AB_VM,
  CONVERGE,
  MiB,
  assertAbConsistent,
  closeVms,
  dump,
  eventSummary,
  incomingUri,
  queryMigrate,
  rejectsDesc,
  runState,
  setCaps,
  setParams,
  sleep,
  startDestination,
  startPair,
  startVm,
  traceIndex,
  traceLines,
  waitEvent,
  waitExit,
  waitSerialB,
  waitStatus,
  cleanupMigrationTests,
  type Vm,
} from './helpers/migration.js';

after(cleanupMigrationTests);

const ACK_CAPS = { events: true, 'return-path': true, 'switchover-ack': true };
const SRC_TRACE =
  'source_return_path_thread_switchover_acked,migration_completion,migrate_pending_estimate';
const DST_TRACE = 'loadvm_approve_switchover,loadvm_state_switchover_ack_needed';

test('switchover-ack with no device that needs it: immediate ACK, then completion', async () => {
  const { src, dst, uri } = await startPair({
    caps: ACK_CAPS,
    srcTrace: SRC_TRACE,
    dstTrace: DST_TRACE,
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'completed');
    await waitStatus(dst, 'completed');
    const acked = traceIndex(src, 'source_return_path_thread_switchover_acked');
    const completion = traceIndex(src, 'migration_completion');
    assert.ok(acked >= 0 && completion > acked, `acked ${acked}, completion ${completion}`);
    assert.ok(traceIndex(dst, 'loadvm_state_switchover_ack_needed', 'num=0') >= 0);
    assert.equal(traceIndex(dst, 'loadvm_approve_switchover'), -1);
    await waitEvent(dst, 'RESUME');
    assert.equal((await runState(dst)).status, 'running');
  } finally {
    await closeVms(src, dst);
  }
});

test('switchover-ack with a 64M initdata device: the source iterates until the ACK; state equal', async () => {
  const device = ['-device', 'initdata,id=d0,size=64M'];
  const { src, dst, uri } = await startPair({
    caps: ACK_CAPS,
    srcArgs: device,
    dstArgs: device,
    srcTrace: SRC_TRACE,
    dstTrace: DST_TRACE,
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'completed', { timeoutMs: 90_000 });
    await waitStatus(dst, 'completed');

    // Destination: one device needs the ACK, and it approves (pending 1 → 0).
    const needed = traceLines(dst).find((l) => l.name === 'loadvm_state_switchover_ack_needed');
    assert.equal(needed?.args, 'switchover_ack_pending_num=1');
    const approve = traceLines(dst).filter((l) => l.name === 'loadvm_approve_switchover');
    assert.deepEqual(
      approve.map((l) => l.args),
      ['switchover_ack_pending_num=0'],
    );
    // Source: iterations ran before the ACK, completion only after it.
    const acked = traceIndex(src, 'source_return_path_thread_switchover_acked');
    const completion = traceIndex(src, 'migration_completion');
    const firstRound = traceIndex(src, 'migrate_pending_estimate');
    assert.ok(firstRound >= 0 && acked > firstRound, `round ${firstRound}, acked ${acked}`);
    assert.ok(completion > acked, `acked ${acked}, completion ${completion}`);

    const s = (await src.qmp.executeRaw('x-initdata-verify', { id: 'd0' })) as Record<
      string,
      unknown
    >;
    const d = (await dst.qmp.executeRaw('x-initdata-verify', { id: 'd0' })) as Record<
      string,
      unknown
    >;
    assert.equal(d.ok, true, JSON.stringify(d));
    assert.equal(d.mismatches, 0);
    assert.equal(s.digest, d.digest);
  } finally {
    await closeVms(src, dst);
  }
});

test('switchover-ack: stopping the source VM while it waits for the ACK lets it complete', async () => {
  // The destination never ACKs (its switchover-ack is off), so only the stop can release the source.
  const { src, dst, uri } = await startPair({
    caps: { events: true, 'return-path': true },
    srcCaps: { 'switchover-ack': true },
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'active');
    await sleep(1500);
    assert.equal((await queryMigrate(src)).status, 'active');
    await src.qmp.executeRaw('stop');
    await waitStatus(src, 'completed');
    await waitStatus(dst, 'completed');
    assert.equal((await runState(src)).status, 'postmigrate');
    // The source was paused, so the destination stays paused too (QEMU's globalstate).
    assert.equal((await runState(dst)).status, 'paused');
    const a = await dump(src, 128 * MiB, 'src.bin');
    const b = await dump(dst, 128 * MiB, 'dst.bin');
    assert.ok(a.equals(b), 'destination RAM differs from the source');
    assertAbConsistent(b);
  } finally {
    await closeVms(src, dst);
  }
});

test('switchover-ack on the source only: never completes, and migrate_cancel still works', async () => {
  const { src, dst, uri } = await startPair({
    caps: { events: true, 'return-path': true },
    srcCaps: { 'switchover-ack': true },
  });
  try {
    await waitSerialB(src);
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'active');
    await sleep(3000);
    const info = await queryMigrate(src);
    assert.equal(info.status, 'active');
    const ram = info.ram as Record<string, unknown>;
    assert.ok(Number(ram['dirty-sync-count']) >= 2, 'the source stopped iterating');
    assert.equal((await runState(src)).status, 'running');

    await src.qmp.executeRaw('migrate_cancel');
    await waitStatus(src, 'cancelled', { ungoals: ['failed', 'completed'] });
    assert.deepEqual(eventSummary(src, ['MIGRATION']).slice(-2), [
      'MIGRATION:cancelling',
      'MIGRATION:cancelled',
    ]);
    assert.equal((await runState(src)).running, true);
    // QEMU's destination fails and exits with status 1 when the source cancels.
    assert.equal(await waitExit(dst), 1);

    // The guest runs on with its RAM intact.
    const before = (await waitSerialB(src)).length;
    await waitSerialB(src, before);
    await src.qmp.executeRaw('stop');
    assertAbConsistent(await dump(src, 128 * MiB, 'src.bin'));
  } finally {
    await closeVms(src, dst);
  }
});

test("switchover-ack without return-path: QEMU's error", async () => {
  const vm = await startVm(['-m', '64M', '-machine', 'none']);
  try {
    await rejectsDesc(
      setCaps(vm, { 'switchover-ack': true }),
      "Capability 'switchover-ack' requires capability 'return-path'",
    );
    await setCaps(vm, { 'return-path': true, 'switchover-ack': true });
    await rejectsDesc(
      setCaps(vm, { 'return-path': false }),
      "Capability 'switchover-ack' requires capability 'return-path'",
    );
  } finally {
    await closeVms(vm);
  }
});

test('switchover-ack with initdata: a cancelled migration, then a new one to a fresh destination', async () => {
  const device = ['-device', 'initdata,id=d0,size=64M'];
  const { src, dst, uri } = await startPair({
    caps: ACK_CAPS,
    srcArgs: device,
    dstArgs: device,
    params: { 'max-bandwidth': 8 * MiB },
  });
  let dst2: Vm | undefined;
  try {
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'active');
    await sleep(1000);
    await src.qmp.executeRaw('migrate_cancel');
    await waitStatus(src, 'cancelled', { ungoals: ['failed', 'completed'] });
    assert.equal(await waitExit(dst), 1);

    const next = await startDestination(
      (d) => incomingUri('tcp', d),
      [...AB_VM, ...device],
      ACK_CAPS,
    );
    dst2 = next.dst;
    await setParams(src, CONVERGE);
    await src.qmp.executeRaw('migrate', { uri: next.uri });
    await waitStatus(src, 'completed', { timeoutMs: 90_000 });
    await waitStatus(dst2, 'completed');
    const s = (await src.qmp.executeRaw('x-initdata-verify', { id: 'd0' })) as Record<
      string,
      unknown
    >;
    const d = (await dst2.qmp.executeRaw('x-initdata-verify', { id: 'd0' })) as Record<
      string,
      unknown
    >;
    assert.equal(d.ok, true, JSON.stringify(d));
    assert.equal(s.digest, d.digest);
  } finally {
    await closeVms(src, dst, dst2);
  }
});
