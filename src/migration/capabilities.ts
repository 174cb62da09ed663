/**
 * Migration capabilities: the QEMU 8.1 enum and the compatibility rules QEMU's
 * migrate_caps_check() applies, in its order and with its exact texts. Which of
 * them livemig implements is a separate question, answered by support.ts.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { LIVEMIG_HOST, type HostEnvironment } from './support.js';

/** QEMU 8.1's MigrationCapability enum, in enum order (= query-migrate-capabilities order). */
export const CAPABILITY_NAMES = [
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
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export type CapabilitySet = Record<CapabilityName, boolean>;

export interface CapabilityStatus {
  capability: CapabilityName;
  state: boolean;
}

const CAPABILITY_NAME_SET: ReadonlySet<string> = new Set(CAPABILITY_NAMES);

export function isCapabilityName(name: string): name is CapabilityName {
  return CAPABILITY_NAME_SET.has(name);
}

export function allCapabilitiesOff(): CapabilitySet {
  return Object.fromEntries(CAPABILITY_NAMES.map((c) => [c, false])) as CapabilitySet;
}

/**
 * QEMU's background-snapshot exclusion list, in the order QEMU walks it: the
 * first one set names itself in the message.
 */
const BACKGROUND_SNAPSHOT_CONFLICTS: readonly CapabilityName[] = [
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

/** What the checker needs besides the two capability sets. */
export interface CapabilityCheckContext {
  /** Current (not proposed) parameters: QEMU reads the live values here. */
  multifdCompression: string;
  tlsCreds: string;
  /** Runstate is `inmigrate` (this process is a migration destination). */
  inmigrate?: boolean;
  /** The destination already has an incoming transport. */
  incomingStarted?: boolean;
  host?: HostEnvironment;
}

function capError(message: string): LivemigError {
  return new LivemigError(ErrorCode.MIGRATION_CAPABILITY, message);
}

/** Rules that fail because of how this build/host is made, not because of the combination. */
function unsupported(message: string): LivemigError {
  return new LivemigError(ErrorCode.UNSUPPORTED, message);
}

/**
 * migrate_caps_check() of QEMU 8.1: the first failing rule throws; nothing is
 * changed here. Rules that QEMU only added in 8.2 (multifd+xbzrle,
 * compress+xbzrle) are deliberately absent.
 */
export function checkCapabilities(
  old: Readonly<CapabilitySet>,
  next: Readonly<CapabilitySet>,
  ctx: CapabilityCheckContext,
): void {
  const host = ctx.host ?? LIVEMIG_HOST;

  if (next.block && !host.liveBlockMigration) {
    throw unsupported('QEMU compiled without old-style (blk/-b, inc/-i) block migration');
  }
  if (next['x-colo'] && !host.replication) {
    throw unsupported("QEMU compiled without replication module can't enable COLO");
  }

  if (next['postcopy-ram']) {
    // QEMU probes the host only when the capability is newly set on a destination.
    if (!old['postcopy-ram'] && ctx.inmigrate === true && host.postcopyUnsupportedReason !== null) {
      throw unsupported(`Postcopy is not supported: ${host.postcopyUnsupportedReason}`);
    }
    if (next['x-ignore-shared']) {
      throw capError('Postcopy is not compatible with ignore-shared');
    }
    if (next.multifd) {
      throw capError('Postcopy is not yet compatible with multifd');
    }
  }

  if (next['background-snapshot']) {
    if (host.writeTracking === 'absent') {
      throw unsupported('Background-snapshot is not supported by host kernel');
    }
    if (host.writeTracking === 'available') {
      throw unsupported('Background-snapshot is not compatible with guest memory configuration');
    }
    const conflict = BACKGROUND_SNAPSHOT_CONFLICTS.find((c) => next[c]);
    if (conflict !== undefined) {
      throw capError(`Background-snapshot is not compatible with ${conflict}`);
    }
  }

  if (next['zero-copy-send']) {
    if (!host.linux) {
      throw unsupported('Zero copy currently only available on Linux');
    }
    if (
      !next.multifd ||
      next.compress ||
      next.xbzrle ||
      ctx.multifdCompression !== 'none' ||
      ctx.tlsCreds !== ''
    ) {
      throw capError('Zero copy only available for non-compressed non-TLS multifd migration');
    }
  }

  if (next['postcopy-preempt']) {
    if (!next['postcopy-ram']) {
      throw capError('Postcopy preempt requires postcopy-ram');
    }
    if (next.compress) {
      throw capError('Postcopy preempt not compatible with compress');
    }
    if (ctx.incomingStarted === true) {
      throw capError('Postcopy preempt must be set before incoming starts');
    }
  }

  if (next.multifd) {
    if (next.compress) {
      throw capError('Multifd is not compatible with compress');
    }
    if (ctx.incomingStarted === true) {
      throw capError('Multifd must be set before incoming starts');
    }
  }

  if (next['switchover-ack'] && !next['return-path']) {
    throw capError("Capability 'switchover-ack' requires capability 'return-path'");
  }

  if (next['dirty-limit']) {
    if (next['auto-converge']) {
      // (sic) QEMU's wording.
      throw capError('dirty-limit conflicts with auto-converge either of then available currently');
    }
    if (!host.kvmDirtyRing) {
      throw unsupported("dirty-limit requires KVM with accelerator property 'dirty-ring-size' set");
    }
  }
}
