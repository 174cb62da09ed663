/**
 * What this build of livemig provides. Features land issue by issue, so the
 * capability table is the one place to edit when one does: flip its entry to
 * 'supported'. QEMU's own rules (capabilities.ts) always run first; these
 * checks only add livemig's refusals on top.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import type { CapabilityName, CapabilitySet } from './capabilities.js';

/**
 * - 'supported': implemented.
 * - 'not-yet': planned; refused until a later issue implements it.
 * - { never }: cannot exist in livemig; the text follows QEMU's not-compiled-in wording.
 */
export type CapabilitySupport = 'supported' | 'not-yet' | { readonly never: string };

export const CAPABILITY_SUPPORT: Readonly<Record<CapabilityName, CapabilitySupport>> = {
  xbzrle: 'not-yet',
  'rdma-pin-all': { never: "livemig compiled without RDMA support can't enable rdma-pin-all" },
  'auto-converge': 'not-yet',
  'zero-blocks': 'not-yet',
  compress: {
    never: "livemig compiled without legacy compression support can't enable compress",
  },
  events: 'supported',
  'postcopy-ram': 'not-yet',
  // QEMU's own check fires first with this same text (no replication module).
  'x-colo': { never: "QEMU compiled without replication module can't enable COLO" },
  'release-ram': 'not-yet',
  // QEMU's own check fires first with this same text (no live block migration).
  block: { never: 'QEMU compiled without old-style (blk/-b, inc/-i) block migration' },
  'return-path': 'supported',
  'pause-before-switchover': 'supported',
  multifd: 'not-yet',
  'dirty-bitmaps': 'not-yet',
  'postcopy-blocktime': 'not-yet',
  'late-block-activate': 'not-yet',
  'x-ignore-shared': 'not-yet',
  'validate-uuid': 'supported',
  'background-snapshot': 'not-yet',
  'zero-copy-send': {
    never: "livemig compiled without MSG_ZEROCOPY support can't enable zero-copy-send",
  },
  'postcopy-preempt': 'not-yet',
  'switchover-ack': 'supported',
  // QEMU's KVM dirty-ring check always refuses it first: livemig has no KVM.
  'dirty-limit': 'not-yet',
};

/**
 * The host facts QEMU's checker consults. livemig answers as a Linux build
 * without live block migration, replication or KVM. Postcopy and background
 * snapshot are reported as host-capable so that QEMU's combination rules still
 * run and the support table gives the final word.
 */
export interface HostEnvironment {
  readonly liveBlockMigration: boolean;
  readonly replication: boolean;
  readonly linux: boolean;
  readonly kvmDirtyRing: boolean;
  /** userfaultfd write-protect support, as QEMU's WriteTrackingSupport. */
  readonly writeTracking: 'absent' | 'available' | 'compatible';
  /** null when postcopy is possible on this host; else QEMU's reason text. */
  readonly postcopyUnsupportedReason: string | null;
}

export const LIVEMIG_HOST: HostEnvironment = {
  liveBlockMigration: false,
  replication: false,
  linux: true,
  kvmDirtyRing: false,
  writeTracking: 'compatible',
  postcopyUnsupportedReason: null,
};

/**
 * Refuses the first capability (in enum order) that is on in `next` and that
 * livemig does not implement. Turning capabilities off never reaches a refusal.
 */
export function checkSupport(
  next: Readonly<CapabilitySet>,
  order: readonly CapabilityName[],
  table: Readonly<Record<CapabilityName, CapabilitySupport>> = CAPABILITY_SUPPORT,
): void {
  for (const name of order) {
    if (!next[name]) continue;
    const support = table[name];
    if (support === 'supported') continue;
    if (support === 'not-yet') {
      throw new LivemigError(
        ErrorCode.UNSUPPORTED,
        `Capability '${name}' is not supported by this version of livemig yet`,
      );
    }
    throw new LivemigError(ErrorCode.UNSUPPORTED, support.never);
  }
}
