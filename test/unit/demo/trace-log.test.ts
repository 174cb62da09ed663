// Trace lines from two processes and the downtime breakdown cut from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downtimeBreakdown, findTrace, parseTraceLines } from '../../../src/demo/trace-log.js';

const SRC = [
  '1790000000000.000 11 migration_completion',
  '1790000000001.500 11 vmstate_downtime_checkpoint src-downtime-start',
  '1790000000003.000 11 vmstate_downtime_checkpoint src-vm-stopped',
  '1790000000012.250 11 vmstate_downtime_checkpoint src-iterable-saved',
  'some other stderr line',
  '1790000000014.250 11 vmstate_downtime_checkpoint src-non-iterable-saved',
  '1790000000030.000 11 vmstate_downtime_checkpoint src-downtime-end',
].join('\n');
const DST = [
  '1789999999000.000 22 loadvm_approve_switchover switchover_ack_pending_num=0',
  '1790000000020.250 22 vmstate_downtime_checkpoint dst-precopy-loadvm-completed',
  '1790000000020.300 22 vmstate_downtime_checkpoint dst-precopy-bh-enter',
  '1790000000022.250 22 vmstate_downtime_checkpoint dst-precopy-bh-vm-started',
].join('\n');

test('trace lines parse into epoch times, names and args; other lines are skipped', () => {
  const p = parseTraceLines(SRC);
  assert.equal(p.length, 6);
  assert.deepEqual(p[0], { atMs: 1790000000000, name: 'migration_completion', args: '' });
  assert.equal(findTrace(p, 'vmstate_downtime_checkpoint', 'src-vm-stopped')?.atMs, 1790000000003);
  assert.equal(findTrace(p, 'vmstate_downtime_checkpoint', 'src-vm')?.atMs, undefined);
  const d = parseTraceLines(DST);
  assert.equal(findTrace(d, 'loadvm_approve_switchover')?.args, 'switchover_ack_pending_num=0');
});

test('the downtime window is cut into its four parts across both processes', () => {
  const b = downtimeBreakdown(parseTraceLines(SRC), parseTraceLines(DST));
  assert.deepEqual(b.parts, [
    { name: 'final RAM', ms: 10.75 },
    { name: 'device state', ms: 2 },
    { name: 'load and preparation', ms: 6 },
    { name: 'start', ms: 2 },
  ]);
  assert.equal(b.guestVisibleMs, 20.75);
  assert.equal(b.startAtMs, 1790000000001.5);
});

test('missing checkpoints drop their parts; clock skew never gives negative spans', () => {
  const skewed = DST.replace('1790000000020.250', '1790000000010.000');
  const b = downtimeBreakdown(parseTraceLines(SRC), parseTraceLines(skewed));
  assert.equal(b.parts.find((p) => p.name === 'load and preparation')?.ms, 0);
  const none = downtimeBreakdown(parseTraceLines(SRC), []);
  assert.deepEqual(
    none.parts.map((p) => p.name),
    ['final RAM', 'device state'],
  );
  assert.equal(none.guestVisibleMs, undefined);
});
