/**
 * After a completed demo migration: does the guest run on the destination,
 * is its memory the source's, and is every device's state intact?
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RunVerification } from '../report/run-record.js';
import type { ChildVm } from './child-vm.js';
import { compareRam } from './ram-compare.js';

export interface VerifyInput {
  source: ChildVm;
  destination: ChildVm;
  dir: string;
  ramBytes: number;
  workload: string;
  /** initdata device ids; `exactDevices`: no dirtying after start, so digests must match. */
  devices: string[];
  exactDevices: boolean;
  /** Each check's line as soon as it is known (the demo prints them as they come). */
  onDetail?: (line: string) => void;
}

interface InitDataVerdict {
  ok: boolean;
  mismatches: number;
  digest: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pmemsave(vm: ChildVm, size: number, file: string): Promise<Buffer> {
  await vm.qmp.executeRaw('pmemsave', { val: 0, size, filename: file }, { timeoutMs: 120_000 });
  try {
    return readFileSync(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * The guest runs on: the destination is `running`, and with `ab` its serial
 * port keeps printing 'B' (one per pass) while the source's stays silent.
 */
async function guestRuns(v: VerifyInput, note: (line: string) => void): Promise<boolean> {
  const st = await v.destination.qmp.execute('query-status');
  if (st.status !== 'running') {
    note(`guest: the destination is ${st.status}, not running`);
    return false;
  }
  if (v.workload !== 'ab') {
    note('guest: running on the destination (query-status)');
    return true;
  }
  const srcBefore = v.source.serial().length;
  const dstBefore = v.destination.serial().length;
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    const grown = v.destination.serial().length - dstBefore;
    if (grown > 0) {
      const srcGrown = v.source.serial().length - srcBefore;
      note(
        `guest: running on the destination (${grown} new 'B' on its serial port, ` +
          `${srcGrown} on the source's)`,
      );
      return srcGrown === 0;
    }
  }
  note('guest: no progress on the destination serial port within 5 s');
  return false;
}

async function ramIntact(
  v: VerifyInput,
  note: (line: string) => void,
): Promise<boolean | undefined> {
  // The source is in postmigrate: its RAM is what it had at the switchover.
  // A consistent snapshot of the destination needs its vCPUs stopped for a
  // moment. The two processes dump at the same time.
  const destinationDump = async (): Promise<Buffer> => {
    await v.destination.qmp.execute('stop');
    try {
      return await pmemsave(v.destination, v.ramBytes, path.join(v.dir, 'destination.ram'));
    } finally {
      await v.destination.qmp.execute('cont');
    }
  };
  const [src, dst] = await Promise.all([
    pmemsave(v.source, v.ramBytes, path.join(v.dir, 'source.ram')),
    destinationDump(),
  ]);
  const r = compareRam(src, dst, v.workload);
  note(r.detail);
  return r.ok;
}

async function devicesIntact(
  v: VerifyInput,
  note: (line: string) => void,
): Promise<boolean | undefined> {
  if (v.devices.length === 0) return undefined;
  let ok = true;
  for (const id of v.devices) {
    const [a, b] = await Promise.all(
      [v.source, v.destination].map(
        (vm) => vm.qmp.executeRaw('x-initdata-verify', { id }) as Promise<InitDataVerdict>,
      ),
    );
    const same = a!.digest === b!.digest;
    const good = b!.ok && (!v.exactDevices || same);
    ok &&= good;
    note(
      `device ${id}: ` +
        (b!.ok
          ? `every block verified on the destination`
          : `${b!.mismatches} blocks wrong on the destination`) +
        (v.exactDevices
          ? same
            ? `, sha256 equal to the source's (${b!.digest.slice(0, 16)}...)`
            : ', sha256 differs from the source'
          : ''),
    );
  }
  return ok;
}

export async function verifyMigration(v: VerifyInput): Promise<RunVerification> {
  const details: string[] = [];
  const note = (line: string): void => {
    details.push(line);
    v.onDetail?.(line);
  };
  const guestRunsOnDestination = await guestRuns(v, note);
  const ramEqual = await ramIntact(v, note);
  const devicesVerified = await devicesIntact(v, note);
  return { ramEqual, devicesVerified, guestRunsOnDestination, details };
}
