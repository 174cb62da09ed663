/**
 * One demo run: a source and a destination `livemig run`, a live migration
 * between them with progress, then verification, and the RunRecord of it all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProgressRenderer, type Output } from '../cli/migrate-progress.js';
import { FollowControl, followMigration, type FollowResult } from '../cli/migrate-follow.js';
import type { MigrateOptions } from '../cli/migrate-options.js';
import { prepareMigration } from '../cli/migrate-setup.js';
import { formatSummary } from '../cli/migrate-summary.js';
import type { MigrationInfo } from '../qmp/client/types.js';
import { RUN_RECORD_VERSION, type RunRecord, type RunSample } from '../report/run-record.js';
import { livemigVersion } from '../version.js';
import { ChildVm } from './child-vm.js';
import { sampleOf, summaryOf, timelineEvents } from './record-builder.js';
import {
  DESTINATION_TRACE,
  downtimeBreakdown,
  findTrace,
  parseTraceLines,
  SOURCE_TRACE,
} from './trace-log.js';
import { verifyMigration } from './verify.js';

export interface DemoRunOptions {
  ramBytes: number;
  workload: string;
  dirtyRate: number;
  initdataBytes: number;
  switchoverAck: boolean;
  downtimeLimitMs: number;
  maxBandwidth: number;
  keep: boolean;
  intervalMs: number | undefined;
}

export interface DemoRunResult {
  record: RunRecord;
  /** Migrated and every check passed. */
  ok: boolean;
  /** The pids spawned (the demo's tests check none is left). */
  pids: number[];
}

const DEVICE_ID = 'dev0';

function vmArgs(o: DemoRunOptions): string[] {
  const machine =
    `testvm,workload=${o.workload}` + (o.dirtyRate > 0 ? `,dirty-rate=${o.dirtyRate}` : '');
  const args = ['-machine', machine, '-m', `${o.ramBytes / 1024}K`];
  if (o.initdataBytes > 0) args.push('-device', `initdata,id=${DEVICE_ID},size=${o.initdataBytes}`);
  return args;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

export function runLabel(switchoverAck: boolean): string {
  return switchoverAck ? 'switchover-ack' : 'no switchover-ack';
}

/**
 * Migrates; Ctrl-C (SIGINT/SIGTERM) cancels the migration. `stopping` is set
 * when a signal came, so the caller stops instead of verifying.
 */
async function migrateWithProgress(
  src: ChildVm,
  o: DemoRunOptions,
  startedAt: number,
  out: Output,
  samples: RunSample[],
): Promise<FollowResult> {
  const renderer = new ProgressRenderer(out);
  const ctl = new FollowControl(src.qmp, renderer);
  const onSignal = (): void => ctl.cancel();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await followMigration(src.qmp, ctl, {
      startedAt,
      intervalMs: o.intervalMs ?? (renderer.tty ? 500 : 1000),
      pollMs: 100,
      switchoverAck: o.switchoverAck,
      renderer,
      onSample: (info: MigrationInfo, t: number) => {
        const s = sampleOf(info, t);
        if (s) samples.push(s);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The destination's incoming status, once it has settled (or after ~10 s). */
async function destinationSettled(dst: ChildVm): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const info = await dst.qmp.execute('query-migrate');
    if (info.status === 'completed' || info.status === 'failed') return info.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'not finished';
}

export async function demoRun(o: DemoRunOptions, out: Output): Promise<DemoRunResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-demo-'));
  const vms: ChildVm[] = [];
  let keep = false;
  try {
    const args = vmArgs(o);
    out.write(
      `Starting two VMs: testvm, ${mib(o.ramBytes)} RAM, workload ${o.workload}` +
        (o.initdataBytes > 0 ? `, initdata device with ${mib(o.initdataBytes)} of state` : '') +
        '\n',
    );
    const [src, dst] = await Promise.all([
      ChildVm.start({ name: 'source', dir, args, trace: SOURCE_TRACE, detached: o.keep }),
      ChildVm.start({
        name: 'destination',
        dir,
        args: [...args, '-incoming', 'defer'],
        trace: DESTINATION_TRACE,
        detached: o.keep,
      }),
    ]);
    vms.push(src, dst);
    out.write(`  source       pid ${src.pid}, QMP ${src.qmpPath}\n`);
    out.write(`  destination  pid ${dst.pid}, QMP ${dst.qmpPath}\n`);

    const capabilities = {
      events: true,
      'return-path': true,
      'switchover-ack': o.switchoverAck,
    };
    const parameters = {
      'downtime-limit': o.downtimeLimitMs,
      'max-bandwidth': o.maxBandwidth,
    };
    const migrateOpts: MigrateOptions = {
      from: src.qmpPath,
      to: dst.qmpPath,
      uri: undefined,
      caps: new Map(Object.entries(capabilities)),
      params: parameters,
      wait: true,
      intervalMs: o.intervalMs,
      timeoutMs: 10_000,
    };
    const uri = await prepareMigration(src.qmp, dst.qmp, migrateOpts);
    const caps = Object.entries(capabilities)
      .filter(([, on]) => on)
      .map(([c]) => c)
      .join(', ');
    out.write(`Migrating live over ${uri} (${caps})\n`);

    const samples: RunSample[] = [];
    const startedAt = Date.now();
    await src.qmp.execute('migrate', { uri });
    const res = await migrateWithProgress(src, o, startedAt, out, samples);
    const wallMs = Date.now() - startedAt;
    const completed = res.info.status === 'completed';
    const dstStatus = completed ? await destinationSettled(dst) : undefined;

    const srcTrace = parseTraceLines(src.log());
    const dstTrace = parseTraceLines(dst.log());
    const ackAt = findTrace(srcTrace, 'source_return_path_thread_switchover_acked')?.atMs;
    const ackMs = ackAt === undefined ? undefined : Math.round(ackAt - startedAt);
    const breakdown = downtimeBreakdown(srcTrace, dstTrace);
    // Taken now: the verification below stops and continues the destination.
    const events = timelineEvents(startedAt, src.events, dst.events, ackAt);

    out.write(
      '\n' +
        formatSummary({
          info: res.info,
          ram: res.ram,
          wallMs,
          switchoverAck: o.switchoverAck,
          stopMs: res.stopMs,
          ackMs,
          cancelRequested: res.cancelRequested,
          sourceRunState: (await src.qmp.execute('query-status')).status,
          destination:
            dstStatus === undefined
              ? undefined
              : `${dstStatus}, ${(await dst.qmp.execute('query-status')).status}`,
        }),
    );
    if (breakdown.parts.length > 0) {
      out.write(
        `  guest-visible downtime ${breakdown.guestVisibleMs?.toFixed(1) ?? 'n/a'} ms: ` +
          breakdown.parts.map((p) => `${p.name} ${p.ms.toFixed(1)} ms`).join(', ') +
          '\n',
      );
    }

    let verification: RunRecord['verification'] = {
      ramEqual: undefined,
      devicesVerified: undefined,
      guestRunsOnDestination: undefined,
      details: [],
    };
    if (completed && dstStatus === 'completed') {
      out.write('\nVerifying the destination...\n');
      verification = await verifyMigration({
        source: src,
        destination: dst,
        dir,
        ramBytes: o.ramBytes,
        workload: o.workload,
        devices: o.initdataBytes > 0 ? [DEVICE_ID] : [],
        exactDevices: true,
        onDetail: (line) => out.write(`  ${line}\n`),
      });
    } else if (completed) {
      verification.details.push(`destination: incoming migration ${dstStatus}`);
    }
    const checks = [
      verification.ramEqual,
      verification.devicesVerified,
      verification.guestRunsOnDestination,
    ];
    const ok = completed && dstStatus === 'completed' && !checks.includes(false);

    const record: RunRecord = {
      version: RUN_RECORD_VERSION,
      label: runLabel(o.switchoverAck),
      startedAt: new Date(startedAt).toISOString(),
      livemigVersion: livemigVersion(),
      setup: {
        machine: args[1]!,
        ramBytes: o.ramBytes,
        workload: o.workload,
        initdataBytes: o.initdataBytes,
        uri,
        capabilities,
        parameters,
      },
      samples,
      events,
      downtime: {
        reportedMs: res.info.downtime === undefined ? undefined : Number(res.info.downtime),
        guestVisibleMs: breakdown.guestVisibleMs,
        parts: breakdown.parts,
      },
      summary: summaryOf(res.info, res.ram, wallMs, ackMs),
      verification,
    };
    if (o.keep) {
      keep = true;
      await Promise.all(vms.map((vm) => vm.detach()));
      out.write(
        `\nBoth VMs keep running (--keep); their files are in ${dir}\n` +
          `  source       pid ${src.pid}: livemig qmp ${src.qmpPath}\n` +
          `  destination  pid ${dst.pid}: livemig qmp ${dst.qmpPath}\n` +
          `Stop them with: livemig qmp SOCKET quit\n`,
      );
    }
    return { record, ok, pids: vms.map((vm) => vm.pid) };
  } finally {
    if (!keep) {
      await Promise.all(vms.map((vm) => vm.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
