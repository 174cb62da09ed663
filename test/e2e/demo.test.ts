/**
 * `livemig demo` as a newcomer runs it: it migrates and verifies, writes the
 * report and the run records, and leaves no process or socket behind (checked
 * with the pids and QMP paths it printed). Also --keep, Ctrl-C mid-migration,
 * and bad usage. Small sizes keep it quick; the defaults are exercised by
 * `npm start` and the bench.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { QmpClient } from '../../src/qmp/client/index.js';
import type { RunRecord } from '../../src/report/run-record.js';
import { cli, removeDir, runLivemig, tempDir } from './helpers/livemig-process.js';
import { sleep } from './helpers/migration.js';

const dirs: string[] = [];
const spawned: number[] = [];
after(() => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  for (const d of dirs) removeDir(d);
});

const SMALL = ['--ram', '64M', '--initdata', '32M'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The VMs the demo printed: "  source       pid N, QMP PATH". */
function vmsOf(stdout: string): Array<{ pid: number; qmp: string }> {
  const out: Array<{ pid: number; qmp: string }> = [];
  for (const m of stdout.matchAll(/^ {2}(?:source|destination) +pid (\d+), QMP (\S+)$/gm)) {
    out.push({ pid: Number(m[1]), qmp: m[2]! });
  }
  spawned.push(...out.map((v) => v.pid));
  return out;
}

async function assertGone(vms: Array<{ pid: number; qmp: string }>): Promise<void> {
  for (let i = 0; i < 50 && vms.some((v) => alive(v.pid)); i++) await sleep(100);
  for (const v of vms) {
    assert.equal(alive(v.pid), false, `VM pid ${v.pid} is still running`);
    assert.equal(existsSync(v.qmp), false, `${v.qmp} left behind`);
    assert.equal(existsSync(path.dirname(v.qmp)), false, 'temp dir left behind');
  }
}

test('demo --compare: both runs complete and verify; report and records written; nothing left', async () => {
  const dir = tempDir('livemig-demo-test-');
  dirs.push(dir);
  const report = path.join(dir, 'out', 'report.html');
  const json = path.join(dir, 'runs.json');
  const r = await runLivemig(['demo', ...SMALL, '--compare', '--report', report, '--json', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const vms = vmsOf(r.stdout);
  assert.equal(vms.length, 4, r.stdout);
  await assertGone(vms);

  assert.match(r.stdout, /== Run 1 of 2: switchover-ack ==/);
  assert.match(r.stdout, /== Run 2 of 2: no switchover-ack ==/);
  assert.match(
    r.stdout,
    /Migrating live over tcp:127\.0\.0\.1:\d+ \(events, return-path, switchover-ack\)/,
  );
  assert.match(r.stdout, /Migrating live over tcp:127\.0\.0\.1:\d+ \(events, return-path\)/);
  assert.match(r.stdout, /status +completed/);
  assert.match(r.stdout, /switchover ACK +\+[\d.]+ m?s after migrate, switchover at/);
  assert.match(r.stdout, /guest: running on the destination \(\d+ new 'B'/);
  assert.match(r.stdout, /RAM: 64 MiB identical except ab's counters/);
  assert.match(r.stdout, /device dev0: every block verified on the destination, sha256 equal/);
  assert.match(r.stdout, /Guest-visible downtime: switchover-ack [\d.]+ ms, no switchover-ack/);
  assert.match(r.stdout, /Demo passed/);
  assert.ok(r.stdout.includes(`Report: ${report}`));

  const records = JSON.parse(readFileSync(json, 'utf8')) as RunRecord[];
  assert.deepEqual(
    records.map((x) => [x.label, x.summary.status, x.setup.capabilities['switchover-ack']]),
    [
      ['switchover-ack', 'completed', true],
      ['no switchover-ack', 'completed', false],
    ],
  );
  for (const rec of records) {
    assert.equal(rec.setup.ramBytes, 64 << 20);
    assert.equal(rec.setup.initdataBytes, 32 << 20);
    assert.deepEqual(
      [
        rec.verification.ramEqual,
        rec.verification.devicesVerified,
        rec.verification.guestRunsOnDestination,
      ],
      [true, true, true],
    );
    assert.ok(rec.samples.length > 0, 'no samples');
    assert.deepEqual(
      rec.downtime.parts.map((p) => p.name),
      ['final RAM', 'device state', 'load and preparation', 'start'],
    );
    assert.ok(rec.downtime.guestVisibleMs !== undefined && rec.downtime.reportedMs !== undefined);
    const kinds = new Set(rec.events.map((e) => e.kind));
    for (const k of ['pass', 'stop', 'resume', 'status'] as const) assert.ok(kinds.has(k), k);
  }
  assert.equal(records[0]!.events.filter((e) => e.kind === 'ack').length, 1);
  assert.ok(records[0]!.summary.ackMs !== undefined);
  assert.equal(records[1]!.events.filter((e) => e.kind === 'ack').length, 0);

  const html = readFileSync(report, 'utf8');
  assert.match(html, /<html/i);
  assert.ok(html.includes('no switchover-ack'));
});

test('demo --keep: both VMs keep running after the demo, reachable on the printed sockets', async () => {
  const dir = tempDir('livemig-demo-test-');
  dirs.push(dir);
  const r = await runLivemig([
    'demo',
    '--ram',
    '32M',
    '--initdata',
    '0',
    '--workload',
    'idle',
    '--keep',
    '--report',
    path.join(dir, 'r.html'),
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RAM: 32 MiB identical/);
  const vms = vmsOf(r.stdout);
  assert.equal(vms.length, 2);
  assert.match(r.stdout, /Both VMs keep running \(--keep\)/);
  const [src, dst] = vms;
  const sq = await QmpClient.connect(src!.qmp);
  const dq = await QmpClient.connect(dst!.qmp);
  try {
    assert.equal((await sq.execute('query-status')).status, 'postmigrate');
    assert.equal((await dq.execute('query-status')).status, 'running');
    await Promise.all([sq.execute('quit'), dq.execute('quit')]);
  } finally {
    await Promise.all([sq.close(), dq.close()]);
  }
  for (let i = 0; i < 50 && vms.some((v) => alive(v.pid)); i++) await sleep(100);
  assert.ok(vms.every((v) => !alive(v.pid)));
  removeDir(path.dirname(src!.qmp));
});

test('Ctrl-C (to the whole process group) during the migration cancels it, stops both VMs, exits 1', async () => {
  const dir = tempDir('livemig-demo-test-');
  dirs.push(dir);
  // 1 MiB/s: the migration is still active when the signal comes.
  const child = spawn(
    process.execPath,
    [cli, 'demo', ...SMALL, '--max-bandwidth', '1M', '--report', path.join(dir, 'r.html')],
    // Its own process group, signalled as a whole below, as Ctrl-C at a terminal does.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 600 && !/\bactive\b/.test(stdout); i++) await sleep(50);
  assert.match(stdout, /\bactive\b/, stdout + stderr);
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  assert.equal(code, 1, stdout + stderr);
  assert.match(stdout, /cancelling the migration/);
  assert.match(stdout, /status +cancelled/);
  assert.match(stdout, /source VM +running/);
  assert.match(stderr, /did not complete/);
  await assertGone(vmsOf(stdout));
  assert.ok(existsSync(path.join(dir, 'r.html')), 'the report of the cancelled run');
});

test('bad usage exits 2 without starting anything', async () => {
  const r = await runLivemig(['demo', '--workload', 'spin']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /livemig demo: --workload: expected one of ab, random, fill, idle/);
  const h = await runLivemig(['demo', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: livemig demo/);
});
