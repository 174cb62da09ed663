/** The `initdata` device and its SaveStateEntry (idstr "<id>/initdata", version 1). */
import { ErrorCode, LivemigError } from '../../../errors.js';
import type { SaveStateEntry } from '../../../migration/savevm/entries.js';
import { deviceSeed } from './content.js';
import { InitDataDevice } from './device.js';
import { BLOCK, INITDATA_VERSION } from './format.js';

export { InitDataDevice } from './device.js';
export type { VerifyResult } from './content.js';

export interface InitDataEntryOptions {
  id: string;
  /** State size in bytes: a multiple of 4096, at most 1 GiB. */
  size: number;
  /** Bytes per second rewritten while the source VM runs (default 0). */
  dirtyRate?: number;
  sectionId: number;
  instanceId: number;
  /** Milliseconds, monotonic (default performance.now). */
  clock?: () => number;
  /** Whether the source VM runs; dirtying pauses otherwise (default: always). */
  isRunning?: () => boolean;
  role: 'source' | 'destination';
  /** Base seed of the content, mixed with the id (both sides must agree). */
  seed?: number;
}

const MAX_SIZE = 1 << 30;

export function createInitDataEntry(o: InitDataEntryOptions): {
  entry: SaveStateEntry;
  device: InitDataDevice;
} {
  if (!Number.isSafeInteger(o.size) || o.size < 0 || o.size % BLOCK !== 0 || o.size > MAX_SIZE) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      `initdata '${o.id}': size must be a multiple of ${BLOCK} up to ${MAX_SIZE}, got ${o.size}`,
    );
  }
  const dirtyRate = o.dirtyRate ?? 0;
  if (!Number.isFinite(dirtyRate) || dirtyRate < 0) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      `initdata '${o.id}': dirty-rate must be a non-negative number, got ${dirtyRate}`,
    );
  }
  const device = new InitDataDevice({
    id: o.id,
    size: o.size,
    dirtyRate,
    seed: deviceSeed(o.id, o.seed),
    role: o.role,
    clock: o.clock ?? (() => performance.now()),
    isRunning: o.isRunning ?? (() => true),
    workerUrl: new URL('./prepare-worker.js', import.meta.url),
  });
  const entry: SaveStateEntry = {
    idstr: `${o.id}/initdata`,
    instanceId: o.instanceId,
    versionId: INITDATA_VERSION,
    minimumVersionId: INITDATA_VERSION,
    sectionId: o.sectionId,
    live: device,
  };
  return { entry, device };
}
