/** A live `ab` migration between two `livemig run` processes, checked the way QEMU's qtests do. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MiB,
  assertAbConsistent,
  closeVms,
  dump,
  eventSummary,
  queryMigrate,
  readSerial,
  runState,
  sleep,
  startPair,
  waitEvent,
  waitSerialB,
  waitStatus,
  cleanupMigrationTests,
} from './helpers/migration.js';

after(cleanupMigrationTests);

/** MigrationStats members in QEMU 8.1. */
const RAM_MEMBERS = [
  'transferred',
  'remaining',
  'total',
  'duplicate',
  'skipped',
  'normal',
  'normal-bytes',
  'dirty-pages-rate',
  'mbps',
  'dirty-sync-count',
  'postcopy-requests',
  'page-size',
  'multifd-bytes',
  'pages-per-second',
  'precopy-bytes',
  'downtime-bytes',
  'postcopy-bytes',
  'dirty-sync-missed-zero-copy',
].sort();

const MIGRATION_EVENTS = ['MIGRATION', 'MIGRATION_PASS', 'STOP', 'RESUME'];

for (const transport of ['tcp', 'unix'] as const) {
  // Over unix the destination starts with -S and -incoming defer + migrate-incoming:
  // it stays paused after the migration, so its RAM can be compared with the
  // stopped source's. Over tcp (-incoming URI) the MIGRATION {setup} event is
  // sent before any QMP client negotiated, so it is not seen.
  const destPaused = transport === 'unix';
  test(`live ab migration over ${transport} completes; RAM, serial and events as in QEMU${
    destPaused ? ' (destination -S, RAM equal)' : ''
  }`, async () => {
    const { src, dst, uri } = await startPair({
      transport,
      caps: { events: true },
      dstArgs: destPaused ? ['-S'] : [],
      defer: destPaused,
    });
    try {
      await waitSerialB(src);
      await src.qmp.executeRaw('migrate', { uri });
      const info = await waitStatus(src, 'completed');
      await waitEvent(src, 'STOP');
      await waitStatus(dst, 'completed');
      assert.equal((await runState(src)).status, 'postmigrate');

      // Source events: setup, PASS 1, active, PASS 2..n, STOP, PASS n+1, completed.
      const ev = eventSummary(src, MIGRATION_EVENTS);
      const count = Number((info.ram as Record<string, unknown>)['dirty-sync-count']);
      assert.ok(count >= 2, `dirty-sync-count ${count}`);
      const passes = Array.from({ length: count }, (_, i) => `MIGRATION_PASS:${i + 1}`);
      assert.deepEqual(ev, [
        'MIGRATION:setup',
        passes[0],
        'MIGRATION:active',
        ...passes.slice(1, -1),
        'STOP',
        passes.at(-1),
        'MIGRATION:completed',
      ]);

      // query-migrate on completion: QEMU 8.1's members, downtime instead of expected-downtime.
      assert.deepEqual(Object.keys(info).sort(), [
        'downtime',
        'ram',
        'setup-time',
        'status',
        'total-time',
      ]);
      const ram = info.ram as Record<string, unknown>;
      assert.deepEqual(Object.keys(ram).sort(), RAM_MEMBERS);
      assert.equal(ram.remaining, 0);
      assert.equal(ram['page-size'], 4096);
      assert.equal(ram.total, 128 * MiB);
      assert.ok(Number(ram.normal) > 20_000, `normal ${String(ram.normal)}`);
      assert.equal(ram['normal-bytes'], Number(ram.normal) * 4096);
      assert.ok(Number(info['total-time']) >= Number(info.downtime));
      assert.deepEqual(await queryMigrate(dst), { status: 'completed' });

      const srcRam = await dump(src, 128 * MiB, 'src.bin');
      assertAbConsistent(srcRam);
      if (destPaused) {
        assert.deepEqual(eventSummary(dst, MIGRATION_EVENTS), [
          'MIGRATION:setup',
          'MIGRATION:active',
          'MIGRATION:completed',
        ]);
        assert.equal((await runState(dst)).status, 'paused');
        const dstRam = await dump(dst, 128 * MiB, 'dst.bin');
        assert.ok(srcRam.equals(dstRam), 'destination RAM differs from the source');
        await dst.qmp.executeRaw('cont');
      }
      await waitEvent(dst, 'RESUME');
      if (!destPaused) {
        assert.deepEqual(eventSummary(dst, MIGRATION_EVENTS), [
          'MIGRATION:active',
          'RESUME',
          'MIGRATION:completed',
        ]);
      }
      assert.deepEqual(await runState(dst), {
        status: 'running',
        singlestep: false,
        running: true,
      });

      // The guest goes on printing on the destination, and no more on the source.
      await waitSerialB(dst);
      const srcSerial = readSerial(src);
      await sleep(300);
      assert.equal(readSerial(src), srcSerial);
      assert.match(readSerial(dst), /^B+$/);

      // QEMU's end check: the destination guest runs, stops, and its RAM is consistent.
      await dst.qmp.executeRaw('stop');
      await waitEvent(dst, 'STOP');
      assertAbConsistent(await dump(dst, 128 * MiB, 'dst-end.bin'));
    } finally {
      await closeVms(src, dst);
    }
  });
}
