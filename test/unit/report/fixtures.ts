/** The saved run records in test/fixtures/report/, shared by the report tests. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../../../src/report/run-record.js';

/**
 * The fixture directory: found above this module (compiled tests live in
 * <repo>/dist/test/unit/report), or under the working directory for a build
 * placed outside the repository.
 */
export function fixtureDir(): string {
  const rel = join('test', 'fixtures', 'report');
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), rel);
    dir = parent;
  }
}

export const ACK_FIXTURE = 'run-switchover-ack.json';
export const NO_ACK_FIXTURE = 'run-no-switchover-ack.json';

export function fixturePath(name: string): string {
  return join(fixtureDir(), name);
}

/** A fixture as parsed JSON, unchecked (each call returns a fresh copy). */
export function fixtureJson(name: string): unknown {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8'));
}

/** A fixture as a RunRecord (the fixtures are valid records; validate.test.ts checks that). */
export function fixtureRun(name: string): RunRecord {
  return fixtureJson(name) as RunRecord;
}

/** A run that failed early: nothing measured, nothing verified. */
export function failedRun(): RunRecord {
  return {
    version: 1,
    label: 'failed run',
    startedAt: '2025-06-12T10:00:00.000Z',
    livemigVersion: '0.1.0',
    setup: {
      machine: 'testvm',
      ramBytes: 256 * 1024 * 1024,
      workload: 'ab',
      initdataBytes: 0,
      uri: 'tcp:127.0.0.1:1',
      capabilities: {},
      parameters: {},
    },
    samples: [],
    events: [],
    downtime: { reportedMs: undefined, guestVisibleMs: undefined, parts: [] },
    summary: {
      status: 'failed',
      totalMs: undefined,
      setupMs: undefined,
      downtimeMs: undefined,
      passes: undefined,
      transferredBytes: undefined,
      throughputMbps: undefined,
      zeroPages: undefined,
      normalPages: undefined,
      ackMs: undefined,
      errorDesc: "Failed to connect to '127.0.0.1:1': Connection refused",
    },
    verification: {
      ramEqual: undefined,
      devicesVerified: undefined,
      guestRunsOnDestination: undefined,
      details: [],
    },
  };
}

/** The runs embedded in a rendered page (its JSON data block, parsed). */
export function embeddedRuns(html: string): unknown {
  const m = /<script type="application\/json" id="livemig-runs">([^<]*)<\/script>/.exec(html);
  if (m === null) throw new Error('no #livemig-runs data block');
  return JSON.parse(m[1]!);
}
