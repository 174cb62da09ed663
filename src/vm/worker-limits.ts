/**
 * V8 heap limits for livemig's helper threads: vCPUs, the RAM prefault and
 * the initdata preparation. Each loops over shared memory and keeps little on
 * its own heap (~4 MiB, mostly Node's bootstrap); their bulk data (guest RAM,
 * device state, hash tables) is in array buffers, which these limits do not
 * count. Node's default cap follows host RAM and V8 sizes an isolate's heap
 * from it: with 32 MiB (8× what a helper uses) an idle vCPU worker measured
 * ~0.5 MiB less RSS on the testvm destination (issue 4).
 */
import type { ResourceLimits } from 'node:worker_threads';

export const HELPER_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 32 };
