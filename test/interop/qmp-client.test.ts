// Interop: the typed QMP client and `livemig qmp` against real QEMU 7.2.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../src/errors.js';
import { QmpClient } from '../../src/qmp/client/client.js';
import { QmpError } from '../../src/qmp/client/errors.js';
import { QEMU, which } from './helpers/env.js';

const missing = which(QEMU) === undefined ? `${QEMU} is not on PATH` : undefined;
if (missing !== undefined && process.env.LIVEMIG_REQUIRE_QEMU === '1') {
  test('QMP client interop prerequisites', () => assert.fail(`${missing}; LIVEMIG_REQUIRE_QEMU=1`));
}

const qmpModule = fileURLToPath(new URL('../../src/cli/qmp.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const runner = `import { qmpMain } from ${JSON.stringify(qmpModule)};
process.exitCode = await qmpMain(process.argv.slice(1));`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', runner, '--', ...args],
      (err, out, e) =>
        resolve({ code: err === null ? 0 : Number(err.code), stdout: out, stderr: e }),
    );
  });
}

describe('QMP client against real QEMU', { skip: missing }, () => {
  let dir = '';
  let sock = '';
  let qemu: ChildProcess | undefined;
  let client: QmpClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livemig-qmpc-interop-'));
    sock = join(dir, 'qmp.sock');
    qemu = spawn(
      QEMU,
      [
        ...['-M', 'none', '-m', '64M', '-nodefaults', '-display', 'none', '-S'],
        ...['-qmp', `unix:${sock},server=on,wait=off`],
      ],
      { stdio: 'ignore' },
    );
    // QEMU creates the socket shortly after start; retry until it answers.
    for (let i = 0; ; i++) {
      try {
        client = await QmpClient.connect(sock, { timeoutMs: 2000 });
        break;
      } catch (e) {
        if (i >= 100) throw e;
        await sleep(50);
      }
    }
  });

  after(async () => {
    await client?.close();
    if (qemu?.exitCode === null) qemu.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('greeting and query-version', async () => {
    assert.equal(client.greeting.QMP.version.qemu.major >= 7, true);
    assert.ok(client.greeting.QMP.capabilities.includes('oob'));
    const v = await client.execute('query-version');
    assert.deepEqual(v.qemu, client.greeting.QMP.version.qemu);
  });

  test('query-status of a -S guest', async () => {
    const s = await client.execute('query-status');
    assert.equal(s.status, 'prelaunch');
    assert.equal(s.running, false);
  });

  test('query-migrate-capabilities and query-migrate', async () => {
    const caps = await client.execute('query-migrate-capabilities');
    assert.ok(caps.length >= 21);
    assert.deepEqual(caps[0], { capability: 'xbzrle', state: false });
    assert.ok(caps.every((c) => c.state === false));
    assert.deepEqual(await client.execute('query-migrate'), {});
  });

  test('max-bandwidth -1 reads back as exactly 2^64-1', async () => {
    await client.execute('migrate-set-parameters', { 'max-bandwidth': -1 });
    const p = await client.execute('query-migrate-parameters');
    assert.equal(p['max-bandwidth'], 18446744073709551615n);
    await client.execute('migrate-set-parameters', { 'max-bandwidth': 134217728n });
    assert.equal((await client.execute('query-migrate-parameters'))['max-bandwidth'], 134217728);
  });

  test('error replies surface as QmpError', async () => {
    const e = await client.execute('migrate-cancel').then(
      () => assert.fail('migrate-cancel exists?'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof QmpError);
    assert.equal(e.code, ErrorCode.QMP_ERROR_REPLY);
    assert.equal(e.errorClass, 'CommandNotFound');
    assert.equal(e.desc, 'The command migrate-cancel has not been found');
    await assert.rejects(
      client.executeRaw('migrate', {}),
      (err) => err instanceof QmpError && err.desc === "Parameter 'uri' is missing",
    );
    await assert.rejects(
      client.execute('migrate-set-parameters', { 'downtime-limit': 2000001 }),
      (err) => err instanceof QmpError && err.errorClass === 'GenericError',
    );
  });

  test('cont and stop give RESUME and STOP', async () => {
    await client.execute('cont');
    assert.equal(
      (await client.waitEvent('RESUME', undefined, { timeoutMs: 5000 })).event,
      'RESUME',
    );
    assert.equal((await client.execute('query-status')).status, 'running');
    await client.execute('stop');
    const stop = await client.waitEvent('STOP', undefined, { timeoutMs: 5000 });
    assert.equal(typeof stop.timestamp.seconds, 'number');
    assert.equal((await client.execute('query-status')).status, 'paused');
  });

  test('livemig qmp one-shot against QEMU', async () => {
    // A QEMU QMP socket serves one client at a time.
    await client.close();
    const ok = await cli([`unix:${sock}`, 'query-migrate-parameters']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"downtime-limit": 300/);
    const bad = await cli([sock, 'migrate_set_speed', 'value=1']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'CommandNotFound: The command migrate_set_speed has not been found\n');
  });

  test('reconnect after close, then quit: SHUTDOWN before the reply, then the connection closes', async () => {
    await client.reconnect();
    assert.equal(await client.execute('query-name').then(() => true), true);
    assert.deepEqual(await client.execute('quit'), {});
    const ev = await client.waitEvent('SHUTDOWN', undefined, { timeoutMs: 2000 });
    assert.deepEqual(ev.data, { guest: false, reason: 'host-qmp-quit' });
    const exit = await new Promise<number | null>((r) =>
      qemu!.exitCode !== null ? r(qemu!.exitCode) : qemu!.once('exit', (c) => r(c)),
    );
    assert.equal(exit, 0);
    await assert.rejects(client.execute('query-status'), { code: ErrorCode.QMP_CONNECTION });
  });
});
