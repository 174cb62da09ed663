/** `-global migration.PROP=VALUE` parsing and QEMU's start-up check of the result. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/errors.js';
import { MIGRATION_PROPERTIES, strtou64 } from '../../../src/migration/global-properties.js';
import { strtosz } from '../../../src/qemu-strtosz.js';
import { MigrationOptions } from '../../../src/migration/options.js';
import { ALL_SUPPORTED, FULL_HOST, throwsWith } from './helpers.js';

const INV = ErrorCode.INVALID_PARAMETER;
const UINT64_MAX = (1n << 64n) - 1n;

test('every QEMU 8.1 migration property exists (and nothing else)', () => {
  assert.deepEqual(Object.keys(MIGRATION_PROPERTIES).sort(), [
    'announce-initial',
    'announce-max',
    'announce-rounds',
    'announce-step',
    'avail-switchover-bandwidth',
    'decompress-error-check',
    'max-cpu-throttle',
    'max-postcopy-bandwidth',
    'multifd-channels',
    'multifd-compression',
    'multifd-flush-after-each-section',
    'multifd-zlib-level',
    'multifd-zstd-level',
    'send-configuration',
    'send-section-footer',
    'store-global-state',
    'tls-authz',
    'tls-creds',
    'tls-hostname',
    'vcpu-dirty-limit',
    'x-auto-converge',
    'x-background-snapshot',
    'x-block',
    'x-checkpoint-delay',
    'x-clear-bitmap-shift',
    'x-colo',
    'x-compress',
    'x-compress-level',
    'x-compress-threads',
    'x-compress-wait-thread',
    'x-cpu-throttle-increment',
    'x-cpu-throttle-initial',
    'x-cpu-throttle-tailslow',
    'x-decompress-threads',
    'x-dirty-limit',
    'x-downtime-limit',
    'x-events',
    'x-max-bandwidth',
    'x-multifd',
    'x-postcopy-preempt',
    'x-postcopy-ram',
    'x-preempt-pre-7-2',
    'x-rdma-pin-all',
    'x-release-ram',
    'x-return-path',
    'x-switchover-ack',
    'x-throttle-trigger-threshold',
    'x-vcpu-dirty-limit-period',
    'x-xbzrle',
    'x-zero-blocks',
    'x-zero-copy-send',
    'xbzrle-cache-size',
  ]);
});

test('compat booleans: defaults and -global overrides', () => {
  const o = new MigrationOptions();
  assert.equal(o.storeGlobalState, true);
  assert.equal(o.sendConfiguration, true);
  assert.equal(o.sendSectionFooter, true);
  assert.equal(o.decompressErrorCheck, true);
  assert.equal(o.multifdFlushAfterEachSection, false);
  assert.equal(o.clearBitmapShift, 18);
  assert.equal(o.preemptPre72, false);
  o.applyGlobal('store-global-state', 'off');
  o.applyGlobal('send-configuration', 'no');
  o.applyGlobal('send-section-footer', 'FALSE');
  o.applyGlobal('decompress-error-check', 'Off');
  o.applyGlobal('multifd-flush-after-each-section', 'on');
  o.applyGlobal('x-clear-bitmap-shift', '0x1e');
  o.applyGlobal('x-preempt-pre-7-2', 'yes');
  assert.equal(o.storeGlobalState, false);
  assert.equal(o.sendConfiguration, false);
  assert.equal(o.sendSectionFooter, false);
  assert.equal(o.decompressErrorCheck, false);
  assert.equal(o.multifdFlushAfterEachSection, true);
  assert.equal(o.clearBitmapShift, 30);
  assert.equal(o.preemptPre72, true);
  o.checkStartup();
});

test('booleans: on/yes/true and off/no/false in any case; anything else is refused', () => {
  for (const v of ['on', 'yes', 'true', 'ON', 'True', 'yEs']) {
    const o = new MigrationOptions();
    o.applyGlobal('x-events', v);
    assert.equal(o.cap('events'), true, v);
  }
  for (const v of ['off', 'no', 'false', 'OFF']) {
    const o = new MigrationOptions();
    o.applyGlobal('x-events', 'on');
    o.applyGlobal('x-events', v);
    assert.equal(o.cap('events'), false, v);
  }
  for (const v of ['1', '0', 'y', 'n', '', 'maybe']) {
    throwsWith(
      () => new MigrationOptions().applyGlobal('x-events', v),
      INV,
      `can't apply global migration.x-events=${v}: Invalid parameter type for 'x-events', expected: boolean`,
    );
  }
});

test('unknown property: QEMU text', () => {
  throwsWith(
    () => new MigrationOptions().applyGlobal('foo', 'bar'),
    INV,
    "can't apply global migration.foo=bar: Property 'migration.foo' not found",
  );
  // Names without a -global property (capabilities that have none, QMP-only parameters).
  for (const p of ['x-validate-uuid', 'downtime-limit', 'block-incremental', 'mode', 'toString']) {
    throwsWith(
      () => new MigrationOptions().applyGlobal(p, '1'),
      INV,
      `can't apply global migration.${p}=1: Property 'migration.${p}' not found`,
    );
  }
});

test('integer properties: decimal, hex, octal, wrap of negatives, type limits', () => {
  const o = new MigrationOptions();
  o.applyGlobal('multifd-channels', '16');
  assert.equal(o.param('multifd-channels'), 16);
  o.applyGlobal('multifd-channels', '0x10');
  assert.equal(o.param('multifd-channels'), 16);
  o.applyGlobal('multifd-channels', '010');
  assert.equal(o.param('multifd-channels'), 8);
  o.applyGlobal('x-downtime-limit', '1000');
  assert.equal(o.param('downtime-limit'), 1000n);
  o.applyGlobal('x-downtime-limit', '-1');
  assert.equal(o.param('downtime-limit'), UINT64_MAX);
  o.applyGlobal('x-checkpoint-delay', '4294967295');
  assert.equal(o.param('x-checkpoint-delay'), 4294967295);
  o.applyGlobal('vcpu-dirty-limit', '50');
  assert.equal(o.param('vcpu-dirty-limit'), 50n);

  const bad: Array<[string, string, string]> = [
    ['multifd-channels', '256', "Parameter 'multifd-channels' expects uint8_t"],
    ['multifd-channels', '-1', "Parameter 'multifd-channels' expects uint8_t"],
    ['multifd-channels', 'two', "Parameter 'multifd-channels' expects uint64"],
    ['multifd-channels', '2x', "Parameter 'multifd-channels' expects uint64"],
    ['multifd-channels', '08', "Parameter 'multifd-channels' expects uint64"],
    ['multifd-channels', '', "Parameter 'multifd-channels' expects uint64"],
    ['x-checkpoint-delay', '4294967296', "Parameter 'x-checkpoint-delay' expects uint32_t"],
    ['x-downtime-limit', '18446744073709551616', "Parameter 'x-downtime-limit' expects uint64"],
    ['x-downtime-limit', '1.5', "Parameter 'x-downtime-limit' expects uint64"],
    ['x-downtime-limit', '1k', "Parameter 'x-downtime-limit' expects uint64"],
  ];
  for (const [prop, value, tail] of bad) {
    throwsWith(
      () => new MigrationOptions().applyGlobal(prop, value),
      INV,
      `can't apply global migration.${prop}=${value}: ${tail}`,
    );
  }
});

test('size properties take suffixes and fractions like qemu_strtosz', () => {
  const o = new MigrationOptions();
  const cases: Array<[string, bigint]> = [
    ['1000', 1000n],
    ['64M', 64n << 20n],
    ['64m', 64n << 20n],
    ['1G', 1n << 30n],
    ['4k', 4096n],
    ['512B', 512n],
    ['1.5k', 1536n],
    ['0.5M', 512n << 10n],
    ['0x1000', 4096n],
    ['1.', 1n],
    ['15E', 15n << 60n],
  ];
  for (const [text, value] of cases) {
    o.applyGlobal('x-max-bandwidth', text);
    assert.equal(o.param('max-bandwidth'), value, text);
  }
  o.applyGlobal('xbzrle-cache-size', '32M');
  o.applyGlobal('max-postcopy-bandwidth', '1T');
  o.applyGlobal('avail-switchover-bandwidth', '100M');
  o.applyGlobal('announce-step', '50');
  assert.equal(o.param('xbzrle-cache-size'), 32n << 20n);
  assert.equal(o.param('max-postcopy-bandwidth'), 1n << 40n);
  assert.equal(o.param('avail-switchover-bandwidth'), 100n << 20n);
  assert.equal(o.param('announce-step'), 50n);
  o.checkStartup();

  const outOfRange = (v: string): string =>
    `can't apply global migration.x-max-bandwidth=${v}: Value '${v}' is out of range for parameter 'x-max-bandwidth'`;
  const invalid = (v: string): string =>
    `can't apply global migration.x-max-bandwidth=${v}: Parameter 'x-max-bandwidth' expects a non-negative number below 2^64`;
  for (const v of ['-1', '16E', '18446744073709551616', '17179869184G']) {
    throwsWith(() => new MigrationOptions().applyGlobal('x-max-bandwidth', v), INV, outOfRange(v));
  }
  for (const v of ['', 'x', '1.5', '1.5B', '0x10M', '0x1.8', '1Q', '10 M', '1e3', '-1x']) {
    throwsWith(() => new MigrationOptions().applyGlobal('x-max-bandwidth', v), INV, invalid(v));
  }
});

test('strtosz / strtou64 unit behaviour', () => {
  assert.deepEqual(strtosz('1.25K'), { value: 1280n });
  assert.deepEqual(strtosz('.5K'), { value: 512n });
  assert.deepEqual(strtosz(' 2M'), { value: 2n << 20n });
  // Rounds to 16 EiB = 2^64: out of range.
  assert.deepEqual(strtosz('15.9999999999999999999E'), { error: 'ERANGE' });
  assert.deepEqual(strtosz('15.5E'), { value: 31n << 59n });
  assert.deepEqual(strtosz('-.5'), { error: 'ERANGE' });
  // Trailing text turns any error into EINVAL.
  assert.deepEqual(strtosz('-.5K'), { error: 'EINVAL' });
  assert.equal(strtou64('0'), 0n);
  assert.equal(strtou64('-0x1'), UINT64_MAX);
  assert.equal(strtou64('+7'), 7n);
  assert.equal(strtou64('0x'), undefined);
  assert.equal(strtou64('1 '), undefined);
});

test('string and enum properties', () => {
  const o = new MigrationOptions();
  o.applyGlobal('tls-creds', 'tls0');
  o.applyGlobal('tls-hostname', 'example.org');
  o.applyGlobal('tls-authz', 'authz0');
  o.applyGlobal('multifd-compression', 'zstd');
  assert.equal(o.param('tls-creds'), 'tls0');
  assert.equal(o.param('tls-hostname'), 'example.org');
  assert.equal(o.param('tls-authz'), 'authz0');
  assert.equal(o.param('multifd-compression'), 'zstd');
  o.applyGlobal('tls-creds', '');
  assert.equal(o.param('tls-creds'), '');
  throwsWith(
    () => o.applyGlobal('multifd-compression', 'lz4'),
    INV,
    "can't apply global migration.multifd-compression=lz4: Parameter 'multifd-compression' does not accept value 'lz4'",
  );
  assert.equal(o.param('multifd-compression'), 'zstd');
});

test('parameter aliases reach the QMP-visible parameters', () => {
  const o = new MigrationOptions();
  const pairs: Array<[string, string, string, unknown]> = [
    ['x-compress-level', '9', 'compress-level', 9],
    ['x-compress-threads', '4', 'compress-threads', 4],
    ['x-compress-wait-thread', 'off', 'compress-wait-thread', false],
    ['x-decompress-threads', '3', 'decompress-threads', 3],
    ['x-throttle-trigger-threshold', '70', 'throttle-trigger-threshold', 70],
    ['x-cpu-throttle-initial', '30', 'cpu-throttle-initial', 30],
    ['x-cpu-throttle-increment', '5', 'cpu-throttle-increment', 5],
    ['x-cpu-throttle-tailslow', 'on', 'cpu-throttle-tailslow', true],
    ['x-max-bandwidth', '1M', 'max-bandwidth', 1n << 20n],
    ['x-downtime-limit', '500', 'downtime-limit', 500n],
    ['max-cpu-throttle', '95', 'max-cpu-throttle', 95],
    ['announce-initial', '10', 'announce-initial', 10n],
    ['announce-max', '20', 'announce-max', 20n],
    ['announce-rounds', '3', 'announce-rounds', 3n],
    ['x-vcpu-dirty-limit-period', '500', 'x-vcpu-dirty-limit-period', 500n],
  ];
  for (const [prop, value] of pairs) o.applyGlobal(prop, value);
  const q = o.queryParameters() as unknown as Record<string, unknown>;
  for (const [prop, , name, expected] of pairs) assert.equal(q[name], expected, prop);
  o.checkStartup();
});

test('capability flags: each x- property sets its capability', () => {
  const props: Array<[string, string]> = [
    ['x-xbzrle', 'xbzrle'],
    ['x-rdma-pin-all', 'rdma-pin-all'],
    ['x-auto-converge', 'auto-converge'],
    ['x-zero-blocks', 'zero-blocks'],
    ['x-compress', 'compress'],
    ['x-events', 'events'],
    ['x-postcopy-ram', 'postcopy-ram'],
    ['x-postcopy-preempt', 'postcopy-preempt'],
    ['x-colo', 'x-colo'],
    ['x-release-ram', 'release-ram'],
    ['x-block', 'block'],
    ['x-return-path', 'return-path'],
    ['x-multifd', 'multifd'],
    ['x-background-snapshot', 'background-snapshot'],
    ['x-zero-copy-send', 'zero-copy-send'],
    ['x-switchover-ack', 'switchover-ack'],
    ['x-dirty-limit', 'dirty-limit'],
  ];
  for (const [prop, capName] of props) {
    const o = new MigrationOptions();
    o.applyGlobal(prop, 'on');
    const on = o
      .queryCapabilities()
      .filter((c) => c.state)
      .map((c) => c.capability);
    assert.deepEqual(on, [capName], prop);
  }
});

test('checkStartup: switchover-ack alone fails with QEMU message; with return-path it passes', () => {
  const o = new MigrationOptions();
  o.applyGlobal('x-switchover-ack', 'on');
  throwsWith(
    () => o.checkStartup(),
    ErrorCode.MIGRATION_CAPABILITY,
    "Capability 'switchover-ack' requires capability 'return-path'",
  );
  o.applyGlobal('x-return-path', 'on');
  o.applyGlobal('x-events', 'on');
  o.checkStartup();
  assert.equal(o.cap('switchover-ack'), true);
  assert.equal(o.cap('return-path'), true);
});

test('checkStartup: parameters are checked before capabilities', () => {
  const o = new MigrationOptions();
  o.applyGlobal('x-switchover-ack', 'on');
  o.applyGlobal('x-downtime-limit', '2000001');
  throwsWith(
    () => o.checkStartup(),
    ErrorCode.MIGRATION_PARAMETER,
    "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms",
  );
  const p = new MigrationOptions();
  p.applyGlobal('x-cpu-throttle-initial', '50');
  p.applyGlobal('max-cpu-throttle', '40');
  throwsWith(
    () => p.checkStartup(),
    ErrorCode.MIGRATION_PARAMETER,
    "Parameter 'max_cpu_throttle' expects an integer in the range of cpu_throttle_initial to 99",
  );
});

test('checkStartup: the zero-copy parameter rule sees the -global capability', () => {
  const o = new MigrationOptions({ support: ALL_SUPPORTED, host: FULL_HOST });
  o.applyGlobal('x-multifd', 'on');
  o.applyGlobal('x-zero-copy-send', 'on');
  o.applyGlobal('tls-creds', 'tls0');
  throwsWith(
    () => o.checkStartup(),
    ErrorCode.MIGRATION_PARAMETER,
    'Zero copy only available for non-compressed non-TLS multifd migration',
  );
  o.applyGlobal('tls-creds', '');
  o.checkStartup();
});

test('checkStartup: livemig support rules apply too', () => {
  const cases: Array<[string, ErrorCode, string]> = [
    [
      'x-xbzrle',
      ErrorCode.UNSUPPORTED,
      "Capability 'xbzrle' is not supported by this version of livemig yet",
    ],
    [
      'x-rdma-pin-all',
      ErrorCode.UNSUPPORTED,
      "livemig compiled without RDMA support can't enable rdma-pin-all",
    ],
    [
      'x-block',
      ErrorCode.UNSUPPORTED,
      'QEMU compiled without old-style (blk/-b, inc/-i) block migration',
    ],
    ['x-colo', ErrorCode.UNSUPPORTED, "QEMU compiled without replication module can't enable COLO"],
    [
      'x-dirty-limit',
      ErrorCode.UNSUPPORTED,
      "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set",
    ],
    [
      'x-postcopy-preempt',
      ErrorCode.MIGRATION_CAPABILITY,
      'Postcopy preempt requires postcopy-ram',
    ],
  ];
  for (const [prop, code, message] of cases) {
    const o = new MigrationOptions();
    o.applyGlobal(prop, 'on');
    throwsWith(() => o.checkStartup(), code, message);
  }
  const fine = new MigrationOptions();
  for (const p of ['x-events', 'x-return-path', 'x-switchover-ack']) fine.applyGlobal(p, 'on');
  fine.applyGlobal('x-xbzrle', 'off');
  fine.checkStartup();
});

test('a failed -global leaves the previous value in place', () => {
  const o = new MigrationOptions();
  o.applyGlobal('x-max-bandwidth', '1M');
  assert.throws(() => o.applyGlobal('x-max-bandwidth', '1Q'));
  assert.equal(o.param('max-bandwidth'), 1n << 20n);
});
