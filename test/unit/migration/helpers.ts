/** Shared helpers for the migration option tests. */
import assert from 'node:assert/strict';
import { LivemigError, type ErrorCode } from '../../../src/errors.js';
import { CAPABILITY_NAMES, type CapabilityName } from '../../../src/migration/capabilities.js';
import { MigrationOptions } from '../../../src/migration/options.js';
import type { CapabilitySupport, HostEnvironment } from '../../../src/migration/support.js';

/** Every capability implemented: isolates QEMU's own rules from livemig's support table. */
export const ALL_SUPPORTED = Object.fromEntries(
  CAPABILITY_NAMES.map((c) => [c, 'supported']),
) as Record<CapabilityName, CapabilitySupport>;

/** A host where every QEMU host-dependent feature exists. */
export const FULL_HOST: HostEnvironment = {
  liveBlockMigration: true,
  replication: true,
  linux: true,
  kvmDirtyRing: true,
  writeTracking: 'compatible',
  postcopyUnsupportedReason: null,
};

/** MigrationOptions that only applies QEMU's rules (no livemig refusals, full host). */
export function qemuOnly(): MigrationOptions {
  return new MigrationOptions({ support: ALL_SUPPORTED, host: FULL_HOST });
}

export const IDLE = { migrationInProgress: false } as const;

export function caps(
  ...on: CapabilityName[]
): Array<{ capability: CapabilityName; state: boolean }> {
  return on.map((capability) => ({ capability, state: true }));
}

export function enabled(o: MigrationOptions): CapabilityName[] {
  return o
    .queryCapabilities()
    .filter((c) => c.state)
    .map((c) => c.capability);
}

export function throwsWith(fn: () => unknown, code: ErrorCode, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LivemigError, `not a LivemigError: ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}
