// From query-migrate replies and QMP events to the report's RunRecord parts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimedEvent } from '../../../src/demo/child-vm.js';
import { sampleOf, summaryOf, timelineEvents } from '../../../src/demo/record-builder.js';
import type { MigrationInfo, MigrationStats } from '../../../src/qmp/client/types.js';

const RAM = {
  transferred: 1000n,
  remaining: 4096,
  total: 8192,
  duplicate: 3,
  normal: 5,
  'normal-bytes': 20480,
  'dirty-pages-rate': 10,
  mbps: 123.5,
  'dirty-sync-count': 2,
  'page-size': 4096,
} as unknown as MigrationStats;

test('a sample carries the counters the timeline plots', () => {
  const info: MigrationInfo = { status: 'active', ram: RAM, 'expected-downtime': 42 };
  assert.deepEqual(sampleOf(info, 150.4), {
    tMs: 150,
    status: 'active',
    pass: 2,
    remainingBytes: 4096,
    transferredBytes: 1000,
    mbps: 123.5,
    dirtyBytesPerSec: 40960,
    expectedDowntimeMs: 42,
  });
  assert.equal(sampleOf({ status: 'setup' }, 1), undefined);
});

function ev(atMs: number, event: string, data: Record<string, unknown> = {}): TimedEvent {
  return { atMs, event: { event, data, timestamp: { seconds: 0, microseconds: 0 } } };
}

test('events from both sides and the ACK are merged on one time axis', () => {
  const src = [
    ev(900, 'MIGRATION', { status: 'setup' }),
    ev(1000, 'MIGRATION', { status: 'setup' }),
    ev(1010, 'MIGRATION_PASS', { pass: 1 }),
    ev(2500, 'STOP'),
    ev(2600, 'MIGRATION', { status: 'completed' }),
  ];
  const dst = [ev(2550.25, 'RESUME'), ev(1005, 'MIGRATION', { status: 'active' })];
  const out = timelineEvents(1000, src, dst, 2400);
  assert.deepEqual(
    out.map((e) => [e.tMs, e.kind, e.side, e.detail]),
    [
      [0, 'status', 'source', 'setup'],
      [5, 'status', 'destination', 'active'],
      [10, 'pass', 'source', '1'],
      [1400, 'ack', 'source', undefined],
      [1500, 'stop', 'source', undefined],
      [1550.3, 'resume', 'destination', undefined],
      [1600, 'status', 'source', 'completed'],
    ],
  );
});

test('the summary: QEMU times, average throughput, error text', () => {
  const s = summaryOf(
    { status: 'completed', 'total-time': 2000, 'setup-time': 10, downtime: 12, ram: RAM },
    RAM,
    2100,
    1500,
  );
  assert.equal(s.totalMs, 2000);
  assert.equal(s.downtimeMs, 12);
  assert.equal(s.passes, 2);
  assert.equal(s.throughputMbps, (1000 * 8) / 1000 / 2000);
  assert.equal(s.ackMs, 1500);
  assert.equal(s.errorDesc, undefined);
  const f = summaryOf({ status: 'failed', 'error-desc': 'boom' }, undefined, 300, undefined);
  assert.equal(f.errorDesc, 'boom');
  assert.equal(f.passes, undefined);
  assert.equal(f.totalMs, undefined);
});
