/**
 * pause-before-switchover, migrate_cancel in each running state, and a
 * destination killed mid-stream: the source always runs on with its RAM
 * intact and can migrate again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from './helpers/livemig-process.js';
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
  startDestination,
  startPair,
  startVm,
  waitEvent,
  waitExit,
  waitStatus,
  type Vm,
  cleanupMigrationTests,
} from './helpers/migration.js';

after(cleanupMigrationTests);

/** The source runs, and its ab RAM is consistent (checked while briefly stopped). */
async function assertSourceIntact(src: Vm, name: string): Promise<void> {
  assert.deepEqual(await runState(src), { status: 'running', singlestep: false, running: true });
  await src.qmp.executeRaw('stop');
  assertAbConsistent(await dump(src, 128 * MiB, name));
  await src.qmp.executeRaw('cont');
}

/** Migrates `src` to a fresh destination and checks the destination's guest. */
async function migrateToFresh(src: Vm): Promise<void> {
  const { dst, uri } = await startDestination((d) => incomingUri('tcp', d), AB_VM, {
    events: true,
  });
  try {
    await setParams(src, CONVERGE);
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'completed');
    await waitStatus(dst, 'completed');
    assert.equal((await runState(dst)).status, 'running');
    await dst.qmp.executeRaw('stop');
    assertAbConsistent(await dump(dst, 128 * MiB, 'dst.bin'));
  } finally {
    await closeVms(dst);
  }
}

test('pause-before-switchover: pre-switchover, migrate-continue checks the state, then device → completed', async () => {
  const { src, dst, uri } = await startPair({
    caps: { events: true },
    srcCaps: { 'pause-before-switchover': true },
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    await waitEvent(src, 'MIGRATION', { status: 'pre-switchover' });
    assert.equal((await queryMigrate(src)).status, 'pre-switchover');
    assert.equal((await runState(src)).status, 'finish-migrate');
    await rejectsDesc(
      src.qmp.executeRaw('migrate-continue', { state: 'active' }),
      'Migration not in expected state: pre-switchover',
    );
    await src.qmp.executeRaw('migrate-continue', { state: 'pre-switchover' });
    await waitStatus(src, 'completed');
    assert.deepEqual(eventSummary(src, ['MIGRATION']).slice(-3), [
      'MIGRATION:pre-switchover',
      'MIGRATION:device',
      'MIGRATION:completed',
    ]);
    await waitStatus(dst, 'completed');
    await waitEvent(dst, 'RESUME');
  } finally {
    await closeVms(src, dst);
  }
});

test('migrate_cancel in setup, active and pre-switchover: cancelled, the source runs on intact, then migrates', async () => {
  const src = await startVm(AB_VM);
  await setCaps(src, { events: true });
  // A listener that accepts and never reads: the source cannot get far.
  const sockets: net.Socket[] = [];
  const sink = net.createServer((s) => void sockets.push(s));
  const port = await freePort();
  await new Promise<void>((r) => sink.listen(port, '127.0.0.1', r));
  try {
    // setup: cancel in the same breath as migrate.
    await Promise.all([
      src.qmp.executeRaw('migrate', { uri: `tcp:127.0.0.1:${port}` }),
      src.qmp.executeRaw('migrate_cancel'),
    ]);
    await waitStatus(src, 'cancelled', { ungoals: ['failed', 'completed'] });
    assert.deepEqual(eventSummary(src, ['MIGRATION']), [
      'MIGRATION:setup',
      'MIGRATION:cancelling',
      'MIGRATION:cancelled',
    ]);
    assert.deepEqual(await queryMigrate(src), { status: 'cancelled' });
    await assertSourceIntact(src, 'after-setup.bin');

    // active: a slow migration to a real destination.
    src.events.length = 0;
    let d = await startDestination((dir) => incomingUri('tcp', dir), AB_VM);
    await setParams(src, { 'max-bandwidth': 4 * MiB });
    await src.qmp.executeRaw('migrate', { uri: d.uri });
    await waitStatus(src, 'active');
    await src.qmp.executeRaw('migrate_cancel');
    await waitStatus(src, 'cancelled', { ungoals: ['failed', 'completed'] });
    assert.deepEqual(eventSummary(src, ['MIGRATION']), [
      'MIGRATION:setup',
      'MIGRATION:active',
      'MIGRATION:cancelling',
      'MIGRATION:cancelled',
    ]);
    assert.equal(await waitExit(d.dst), 1);
    await assertSourceIntact(src, 'after-active.bin');

    // pre-switchover: the VM is stopped there; cancel restarts it.
    src.events.length = 0;
    d = await startDestination((dir) => incomingUri('tcp', dir), AB_VM);
    await setParams(src, CONVERGE);
    await setCaps(src, { 'pause-before-switchover': true });
    await src.qmp.executeRaw('migrate', { uri: d.uri });
    await waitEvent(src, 'MIGRATION', { status: 'pre-switchover' });
    await src.qmp.executeRaw('migrate_cancel');
    await waitStatus(src, 'cancelled', { ungoals: ['failed', 'completed'] });
    assert.deepEqual(eventSummary(src, ['MIGRATION']).slice(-3), [
      'MIGRATION:pre-switchover',
      'MIGRATION:cancelling',
      'MIGRATION:cancelled',
    ]);
    await waitEvent(src, 'RESUME');
    assert.equal(await waitExit(d.dst), 1);
    await assertSourceIntact(src, 'after-pre-switchover.bin');

    // And a new migration succeeds.
    await setCaps(src, { 'pause-before-switchover': false });
    await migrateToFresh(src);
  } finally {
    for (const s of sockets) s.destroy();
    sink.close();
    await closeVms(src);
  }
});

test('destination killed (SIGKILL) mid-stream: the source fails with error-desc, runs on, migrates again', async () => {
  const { src, dst, uri } = await startPair({
    caps: { events: true },
    params: { 'max-bandwidth': 4 * MiB },
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = await waitStatus(src, 'active');
      const ram = info.ram as Record<string, unknown>;
      if (Number(ram.transferred) > 2 * MiB) break;
      assert.ok(Date.now() < deadline, 'no progress');
      await new Promise((r) => setTimeout(r, 50));
    }
    dst.proc.child.kill('SIGKILL');
    const info = await waitStatus(src, 'failed', { ungoals: ['completed', 'cancelled'] });
    assert.equal(typeof info['error-desc'], 'string');
    assert.notEqual(info['error-desc'], '');
    assert.deepEqual(eventSummary(src, ['MIGRATION']).slice(-1), ['MIGRATION:failed']);
    await assertSourceIntact(src, 'after-kill.bin');
    await migrateToFresh(src);
  } finally {
    await closeVms(src, dst);
  }
});
