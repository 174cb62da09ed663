/**
 * Migrations that must fail, with QEMU's texts: a wrong UUID, a wrong machine
 * type, a corrupt stream, a refused connection. The destination exits with
 * status 1; the source fails and runs on.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './helpers/livemig-process.js';
import {
  AB_VM,
  closeVms,
  eventSummary,
  queryMigrate,
  runState,
  startPair,
  startVm,
  waitExit,
  waitStatus,
  cleanupMigrationTests,
  scratchDir,
} from './helpers/migration.js';

after(cleanupMigrationTests);

const SRC_UUID = '11111111-2222-3333-4444-555555555555';
const DST_UUID = '66666666-7777-8888-9999-aaaaaaaaaaaa';

test('validate-uuid with different -uuid: the destination fails and exits 1, the source runs on', async () => {
  const { src, dst, uri } = await startPair({
    caps: { events: true, 'validate-uuid': true },
    srcArgs: ['-uuid', SRC_UUID],
    dstArgs: ['-uuid', DST_UUID],
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    assert.equal(await waitExit(dst), 1);
    assert.match(
      dst.proc.stderr(),
      new RegExp(`UUID received is ${SRC_UUID} and local is ${DST_UUID}`),
    );
    const info = await waitStatus(src, 'failed', { ungoals: ['completed', 'cancelled'] });
    assert.equal(typeof info['error-desc'], 'string');
    assert.equal((await runState(src)).running, true);
  } finally {
    await closeVms(src, dst);
  }
});

test("wrong machine type (testvm → none): \"Machine type received is 'testvm' and local is 'none'\"", async () => {
  const { src, dst, uri } = await startPair({
    caps: { events: true },
    srcArgs: [],
    common: ['-m', '128M'],
    dstArgs: ['-machine', 'none'],
  });
  try {
    await src.qmp.executeRaw('migrate', { uri });
    assert.equal(await waitExit(dst), 1);
    assert.match(dst.proc.stderr(), /Machine type received is 'testvm' and local is 'none'/);
    await waitStatus(src, 'failed', { ungoals: ['completed', 'cancelled'] });
    assert.equal((await runState(src)).running, true);
  } finally {
    await closeVms(src, dst);
  }
});

test('a corrupt stream (garbage through exec:cat): the destination exits 1 with an error', async () => {
  const dir = scratchDir();
  const garbage = path.join(dir, 'garbage.bin');
  writeFileSync(garbage, Buffer.from('this is not a migration stream\n'.repeat(100)));
  const dst = await startVm([...AB_VM, '-incoming', `exec:cat ${garbage}`], { dir });
  try {
    assert.equal(await waitExit(dst), 1);
    assert.match(dst.proc.stderr(), /load of migration failed: Not a migration stream/);
  } finally {
    await closeVms(dst);
  }
});

test('connection refused: failed with "Failed to connect to \'127.0.0.1:PORT\': Connection refused"', async () => {
  const src = await startVm(AB_VM);
  try {
    await src.qmp.executeRaw('migrate-set-capabilities', {
      capabilities: [{ capability: 'events', state: true }],
    });
    const port = await freePort();
    await src.qmp.executeRaw('migrate', { uri: `tcp:127.0.0.1:${port}` });
    await waitStatus(src, 'failed', { ungoals: ['completed', 'cancelled'] });
    assert.deepEqual(await queryMigrate(src), {
      status: 'failed',
      'error-desc': `Failed to connect to '127.0.0.1:${port}': Connection refused`,
    });
    assert.deepEqual(eventSummary(src, ['MIGRATION']), ['MIGRATION:setup', 'MIGRATION:failed']);
    assert.equal((await runState(src)).running, true);
  } finally {
    await closeVms(src);
  }
});
