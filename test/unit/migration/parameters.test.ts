/** migrate-set-parameters / query-migrate-parameters as QEMU 8.1 answers them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from '../../../src/errors.js';
import {
  MigrationOptions,
  PARAMETER_NAMES,
  type MigrateSetParameters,
  type ParameterName,
} from '../../../src/migration/options.js';
import { IDLE, caps, qemuOnly, throwsWith } from './helpers.js';

const PARAM = ErrorCode.MIGRATION_PARAMETER;
const UINT64_MAX = (1n << 64n) - 1n;

/** query-migrate-parameters of a fresh QEMU 7.2 (transcript 02), as JSON values. */
const QEMU_72_DEFAULTS: Record<string, unknown> = {
  'cpu-throttle-tailslow': false,
  'xbzrle-cache-size': 67108864,
  'cpu-throttle-initial': 20,
  'announce-max': 550,
  'decompress-threads': 2,
  'compress-threads': 8,
  'compress-level': 1,
  'multifd-channels': 2,
  'multifd-zstd-level': 1,
  'announce-initial': 50,
  'block-incremental': false,
  'compress-wait-thread': true,
  'downtime-limit': 300,
  'tls-authz': '',
  'multifd-compression': 'none',
  'announce-rounds': 5,
  'announce-step': 100,
  'tls-creds': '',
  'multifd-zlib-level': 1,
  'max-cpu-throttle': 99,
  'max-postcopy-bandwidth': 0,
  'tls-hostname': '',
  'throttle-trigger-threshold': 50,
  'max-bandwidth': 134217728,
  'x-checkpoint-delay': 20000,
  'cpu-throttle-increment': 10,
};

const asJson = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

test('defaults equal QEMU 7.2 for every shared parameter, plus the 8.1/8.2 additions', () => {
  const q = new MigrationOptions().queryParameters();
  for (const [name, value] of Object.entries(QEMU_72_DEFAULTS)) {
    assert.equal(asJson(q[name as ParameterName]), value, name);
  }
  assert.equal(q['x-vcpu-dirty-limit-period'], 1000n);
  assert.equal(q['vcpu-dirty-limit'], 1n);
  assert.equal(q['avail-switchover-bandwidth'], 0n);
  assert.deepEqual(
    Object.keys(q).sort(),
    [
      ...Object.keys(QEMU_72_DEFAULTS),
      'x-vcpu-dirty-limit-period',
      'vcpu-dirty-limit',
      'avail-switchover-bandwidth',
    ].sort(),
  );
  assert.deepEqual([...PARAMETER_NAMES].sort(), Object.keys(q).sort());
});

test('QAPI types: size/uint64 are bigint, uint8/uint32 number, tls-* strings', () => {
  const q = new MigrationOptions().queryParameters();
  for (const n of [
    'announce-initial',
    'announce-max',
    'announce-rounds',
    'announce-step',
    'max-bandwidth',
    'avail-switchover-bandwidth',
    'downtime-limit',
    'xbzrle-cache-size',
    'max-postcopy-bandwidth',
    'x-vcpu-dirty-limit-period',
    'vcpu-dirty-limit',
  ] as const) {
    assert.equal(typeof q[n], 'bigint', n);
  }
  for (const n of ['compress-level', 'multifd-channels', 'x-checkpoint-delay'] as const) {
    assert.equal(typeof q[n], 'number', n);
  }
});

/** One range rule: the last accepted and first refused values on each side. */
interface Bound {
  name: ParameterName;
  ok: Array<number | bigint>;
  bad: Array<number | bigint>;
  message: string;
}

const BOUNDS: Bound[] = [
  {
    name: 'compress-level',
    ok: [0, 9],
    bad: [10, 255],
    message: "Parameter 'compress_level' expects a value between 0 and 9",
  },
  {
    name: 'compress-threads',
    ok: [1, 255],
    bad: [0],
    message: "Parameter 'compress_threads' expects a value between 1 and 255",
  },
  {
    name: 'decompress-threads',
    ok: [1, 255],
    bad: [0],
    message: "Parameter 'decompress_threads' expects a value between 1 and 255",
  },
  {
    name: 'throttle-trigger-threshold',
    ok: [1, 100],
    bad: [0, 101],
    message: "Parameter 'throttle_trigger_threshold' expects an integer in the range of 1 to 100",
  },
  {
    name: 'cpu-throttle-initial',
    ok: [1, 99],
    bad: [0, 100],
    message: "Parameter 'cpu_throttle_initial' expects an integer in the range of 1 to 99",
  },
  {
    name: 'cpu-throttle-increment',
    ok: [1, 99],
    bad: [0, 100],
    message: "Parameter 'cpu_throttle_increment' expects an integer in the range of 1 to 99",
  },
  {
    name: 'downtime-limit',
    ok: [0n, 2_000_000n],
    bad: [2_000_001n, UINT64_MAX],
    message: "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms",
  },
  {
    name: 'multifd-channels',
    ok: [1, 255],
    bad: [0],
    message: "Parameter 'multifd_channels' expects a value between 1 and 255",
  },
  {
    name: 'xbzrle-cache-size',
    ok: [4096n, 134217728n, 1n << 40n, 1n << 63n],
    bad: [0n, 1000n, 2048n, 12288n, 100000000n, UINT64_MAX],
    message:
      "Parameter 'xbzrle_cache_size' expects a power of two no less than the target page size",
  },
  {
    name: 'max-cpu-throttle',
    ok: [20, 99],
    bad: [19, 100, 0],
    message:
      "Parameter 'max_cpu_throttle' expects an integer in the range of cpu_throttle_initial to 99",
  },
  {
    name: 'announce-initial',
    ok: [0n, 100_000n],
    bad: [100_001n],
    message: "Parameter 'announce_initial' expects a value between 0 and 100000",
  },
  {
    name: 'announce-max',
    ok: [0n, 100_000n],
    bad: [100_001n],
    message: "Parameter 'announce_max' expects a value between 0 and 100000",
  },
  {
    name: 'announce-rounds',
    ok: [0n, 1000n],
    bad: [1001n],
    message: "Parameter 'announce_rounds' expects a value between 0 and 1000",
  },
  {
    name: 'announce-step',
    ok: [1n, 10_000n],
    // 0 is refused although QEMU's text says "between 0 and".
    bad: [0n, 10_001n],
    message: "Parameter 'announce_step' expects a value between 0 and 10000",
  },
  {
    name: 'x-vcpu-dirty-limit-period',
    ok: [1n, 1000n],
    bad: [0n, 1001n],
    message: "Parameter 'x-vcpu-dirty-limit-period' expects a value between 1 and 1000",
  },
  {
    name: 'vcpu-dirty-limit',
    ok: [1n, UINT64_MAX],
    bad: [0n],
    message: "Parameter 'vcpu_dirty_limit' expects is invalid, it must greater then 1 MB/s",
  },
];

for (const b of BOUNDS) {
  test(`range of ${b.name}: both sides of each boundary`, () => {
    for (const v of b.bad) {
      const o = new MigrationOptions();
      const before = o.queryParameters();
      throwsWith(
        () => o.setParameters({ [b.name]: v } as MigrateSetParameters, IDLE),
        PARAM,
        b.message,
      );
      assert.deepEqual(o.queryParameters(), before, `${b.name}=${v} changed state`);
    }
    for (const v of b.ok) {
      const o = new MigrationOptions();
      o.setParameters({ [b.name]: v } as MigrateSetParameters, IDLE);
      assert.equal(o.param(b.name), v);
    }
  });
}

test('max_cpu_throttle is checked against cpu_throttle_initial in both directions', () => {
  const o = new MigrationOptions();
  const msg =
    "Parameter 'max_cpu_throttle' expects an integer in the range of cpu_throttle_initial to 99";
  o.setParameters({ 'cpu-throttle-initial': 99 }, IDLE);
  throwsWith(() => o.setParameters({ 'max-cpu-throttle': 98 }, IDLE), PARAM, msg);
  o.setParameters({ 'cpu-throttle-initial': 20 }, IDLE);
  o.setParameters({ 'max-cpu-throttle': 50 }, IDLE);
  // Raising the initial above the current max fails with max_cpu_throttle's message.
  throwsWith(() => o.setParameters({ 'cpu-throttle-initial': 60 }, IDLE), PARAM, msg);
  assert.equal(o.param('cpu-throttle-initial'), 20);
  // Both in one request are checked together (merged set).
  o.setParameters({ 'cpu-throttle-initial': 60, 'max-cpu-throttle': 70 }, IDLE);
  assert.equal(o.param('cpu-throttle-initial'), 60);
  assert.equal(o.param('max-cpu-throttle'), 70);
  o.setParameters({ 'max-cpu-throttle': 60 }, IDLE);
  assert.equal(o.param('max-cpu-throttle'), 60);
});

test('rules run in QEMU order: the first failing one is reported', () => {
  const o = new MigrationOptions();
  throwsWith(
    () =>
      o.setParameters(
        { 'vcpu-dirty-limit': 0n, 'downtime-limit': 2_000_001n, 'compress-level': 10 },
        IDLE,
      ),
    PARAM,
    "Parameter 'compress_level' expects a value between 0 and 9",
  );
  throwsWith(
    () => o.setParameters({ 'announce-step': 0n, 'multifd-channels': 0 }, IDLE),
    PARAM,
    "Parameter 'multifd_channels' expects a value between 1 and 255",
  );
});

test('all or nothing: a valid value next to an invalid one is not applied', () => {
  const o = new MigrationOptions();
  const before = o.queryParameters();
  throwsWith(
    () => o.setParameters({ 'downtime-limit': 123n, 'multifd-channels': 0 }, IDLE),
    PARAM,
    "Parameter 'multifd_channels' expects a value between 1 and 255",
  );
  assert.deepEqual(o.queryParameters(), before);
  assert.equal(o.param('downtime-limit'), 300n);
});

test('wrapped uint64 values round-trip (max-bandwidth -1 reads back 2^64-1)', () => {
  const o = new MigrationOptions();
  o.setParameters({ 'max-bandwidth': UINT64_MAX, 'max-postcopy-bandwidth': UINT64_MAX }, IDLE);
  const q = o.queryParameters();
  assert.equal(q['max-bandwidth'], 18446744073709551615n);
  assert.equal(q['max-postcopy-bandwidth'], 18446744073709551615n);
  o.setParameters({ 'max-bandwidth': 0n, 'avail-switchover-bandwidth': UINT64_MAX }, IDLE);
  assert.equal(o.param('max-bandwidth'), 0n);
  assert.equal(o.param('avail-switchover-bandwidth'), UINT64_MAX);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), (v) => {
      o.setParameters({ 'max-bandwidth': v }, IDLE);
      return o.queryParameters()['max-bandwidth'] === v;
    }),
  );
});

test('multifd-zlib-level / multifd-zstd-level: accepted, never validated, never applied (8.1)', () => {
  const o = new MigrationOptions();
  const changes: ParameterName[][] = [];
  o.onChange = (c) => changes.push(c);
  for (const v of [10, 5, 255]) o.setParameters({ 'multifd-zlib-level': v }, IDLE);
  for (const v of [21, 7]) o.setParameters({ 'multifd-zstd-level': v }, IDLE);
  assert.equal(o.param('multifd-zlib-level'), 1);
  assert.equal(o.param('multifd-zstd-level'), 1);
  assert.deepEqual(changes, []);
  // Still validated when they come from -global (start-up check).
  const g = new MigrationOptions();
  g.applyGlobal('multifd-zlib-level', '10');
  throwsWith(
    () => g.checkStartup(),
    PARAM,
    "Parameter 'multifd_zlib_level' expects a value between 0 and 9",
  );
  const z = new MigrationOptions();
  z.applyGlobal('multifd-zstd-level', '21');
  throwsWith(
    () => z.checkStartup(),
    PARAM,
    "Parameter 'multifd_zstd_level' expects a value between 0 and 20",
  );
  const ok = new MigrationOptions();
  ok.applyGlobal('multifd-zlib-level', '9');
  ok.applyGlobal('multifd-zstd-level', '20');
  ok.checkStartup();
  assert.equal(ok.param('multifd-zlib-level'), 9);
  assert.equal(ok.param('multifd-zstd-level'), 20);
});

test('tls-* accept any string and null (= ""), read back as strings', () => {
  const o = new MigrationOptions();
  o.setParameters({ 'tls-creds': 'nosuch', 'tls-hostname': 'h', 'tls-authz': 'a' }, IDLE);
  assert.equal(o.param('tls-creds'), 'nosuch');
  assert.equal(o.param('tls-hostname'), 'h');
  assert.equal(o.param('tls-authz'), 'a');
  o.setParameters({ 'tls-creds': null, 'tls-hostname': null, 'tls-authz': null }, IDLE);
  const q = o.queryParameters();
  assert.equal(q['tls-creds'], '');
  assert.equal(q['tls-hostname'], '');
  assert.equal(q['tls-authz'], '');
});

test('the other members are stored as given', () => {
  const o = new MigrationOptions();
  o.setParameters(
    {
      'compress-wait-thread': false,
      'cpu-throttle-tailslow': true,
      'block-incremental': true,
      'x-checkpoint-delay': 0xffff_ffff,
      'multifd-compression': 'zstd',
      'max-postcopy-bandwidth': 4096n,
    },
    IDLE,
  );
  const q = o.queryParameters();
  assert.equal(q['compress-wait-thread'], false);
  assert.equal(q['cpu-throttle-tailslow'], true);
  assert.equal(q['block-incremental'], true);
  assert.equal(q['x-checkpoint-delay'], 0xffff_ffff);
  assert.equal(q['multifd-compression'], 'zstd');
  assert.equal(q['max-postcopy-bandwidth'], 4096n);
});

test('an empty request is accepted and changes nothing', () => {
  const o = new MigrationOptions();
  let called = false;
  o.onChange = () => (called = true);
  o.setParameters({}, IDLE);
  assert.deepEqual(o.queryParameters(), new MigrationOptions().queryParameters());
  assert.equal(called, false);
});

test('parameters may change during a migration; onChange reports what was applied', () => {
  const o = new MigrationOptions();
  const changes: ParameterName[][] = [];
  o.onChange = (c) => changes.push(c);
  const running = { migrationInProgress: true };
  o.setParameters({ 'max-bandwidth': 1000n, 'downtime-limit': 1n }, running);
  o.setParameters({ 'xbzrle-cache-size': 4096n, 'multifd-channels': 4 }, running);
  // Same value again is still reported: QEMU re-applies (e.g. resets the rate limiter).
  o.setParameters({ 'downtime-limit': 1n }, running);
  assert.deepEqual(changes, [
    ['max-bandwidth', 'downtime-limit'],
    ['multifd-channels', 'xbzrle-cache-size'],
    ['downtime-limit'],
  ]);
  assert.equal(o.param('downtime-limit'), 1n);
  // A refused request does not call the hook.
  assert.throws(() => o.setParameters({ 'downtime-limit': 2_000_001n }, running));
  assert.equal(changes.length, 3);
});

test('zero-copy-send on: compression or TLS parameters are refused', () => {
  const o = qemuOnly();
  o.setCapabilities(caps('multifd', 'zero-copy-send'), IDLE);
  const msg = 'Zero copy only available for non-compressed non-TLS multifd migration';
  throwsWith(() => o.setParameters({ 'multifd-compression': 'zlib' }, IDLE), PARAM, msg);
  throwsWith(() => o.setParameters({ 'tls-creds': 'tls0' }, IDLE), PARAM, msg);
  o.setParameters({ 'tls-creds': '', 'multifd-compression': 'none', 'tls-hostname': 'x' }, IDLE);
  // Without the capability both are fine.
  const p = qemuOnly();
  p.setParameters({ 'multifd-compression': 'zlib', 'tls-creds': 'tls0' }, IDLE);
  assert.equal(p.param('tls-creds'), 'tls0');
});

test('the xbzrle page-size rule follows the configured target page size', () => {
  const o = new MigrationOptions({ targetPageSize: 65536 });
  throwsWith(
    () => o.setParameters({ 'xbzrle-cache-size': 32768n }, IDLE),
    PARAM,
    "Parameter 'xbzrle_cache_size' expects a power of two no less than the target page size",
  );
  o.setParameters({ 'xbzrle-cache-size': 65536n }, IDLE);
});

test('queryParameters returns a copy', () => {
  const o = new MigrationOptions();
  const q = o.queryParameters();
  q['downtime-limit'] = 5n;
  assert.equal(o.param('downtime-limit'), 300n);
});
