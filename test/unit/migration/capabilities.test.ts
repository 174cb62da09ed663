/** migrate-set-capabilities / query-migrate-capabilities as QEMU 8.1 answers them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/errors.js';
import { CAPABILITY_NAMES, type CapabilityName } from '../../../src/migration/capabilities.js';
import { MigrationOptions } from '../../../src/migration/options.js';
import { CAPABILITY_SUPPORT } from '../../../src/migration/support.js';
import { ALL_SUPPORTED, FULL_HOST, IDLE, caps, enabled, qemuOnly, throwsWith } from './helpers.js';

const CAP = ErrorCode.MIGRATION_CAPABILITY;

test('query lists all 23 QEMU 8.1 capabilities in enum order, all off', () => {
  const q = new MigrationOptions().queryCapabilities();
  // The 7.2 transcript's 21, then the two 8.1 additions.
  assert.deepEqual(
    q.map((c) => c.capability),
    [
      'xbzrle',
      'rdma-pin-all',
      'auto-converge',
      'zero-blocks',
      'compress',
      'events',
      'postcopy-ram',
      'x-colo',
      'release-ram',
      'block',
      'return-path',
      'pause-before-switchover',
      'multifd',
      'dirty-bitmaps',
      'postcopy-blocktime',
      'late-block-activate',
      'x-ignore-shared',
      'validate-uuid',
      'background-snapshot',
      'zero-copy-send',
      'postcopy-preempt',
      'switchover-ack',
      'dirty-limit',
    ],
  );
  assert.ok(q.every((c) => c.state === false));
  assert.deepEqual(Object.keys(q[0] ?? {}).sort(), ['capability', 'state']);
});

test('query returns fresh objects (callers cannot mutate the state)', () => {
  const o = new MigrationOptions();
  const q = o.queryCapabilities();
  const first = q[5];
  assert.ok(first);
  first.state = true;
  assert.equal(o.cap('events'), false);
});

test('switchover-ack requires return-path, both ways', () => {
  const o = new MigrationOptions();
  throwsWith(
    () => o.setCapabilities(caps('switchover-ack'), IDLE),
    CAP,
    "Capability 'switchover-ack' requires capability 'return-path'",
  );
  o.setCapabilities(caps('return-path', 'switchover-ack'), IDLE);
  assert.deepEqual(enabled(o), ['return-path', 'switchover-ack']);
  // Turning return-path off while switchover-ack stays on is refused too.
  throwsWith(
    () => o.setCapabilities([{ capability: 'return-path', state: false }], IDLE),
    CAP,
    "Capability 'switchover-ack' requires capability 'return-path'",
  );
  assert.deepEqual(enabled(o), ['return-path', 'switchover-ack']);
});

test('refused during a migration, even when turning something off', () => {
  const o = new MigrationOptions();
  o.setCapabilities(caps('events'), IDLE);
  for (const list of [caps('return-path'), [{ capability: 'events' as const, state: false }], []]) {
    throwsWith(
      () => o.setCapabilities(list, { migrationInProgress: true }),
      ErrorCode.BAD_STATE,
      "There's a migration process in progress",
    );
  }
  assert.deepEqual(enabled(o), ['events']);
});

test('a duplicated capability takes its last value', () => {
  const o = new MigrationOptions();
  o.setCapabilities(
    [
      { capability: 'events', state: true },
      { capability: 'events', state: false },
    ],
    IDLE,
  );
  assert.equal(o.cap('events'), false);
  o.setCapabilities(
    [
      { capability: 'events', state: false },
      { capability: 'events', state: true },
    ],
    IDLE,
  );
  assert.equal(o.cap('events'), true);
  // The last value is the one validated: switchover-ack on then off needs no return-path.
  o.setCapabilities(
    [
      { capability: 'switchover-ack', state: true },
      { capability: 'switchover-ack', state: false },
    ],
    IDLE,
  );
  assert.equal(o.cap('switchover-ack'), false);
});

test('all or nothing: a rejected list changes nothing', () => {
  const o = new MigrationOptions();
  o.setCapabilities(caps('events'), IDLE);
  const before = o.queryCapabilities();
  throwsWith(
    () =>
      o.setCapabilities(
        [
          { capability: 'events', state: false },
          { capability: 'validate-uuid', state: true },
          { capability: 'switchover-ack', state: true },
        ],
        IDLE,
      ),
    CAP,
    "Capability 'switchover-ack' requires capability 'return-path'",
  );
  assert.deepEqual(o.queryCapabilities(), before);
  // Same for livemig's own refusals.
  throwsWith(
    () => o.setCapabilities(caps('validate-uuid', 'xbzrle'), IDLE),
    ErrorCode.UNSUPPORTED,
    "Capability 'xbzrle' is not supported by this version of livemig yet",
  );
  assert.deepEqual(o.queryCapabilities(), before);
});

test('an empty list is accepted and changes nothing', () => {
  const o = new MigrationOptions();
  o.setCapabilities([], IDLE);
  assert.deepEqual(enabled(o), []);
});

test('the supported capabilities can all be on together', () => {
  const o = new MigrationOptions();
  const on: CapabilityName[] = [
    'events',
    'return-path',
    'pause-before-switchover',
    'validate-uuid',
    'switchover-ack',
  ];
  o.setCapabilities(caps(...on), IDLE);
  assert.deepEqual(enabled(o), on);
  for (const c of CAPABILITY_NAMES) assert.equal(o.cap(c), on.includes(c));
  // And off again: turning off is always allowed.
  o.setCapabilities(
    on.map((capability) => ({ capability, state: false })),
    IDLE,
  );
  assert.deepEqual(enabled(o), []);
});

/** QEMU's rules, each refused and then accepted once its condition is met. */
const RULES: Array<{
  name: string;
  bad: CapabilityName[];
  message: string;
  code?: ErrorCode;
  good: CapabilityName[];
}> = [
  {
    name: 'postcopy + x-ignore-shared',
    bad: ['postcopy-ram', 'x-ignore-shared'],
    message: 'Postcopy is not compatible with ignore-shared',
    good: ['postcopy-ram'],
  },
  {
    name: 'postcopy + multifd (8.1 still refuses it)',
    bad: ['postcopy-ram', 'multifd'],
    message: 'Postcopy is not yet compatible with multifd',
    good: ['multifd'],
  },
  {
    name: 'zero-copy-send without multifd',
    bad: ['zero-copy-send'],
    message: 'Zero copy only available for non-compressed non-TLS multifd migration',
    good: ['zero-copy-send', 'multifd'],
  },
  {
    name: 'zero-copy-send with xbzrle',
    bad: ['zero-copy-send', 'multifd', 'xbzrle'],
    message: 'Zero copy only available for non-compressed non-TLS multifd migration',
    good: ['zero-copy-send', 'multifd'],
  },
  {
    name: 'zero-copy-send with compress',
    bad: ['zero-copy-send', 'multifd', 'compress'],
    message: 'Zero copy only available for non-compressed non-TLS multifd migration',
    good: ['zero-copy-send', 'multifd'],
  },
  {
    name: 'postcopy-preempt without postcopy-ram',
    bad: ['postcopy-preempt'],
    message: 'Postcopy preempt requires postcopy-ram',
    good: ['postcopy-preempt', 'postcopy-ram'],
  },
  {
    name: 'postcopy-preempt with compress',
    bad: ['postcopy-preempt', 'postcopy-ram', 'compress'],
    message: 'Postcopy preempt not compatible with compress',
    good: ['postcopy-ram', 'compress'],
  },
  {
    name: 'multifd + compress',
    bad: ['multifd', 'compress'],
    message: 'Multifd is not compatible with compress',
    good: ['compress'],
  },
  {
    name: 'switchover-ack without return-path',
    bad: ['switchover-ack'],
    message: "Capability 'switchover-ack' requires capability 'return-path'",
    good: ['switchover-ack', 'return-path'],
  },
  {
    name: 'dirty-limit + auto-converge',
    bad: ['dirty-limit', 'auto-converge'],
    message: 'dirty-limit conflicts with auto-converge either of then available currently',
    good: ['dirty-limit'],
  },
];

for (const rule of RULES) {
  test(`QEMU rule: ${rule.name}`, () => {
    const o = qemuOnly();
    throwsWith(() => o.setCapabilities(caps(...rule.bad), IDLE), rule.code ?? CAP, rule.message);
    assert.deepEqual(enabled(o), []);
    o.setCapabilities(caps(...rule.good), IDLE);
    assert.deepEqual(enabled(o).sort(), [...rule.good].sort());
  });
}

test('8.2-only rules are absent: multifd + xbzrle and compress + xbzrle are accepted', () => {
  const o = qemuOnly();
  o.setCapabilities(caps('multifd', 'xbzrle'), IDLE);
  o.setCapabilities([{ capability: 'multifd', state: false }, ...caps('compress')], IDLE);
  assert.deepEqual(enabled(o), ['xbzrle', 'compress']);
});

test('background-snapshot conflicts, named in QEMU order', () => {
  const conflicts: CapabilityName[] = [
    'postcopy-ram',
    'dirty-bitmaps',
    'postcopy-blocktime',
    'late-block-activate',
    'return-path',
    'multifd',
    'pause-before-switchover',
    'auto-converge',
    'release-ram',
    'rdma-pin-all',
    'compress',
    'xbzrle',
    'x-colo',
    'validate-uuid',
    'zero-copy-send',
  ];
  for (const c of conflicts) {
    const o = qemuOnly();
    // zero-copy-send needs multifd to pass its own rule, but multifd is named first.
    const extra: CapabilityName[] = c === 'zero-copy-send' ? ['multifd'] : [];
    const expected = c === 'zero-copy-send' ? 'multifd' : c;
    throwsWith(
      () => o.setCapabilities(caps('background-snapshot', c, ...extra), IDLE),
      CAP,
      `Background-snapshot is not compatible with ${expected}`,
    );
  }
  // The first in QEMU's list wins when several are on.
  throwsWith(
    () => qemuOnly().setCapabilities(caps('background-snapshot', 'xbzrle', 'return-path'), IDLE),
    CAP,
    'Background-snapshot is not compatible with return-path',
  );
  const o = qemuOnly();
  o.setCapabilities(caps('background-snapshot', 'events', 'x-ignore-shared', 'block'), IDLE);
  assert.deepEqual(enabled(o), ['events', 'block', 'x-ignore-shared', 'background-snapshot']);
});

test('QEMU rule order: the earlier rule wins', () => {
  // postcopy rules come before switchover-ack's.
  throwsWith(
    () => qemuOnly().setCapabilities(caps('switchover-ack', 'postcopy-ram', 'multifd'), IDLE),
    CAP,
    'Postcopy is not yet compatible with multifd',
  );
  // zero-copy comes before postcopy-preempt.
  throwsWith(
    () => qemuOnly().setCapabilities(caps('postcopy-preempt', 'zero-copy-send'), IDLE),
    CAP,
    'Zero copy only available for non-compressed non-TLS multifd migration',
  );
  // switchover-ack comes before dirty-limit.
  throwsWith(
    () => qemuOnly().setCapabilities(caps('dirty-limit', 'auto-converge', 'switchover-ack'), IDLE),
    CAP,
    "Capability 'switchover-ack' requires capability 'return-path'",
  );
});

test('zero-copy-send reads the current multifd-compression and tls-creds parameters', () => {
  const o = qemuOnly();
  o.setParameters({ 'multifd-compression': 'zlib' }, IDLE);
  throwsWith(
    () => o.setCapabilities(caps('multifd', 'zero-copy-send'), IDLE),
    CAP,
    'Zero copy only available for non-compressed non-TLS multifd migration',
  );
  o.setParameters({ 'multifd-compression': 'none', 'tls-creds': 'tls0' }, IDLE);
  throwsWith(
    () => o.setCapabilities(caps('multifd', 'zero-copy-send'), IDLE),
    CAP,
    'Zero copy only available for non-compressed non-TLS multifd migration',
  );
  o.setParameters({ 'tls-creds': null }, IDLE);
  o.setCapabilities(caps('multifd', 'zero-copy-send'), IDLE);
  assert.equal(o.cap('zero-copy-send'), true);
});

test('destination-only rules: incoming already started, postcopy host probe', () => {
  const o = qemuOnly();
  const started = { migrationInProgress: false, incomingStarted: true };
  throwsWith(
    () => o.setCapabilities(caps('postcopy-ram', 'postcopy-preempt'), started),
    CAP,
    'Postcopy preempt must be set before incoming starts',
  );
  throwsWith(
    () => o.setCapabilities(caps('multifd'), started),
    CAP,
    'Multifd must be set before incoming starts',
  );
  o.setCapabilities(caps('events'), started);
  // 8.1 also blocks unrelated changes once multifd is on and incoming started.
  o.setCapabilities(caps('multifd'), IDLE);
  throwsWith(
    () => o.setCapabilities(caps('return-path'), started),
    CAP,
    'Multifd must be set before incoming starts',
  );

  const noUffd = new MigrationOptions({
    support: ALL_SUPPORTED,
    host: { ...FULL_HOST, postcopyUnsupportedReason: 'Userfaultfd not available: x' },
  });
  const dest = { migrationInProgress: false, inmigrate: true };
  throwsWith(
    () => noUffd.setCapabilities(caps('postcopy-ram'), dest),
    ErrorCode.UNSUPPORTED,
    'Postcopy is not supported: Userfaultfd not available: x',
  );
  // Only probed on a destination.
  noUffd.setCapabilities(caps('postcopy-ram'), IDLE);
  // ...and only when newly turned on.
  noUffd.setCapabilities(caps('postcopy-ram', 'events'), dest);
  assert.deepEqual(enabled(noUffd), ['events', 'postcopy-ram']);
});

test('host-dependent QEMU rules with their exact texts', () => {
  const on = (host: Partial<typeof FULL_HOST>, ...c: CapabilityName[]): void =>
    new MigrationOptions({
      support: ALL_SUPPORTED,
      host: { ...FULL_HOST, ...host },
    }).setCapabilities(caps(...c), IDLE);
  const U = ErrorCode.UNSUPPORTED;
  throwsWith(
    () => on({ liveBlockMigration: false }, 'block'),
    U,
    'QEMU compiled without old-style (blk/-b, inc/-i) block migration',
  );
  throwsWith(
    () => on({ replication: false }, 'x-colo'),
    U,
    "QEMU compiled without replication module can't enable COLO",
  );
  throwsWith(
    () => on({ writeTracking: 'absent' }, 'background-snapshot'),
    U,
    'Background-snapshot is not supported by host kernel',
  );
  throwsWith(
    () => on({ writeTracking: 'available' }, 'background-snapshot'),
    U,
    'Background-snapshot is not compatible with guest memory configuration',
  );
  throwsWith(
    () => on({ linux: false }, 'zero-copy-send', 'multifd'),
    U,
    'Zero copy currently only available on Linux',
  );
  throwsWith(
    () => on({ kvmDirtyRing: false }, 'dirty-limit'),
    U,
    "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set",
  );
  // Each accepted on a host that has the feature.
  for (const c of ['block', 'x-colo', 'background-snapshot', 'dirty-limit'] as const) on({}, c);
  on({}, 'zero-copy-send', 'multifd');
});

test('livemig support table: not-yet capabilities are refused when turned on', () => {
  const notYet: CapabilityName[] = [
    'xbzrle',
    'auto-converge',
    'zero-blocks',
    'postcopy-ram',
    'release-ram',
    'multifd',
    'dirty-bitmaps',
    'postcopy-blocktime',
    'late-block-activate',
    'x-ignore-shared',
    'background-snapshot',
  ];
  for (const c of notYet) {
    const o = new MigrationOptions();
    throwsWith(
      () => o.setCapabilities(caps(c), IDLE),
      ErrorCode.UNSUPPORTED,
      `Capability '${c}' is not supported by this version of livemig yet`,
    );
    // Turning it off is fine.
    o.setCapabilities([{ capability: c, state: false }], IDLE);
    assert.deepEqual(enabled(o), []);
  }
  // postcopy-preempt passes QEMU's rule only with postcopy-ram, which is refused first.
  throwsWith(
    () => new MigrationOptions().setCapabilities(caps('postcopy-ram', 'postcopy-preempt'), IDLE),
    ErrorCode.UNSUPPORTED,
    "Capability 'postcopy-ram' is not supported by this version of livemig yet",
  );
});

test('livemig support table: never-capabilities use the not-compiled-in wording', () => {
  const cases: Array<[CapabilityName[], string]> = [
    [['rdma-pin-all'], "livemig compiled without RDMA support can't enable rdma-pin-all"],
    [['compress'], "livemig compiled without legacy compression support can't enable compress"],
    [['block'], 'QEMU compiled without old-style (blk/-b, inc/-i) block migration'],
    [['x-colo'], "QEMU compiled without replication module can't enable COLO"],
  ];
  for (const [on, message] of cases) {
    throwsWith(
      () => new MigrationOptions().setCapabilities(caps(...on), IDLE),
      ErrorCode.UNSUPPORTED,
      message,
    );
  }
  // zero-copy-send needs multifd (not-yet, and earlier in enum order): it is named first...
  throwsWith(
    () => new MigrationOptions().setCapabilities(caps('zero-copy-send', 'multifd'), IDLE),
    ErrorCode.UNSUPPORTED,
    "Capability 'multifd' is not supported by this version of livemig yet",
  );
  // ...and once multifd exists, zero-copy-send still never will.
  const withMultifd = new MigrationOptions({
    support: { ...CAPABILITY_SUPPORT, multifd: 'supported' },
  });
  throwsWith(
    () => withMultifd.setCapabilities(caps('zero-copy-send', 'multifd'), IDLE),
    ErrorCode.UNSUPPORTED,
    "livemig compiled without MSG_ZEROCOPY support can't enable zero-copy-send",
  );
  withMultifd.setCapabilities(caps('multifd'), IDLE);
  assert.deepEqual(enabled(withMultifd), ['multifd']);
});

test("QEMU's rules run before livemig's: QEMU's message wins", () => {
  const o = new MigrationOptions();
  throwsWith(
    () => o.setCapabilities(caps('postcopy-preempt'), IDLE),
    CAP,
    'Postcopy preempt requires postcopy-ram',
  );
  throwsWith(
    () => o.setCapabilities(caps('zero-copy-send'), IDLE),
    CAP,
    'Zero copy only available for non-compressed non-TLS multifd migration',
  );
  throwsWith(
    () => o.setCapabilities(caps('dirty-limit'), IDLE),
    ErrorCode.UNSUPPORTED,
    "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set",
  );
  throwsWith(
    () => o.setCapabilities(caps('background-snapshot', 'return-path'), IDLE),
    CAP,
    'Background-snapshot is not compatible with return-path',
  );
  // Among unsupported ones the first in enum order is named.
  throwsWith(
    () => o.setCapabilities(caps('multifd', 'auto-converge'), IDLE),
    ErrorCode.UNSUPPORTED,
    "Capability 'auto-converge' is not supported by this version of livemig yet",
  );
});

test('flipping one support-table entry is all it takes to enable a feature', () => {
  const o = new MigrationOptions({ support: { ...ALL_SUPPORTED, xbzrle: 'supported' } });
  o.setCapabilities(caps('xbzrle'), IDLE);
  assert.equal(o.cap('xbzrle'), true);
  const p = new MigrationOptions({
    support: { ...ALL_SUPPORTED, events: { never: 'no events here' } },
  });
  throwsWith(
    () => p.setCapabilities(caps('events'), IDLE),
    ErrorCode.UNSUPPORTED,
    'no events here',
  );
});
