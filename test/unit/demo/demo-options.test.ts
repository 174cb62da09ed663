// `livemig demo` option parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDemoArgs } from '../../../src/cli/demo-options.js';
import { UsageError } from '../../../src/cli/command-line.js';

test('defaults: 256M RAM, ab at 20000 pages/s, 256M initdata, with switchover-ack, downtime-limit 300', () => {
  const o = parseDemoArgs([])!;
  assert.equal(o.ramBytes, 256 << 20);
  assert.equal(o.workload, 'ab');
  assert.equal(o.initdataBytes, 256 << 20);
  assert.deepEqual(o.variants, [true]);
  assert.equal(o.downtimeLimitMs, 300);
  assert.equal(o.dirtyRate, 20_000);
  assert.equal(o.reportPath, 'livemig-demo-report.html');
  assert.equal(o.keep, false);
  assert.equal(parseDemoArgs(['--help']), undefined);
});

test('options map to what the runs use', () => {
  const o = parseDemoArgs([
    '--ram=64M',
    '--workload',
    'idle',
    '--initdata',
    '0',
    '--no-switchover-ack',
    '--downtime-limit',
    '50',
    '--max-bandwidth',
    '1G',
    '--report',
    'r.html',
    '--json',
    'r.json',
    '--keep',
  ])!;
  assert.equal(o.ramBytes, 64 << 20);
  assert.equal(o.workload, 'idle');
  assert.equal(o.initdataBytes, 0);
  assert.deepEqual(o.variants, [false]);
  assert.equal(o.downtimeLimitMs, 50);
  assert.equal(o.maxBandwidth, 1 << 30);
  assert.equal(o.jsonPath, 'r.json');
  assert.equal(o.keep, true);
  assert.deepEqual(parseDemoArgs(['--compare'])!.variants, [true, false]);
});

test('bad usage is a UsageError', () => {
  for (const argv of [
    ['--ram', 'lots'],
    ['--ram', '1M'],
    ['--initdata', '1000'],
    ['--workload', 'spin'],
    ['--downtime-limit', '0'],
    ['--compare', '--no-switchover-ack'],
    ['--compare', '--keep'],
    ['--report', ''],
    ['--bogus'],
    ['extra'],
  ]) {
    assert.throws(() => parseDemoArgs(argv), UsageError, argv.join(' '));
  }
});
