/** The report's number formatting: human units, and "n/a" for anything not recorded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NA,
  formatBytes,
  formatCheck,
  formatCount,
  formatDuration,
  formatMbps,
  formatMs,
  bytesPerSecToMbps,
} from '../../../src/report/format.js';

test('bytes are shown in binary units with sensible precision', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1000), '1,000 B');
  assert.equal(formatBytes(4096), '4 KiB');
  assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
  assert.equal(formatBytes(385167182), '367.3 MiB');
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.5 MiB');
  assert.equal(formatBytes(1.25 * 1024 * 1024), '1.25 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3 GiB');
});

test('milliseconds keep their value; durations switch to seconds from ten seconds on', () => {
  assert.equal(formatMs(9), '9 ms');
  assert.equal(formatMs(0.4), '0.4 ms');
  assert.equal(formatMs(1400), '1,400 ms');
  assert.equal(formatMs(1412.6), '1,413 ms');
  assert.equal(formatDuration(2915), '2,915 ms');
  assert.equal(formatDuration(12345), '12.35 s');
});

test('rates are Mbit/s (decimal, as QEMU reports them); counts are grouped', () => {
  assert.equal(formatMbps(1057.06), '1,057 Mbit/s');
  assert.equal(formatMbps(41.52), '41.5 Mbit/s');
  assert.equal(bytesPerSecToMbps(125_000_000), 1000);
  assert.equal(formatCount(65536), '65,536');
});

test('missing and non-finite values are n/a, never a thrown error or "NaN"', () => {
  for (const f of [formatBytes, formatMs, formatDuration, formatMbps, formatCount]) {
    assert.equal(f(undefined), NA);
    assert.equal(f(Number.NaN), NA);
    assert.equal(f(Number.POSITIVE_INFINITY), NA);
  }
  assert.equal(NA, 'n/a');
});

test('checks read as pass, fail or n/a', () => {
  assert.equal(formatCheck(true), '✓ pass');
  assert.equal(formatCheck(false), '✗ fail');
  assert.equal(formatCheck(undefined), 'n/a');
});
