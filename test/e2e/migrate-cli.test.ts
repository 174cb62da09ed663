/**
 * `livemig migrate` against real `livemig run` processes: completed, started
 * without --wait, failed (nobody listens on --uri), cancelled by SIGINT, and
 * bad usage. The VMs are started with startLivemig (no QMP client kept open),
 * because a QMP socket serves one client at a time and the CLI needs it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { QmpClient } from '../../src/qmp/client/index.js';
import {
  cli,
  freePort,
  removeDir,
  runLivemig,
  startLivemig,
  stopAllLivemig,
  type LivemigProcess,
} from './helpers/livemig-process.js';
import { AB_VM, sleep } from './helpers/migration.js';

const dirs: string[] = [];
after(async () => {
  await stopAllLivemig();
  for (const d of dirs) removeDir(d);
});

const FAST = ['--param', 'max-bandwidth=1000000000', '--param', 'downtime-limit=30000'];

async function pair(dstIncoming = 'defer'): Promise<{ src: LivemigProcess; dst: LivemigProcess }> {
  const src = await startLivemig(AB_VM);
  const dst = await startLivemig([...AB_VM, '-incoming', dstIncoming]);
  dirs.push(src.dir, dst.dir);
  return { src, dst };
}

async function query(p: LivemigProcess, cmd: string): Promise<Record<string, unknown>> {
  const c = await QmpClient.connect(p.qmpPath);
  try {
    return (await c.executeRaw(cmd)) as Record<string, unknown>;
  } finally {
    await c.close();
  }
}

const migrateArgs = (src: LivemigProcess, dst: LivemigProcess, ...rest: string[]): string[] => [
  'migrate',
  '--from',
  src.qmpPath,
  '--to',
  `unix:${dst.qmpPath}`,
  ...rest,
];

test('completed: exit 0, progress lines, summary, destination running', async () => {
  const { src, dst } = await pair();
  const caps = ['--caps', 'return-path,switchover-ack'];
  const r = await runLivemig(
    migrateArgs(src, dst, ...caps, ...FAST, '--wait', '--interval', '100'),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /over tcp:127\.0\.0\.1:\d+\n/);
  assert.ok(!r.stdout.includes('\x1b['), 'no ANSI codes without a TTY');
  assert.match(r.stdout, /^\[ *[\d.]+s\] +(active|completed) +ram \d+%/m);
  assert.match(r.stdout, /Migration summary\n {2}status +completed\n/);
  for (const row of ['total time', 'setup time', 'downtime', 'passes', 'zero pages'])
    assert.match(r.stdout, new RegExp(`\n {2}${row} +\\S`), row);
  assert.match(r.stdout, /switchover ACK +n\/a \(not visible on QMP\)/);
  assert.match(r.stdout, /source VM +postmigrate/);
  assert.match(r.stdout, /destination +completed, running/);
  assert.equal((await query(dst, 'query-status')).status, 'running');
});

test('without --wait: exit 0 once started; the migration completes on its own', async () => {
  const { src, dst } = await pair();
  const r = await runLivemig(migrateArgs(src, dst, ...FAST));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Migration (setup|active|completed); follow it with/);
  for (let i = 0; (await query(src, 'query-migrate')).status !== 'completed'; i++) {
    assert.ok(i < 300, 'the migration did not complete');
    await sleep(50);
  }
});

test('failed: --uri where nobody listens → exit 1 with the error; the source runs on', async () => {
  const { src, dst } = await pair(`tcp:127.0.0.1:${await freePort()}`);
  const closed = await freePort();
  const r = await runLivemig(migrateArgs(src, dst, '--uri', `tcp:127.0.0.1:${closed}`, '--wait'));
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /livemig migrate: migration failed: Failed to connect to .*refused/);
  assert.match(r.stdout, /status +failed\n {2}error +Failed to connect/);
  assert.match(r.stdout, /source VM +running/);
  assert.equal((await query(src, 'query-status')).status, 'running');
});

test('SIGINT while active: migrate_cancel, exit 1, source reported running', async () => {
  const { src, dst } = await pair();
  const args = migrateArgs(src, dst, '--param', 'max-bandwidth=4M', '--wait', '--interval', '100');
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    for (let i = 0; !/\] +active +ram/.test(stdout); i++) {
      assert.ok(i < 200 && child.exitCode === null, `not active: ${stdout}${stderr}`);
      await sleep(50);
    }
    child.kill('SIGINT');
    assert.equal(await exited, 1, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.match(stdout, /cancelling the migration \(migrate_cancel\)/);
  assert.match(stdout, /status +cancelled\n/);
  assert.match(stdout, /source VM +running/);
  assert.match(stderr, /migration cancelled; the source VM is running/);
  assert.equal((await query(src, 'query-status')).status, 'running');
});

test('bad usage: exit 2; --help: exit 0', async () => {
  for (const args of [
    [],
    ['--from', 'a.sock'],
    ['--from', 'a', '--to', 'b', '--caps', 'Bad Name'],
    ['--from', 'a', '--to', 'b', '--param', 'novalue'],
    ['--from', 'a', '--to', 'b', '--bogus'],
  ]) {
    const r = await runLivemig(['migrate', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /livemig migrate: .*\(see --help\)/);
  }
  const help = await runLivemig(['migrate', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--wait/);
});
