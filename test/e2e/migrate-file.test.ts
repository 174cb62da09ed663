/**
 * Non-socket and machine-less migrations: a paused VM saved to `file:` and
 * restored by a new process with `-incoming file:` (and a truncated copy
 * refused), and `-machine none` with a loader blob over tcp.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  AB_VM,
  MiB,
  assertAbConsistent,
  closeVms,
  dump,
  incomingUri,
  runState,
  setCaps,
  startDestination,
  startVm,
  waitEvent,
  waitExit,
  waitSerialB,
  waitStatus,
  cleanupMigrationTests,
  scratchDir,
} from './helpers/migration.js';

after(cleanupMigrationTests);

test('file: migration of a paused VM, restored by a new process with -incoming file:', async () => {
  const src = await startVm(AB_VM);
  const dir = scratchDir();
  const file = path.join(dir, 'vm.state');
  try {
    await waitSerialB(src);
    await src.qmp.executeRaw('stop');
    await setCaps(src, { events: true });
    await src.qmp.executeRaw('migrate', { uri: `file:${file}` });
    await waitStatus(src, 'completed');
    assert.equal((await runState(src)).status, 'postmigrate');
    const srcRam = await dump(src, 128 * MiB, 'src.bin');
    assertAbConsistent(srcRam);
    assert.ok(statSync(file).size > 90 * MiB, `stream of ${statSync(file).size} bytes`);

    const dst = await startVm([...AB_VM, '-incoming', `file:${file}`], { dir });
    await waitStatus(dst, 'completed');
    // The source was paused: so is the restored VM; its RAM is the source's.
    assert.equal((await runState(dst)).status, 'paused');
    assert.ok(srcRam.equals(await dump(dst, 128 * MiB, 'dst.bin')), 'restored RAM differs');
    await dst.qmp.executeRaw('cont');
    await waitEvent(dst, 'RESUME');
    await waitSerialB(dst);
    await closeVms(dst);

    // A truncated copy of the same stream is refused: exit status 1.
    const cut = path.join(dir, 'cut.state');
    writeFileSync(cut, readFileSync(file).subarray(0, 8 * MiB));
    const bad = await startVm([...AB_VM, '-incoming', `file:${cut}`], { dir: scratchDir() });
    assert.equal(await waitExit(bad), 1);
    assert.match(bad.proc.stderr(), /load of migration failed: \S.*/);
  } finally {
    await closeVms(src);
  }
});

test('-machine none with a loader blob: livemig → livemig over tcp keeps the blob', async () => {
  const dir = scratchDir();
  const blobFile = path.join(dir, 'blob.bin');
  const blob = randomBytes(256 * 1024);
  writeFileSync(blobFile, blob);
  const addr = 0x100000;
  const none = ['-machine', 'none', '-m', '64M'];
  const src = await startVm([...none, '-device', `loader,file=${blobFile},addr=${addr}`], {
    dir,
  });
  const { dst, uri } = await startDestination((d) => incomingUri('tcp', d), none, {
    events: true,
  });
  try {
    await setCaps(src, { events: true });
    await src.qmp.executeRaw('migrate', { uri });
    await waitStatus(src, 'completed');
    await waitStatus(dst, 'completed');
    const a = await dump(src, 64 * MiB, 'src.bin');
    const b = await dump(dst, 64 * MiB, 'dst.bin');
    assert.ok(a.subarray(addr, addr + blob.length).equals(blob), 'blob not loaded on the source');
    assert.ok(b.subarray(addr, addr + blob.length).equals(blob), 'blob lost in migration');
    assert.ok(a.equals(b), 'destination RAM differs from the source');
  } finally {
    await closeVms(src, dst);
  }
});
