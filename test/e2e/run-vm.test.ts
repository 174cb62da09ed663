/** `livemig run` as a QEMU user drives it: real processes, real QMP over unix and tcp. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { QmpClient, QmpError } from '../../src/qmp/client/index.js';
import {
  freePort,
  removeDir,
  runLivemig,
  startLivemig,
  stopAllLivemig,
  tempDir,
} from './helpers/livemig-process.js';

const MiB = 1 << 20;
after(stopAllLivemig);

/** First byte of each page in [1 MiB, 100 MiB): the ab workload's pass counters. */
function abCounters(dump: Buffer): number[] {
  const out: number[] = [];
  for (let off = MiB; off < Math.min(100 * MiB, dump.length); off += 4096) out.push(dump[off]!);
  return out;
}

/** QEMU's check: going up the range, each page is equal to or one below the previous (mod 256). */
function assertAbPattern(counters: number[]): void {
  let steps = 0;
  for (let i = 1; i < counters.length; i++) {
    const d = (counters[i - 1]! - counters[i]! + 256) & 0xff;
    assert.ok(d === 0 || d === 1, `page ${i}: ${counters[i - 1]} then ${counters[i]}`);
    steps += d;
  }
  assert.ok(steps <= 1, `${steps} steps in one pass`);
}

test('a running testvm changes RAM between pmemsaves and freezes after stop; tcp and unix QMP agree', async () => {
  const dir = tempDir();
  const port = await freePort();
  const vm = await startLivemig(
    [
      '-m',
      '128M',
      '-name',
      'e2e',
      '-qmp',
      `tcp:127.0.0.1:${port},server=on,wait=off`,
      '-serial',
      `file:${dir}/serial.txt`,
    ],
    { dir },
  );
  const unix = await QmpClient.connect(vm.qmpPath);
  const tcp = await QmpClient.connect({ host: '127.0.0.1', port });
  try {
    assert.equal(statSync(vm.qmpPath).mode & 0o777, 0o600);
    assert.deepEqual(unix.greeting.QMP.version.qemu, { micro: 0, minor: 1, major: 8 });
    assert.match(unix.greeting.QMP.version.package, /^livemig \d+\.\d+\.\d+$/);
    assert.deepEqual(await tcp.execute('query-status'), {
      status: 'running',
      singlestep: false,
      running: true,
    });
    assert.deepEqual(await unix.execute('query-name'), { name: 'e2e' });

    const dump = async (name: string): Promise<Buffer> => {
      const file = path.join(dir, name);
      await unix.execute('pmemsave', { val: 0, size: 128 * MiB, filename: file });
      return readFileSync(file);
    };
    const a = await dump('a.bin');
    await new Promise((r) => setTimeout(r, 50));
    const b = await dump('b.bin');
    assert.ok(!a.equals(b), 'RAM did not change while running');

    await tcp.execute('stop');
    await unix.waitEvent('STOP', undefined, { timeoutMs: 5000 });
    assert.equal((await unix.execute('query-status')).status, 'paused');
    const c = await dump('c.bin');
    await new Promise((r) => setTimeout(r, 50));
    const d = await dump('d.bin');
    assert.ok(c.equals(d), 'RAM changed while paused');
    assertAbPattern(abCounters(c));
    assert.match(readFileSync(path.join(dir, 'serial.txt'), 'latin1'), /^B+$/);

    await unix.execute('cont');
    await tcp.waitEvent('RESUME', undefined, { timeoutMs: 5000 });
    assert.equal((await tcp.execute('query-status')).status, 'running');
  } finally {
    await unix.close();
    await tcp.close();
    removeDir(dir);
  }
});

test('-S starts paused (prelaunch) and cont runs it; -uuid is reported', async () => {
  const uuid = '12345678-9abc-def0-1234-56789abcdef0';
  const vm = await startLivemig(['-S', '-m', '64M', '-uuid', uuid]);
  const q = await QmpClient.connect(vm.qmpPath);
  try {
    assert.deepEqual(await q.execute('query-status'), {
      status: 'prelaunch',
      singlestep: false,
      running: false,
    });
    assert.deepEqual(await q.execute('query-uuid'), { UUID: uuid });
    assert.deepEqual(await q.execute('query-name'), {});
    await q.execute('cont');
    assert.equal((await q.execute('query-status')).status, 'running');
  } finally {
    await q.close();
    removeDir(vm.dir);
  }
});

test('quit: SHUTDOWN comes before the reply, the process exits 0 and removes its socket', async () => {
  const vm = await startLivemig(['-m', '64M']);
  // A raw socket, to see the wire order of the event and the reply.
  const sock = net.createConnection(vm.qmpPath);
  let text = '';
  sock.on('data', (d: Buffer) => (text += d.toString()));
  sock.write('{"execute": "qmp_capabilities"}\r\n{"execute": "quit", "id": 7}\r\n');
  await new Promise((r) => sock.on('close', r));
  const lines = text.split('\r\n').filter((l) => l !== '');
  const shutdown = lines.findIndex((l) => l.includes('"SHUTDOWN"'));
  const reply = lines.findIndex((l) => l === '{"return": {}, "id": 7}');
  assert.ok(shutdown > 0 && reply > shutdown, lines.join('\n'));
  assert.match(lines[shutdown]!, /"data": \{"guest": false, "reason": "host-qmp-quit"\}/);
  assert.equal(await vm.exited, 0);
  assert.throws(() => statSync(vm.qmpPath), { code: 'ENOENT' });
  removeDir(vm.dir);
});

test(
  'quit while a pmemsave of 2^53-1 bytes is still writing: the process exits',
  { timeout: 60_000 },
  async () => {
    const vm = await startLivemig(['-m', '16M']);
    const q = await QmpClient.connect(vm.qmpPath);
    // Never answered: it would write for hours. The reply is not awaited.
    const dump = q
      .execute('pmemsave', { val: 0, size: Number.MAX_SAFE_INTEGER, filename: '/dev/null' })
      .catch((e: unknown) => e);
    const other = await QmpClient.connect(vm.qmpPath);
    assert.equal((await other.execute('query-status')).status, 'running');
    await other.execute('quit');
    assert.equal(await vm.exited, 0);
    await dump;
    await Promise.allSettled([q.close(), other.close()]);
    removeDir(vm.dir);
  },
);

test('-smp 0 warns as QEMU 8.1 does and the VM runs', async () => {
  const vm = await startLivemig(['-m', '64M', '-smp', '0']);
  const q = await QmpClient.connect(vm.qmpPath);
  try {
    assert.equal((await q.execute('query-status')).status, 'running');
    assert.equal(
      vm.stderr(),
      'livemig run: warning: Deprecated CPU topology (considered invalid): ' +
        'CPU topology parameters must be greater than zero\n',
    );
  } finally {
    await q.close();
    vm.child.kill('SIGTERM');
    await vm.exited;
    removeDir(vm.dir);
  }
});

test('SIGTERM shuts down like QEMU: exit 0', async () => {
  const vm = await startLivemig(['-m', '64M']);
  vm.child.kill('SIGTERM');
  assert.equal(await vm.exited, 0);
  assert.match(vm.stderr(), /terminating on signal 15/);
  removeDir(vm.dir);
});

test('migration capabilities follow QEMU 8.1 rules over QMP', async () => {
  const vm = await startLivemig(['-m', '64M']);
  const q = await QmpClient.connect(vm.qmpPath);
  try {
    const caps = await q.execute('query-migrate-capabilities');
    assert.equal(caps.length, 23);
    assert.deepEqual(caps.at(21), { capability: 'switchover-ack', state: false });
    await assert.rejects(
      q.execute('migrate-set-capabilities', {
        capabilities: [{ capability: 'switchover-ack', state: true }],
      }),
      (e: unknown) =>
        e instanceof QmpError &&
        e.errorClass === 'GenericError' &&
        e.desc === "Capability 'switchover-ack' requires capability 'return-path'",
    );
    await q.execute('migrate-set-capabilities', {
      capabilities: [
        { capability: 'return-path', state: true },
        { capability: 'switchover-ack', state: true },
      ],
    });
    const after = await q.execute('query-migrate-capabilities');
    assert.equal(after.find((c) => c.capability === 'switchover-ack')?.state, true);
    await assert.rejects(
      q.executeRaw('migrate-set-capabilities', {
        capabilities: [{ capability: 'events', state: 'yes' }],
      }),
      { desc: "Invalid parameter type for 'capabilities[0].state', expected: boolean" },
    );
    await q.execute('migrate-set-parameters', { 'max-bandwidth': -1 });
    const params = await q.execute('query-migrate-parameters');
    assert.equal(BigInt(params['max-bandwidth']!), 18446744073709551615n);
    await assert.rejects(q.execute('migrate-set-parameters', { 'downtime-limit': 2000001 }), {
      desc: "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms",
    });
    assert.deepEqual(await q.execute('query-migrate'), {});
  } finally {
    await q.close();
    removeDir(vm.dir);
  }
});

test('start-up errors: one line on stderr and exit status 1', async () => {
  let r = await runLivemig(['run', '-frobnicate']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'livemig run: -frobnicate: invalid option\n');
  r = await runLivemig(['run', '-global', 'migration.x-switchover-ack=on']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "livemig run: Capability 'switchover-ack' requires capability 'return-path'\n",
  );
  r = await runLivemig(['run', '-m', 'lots']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.split('\n').length, 2);
  r = await runLivemig(['run', '--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /livemig/);
});
