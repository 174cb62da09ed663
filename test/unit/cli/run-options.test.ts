/** `livemig run` command line: every accepted spelling, every refusal with its exact text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, LivemigError } from '../../../src/errors.js';
import { DEFAULT_RAM_SIZE, parseRunArgs } from '../../../src/cli/run-options.js';
import {
  RUN_HELP,
  formatDeviceHelp,
  formatMachineHelp,
  formatRunVersion,
} from '../../../src/cli/run-help.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function rejects(argv: string[], message: string): void {
  assert.throws(
    () => parseRunArgs(argv),
    (e: unknown) => {
      assert.ok(e instanceof LivemigError);
      assert.equal(e.code, ErrorCode.USAGE);
      assert.equal(e.message, message);
      return true;
    },
  );
}

test('defaults', () => {
  assert.deepEqual(parseRunArgs([]), {
    machine: { type: 'testvm', workload: 'ab' },
    ramSize: DEFAULT_RAM_SIZE,
    smp: 1,
    startPaused: false,
    serial: { kind: 'none' },
    qmp: [],
    globals: [],
    devices: [],
    help: false,
    version: false,
    listMachines: false,
    listDevices: false,
    warnings: [],
  });
  assert.equal(DEFAULT_RAM_SIZE, 256 * MiB);
});

test('one or two dashes; no -opt=value form (QEMU has none)', () => {
  assert.equal(parseRunArgs(['--m', '1G']).ramSize, GiB);
  assert.equal(parseRunArgs(['--S']).startPaused, true);
  rejects(['-m=512'], '-m=512: invalid option');
  rejects(['--m=512'], '--m=512: invalid option');
});

test('unknown options, missing arguments, stray words', () => {
  rejects(['-foo'], '-foo: invalid option');
  rejects(['--foo'], '--foo: invalid option');
  rejects(['-'], '-: invalid option');
  rejects(['--'], '--: invalid option');
  rejects(['---m', '1G'], '---m: invalid option');
  rejects(['-constructor'], '-constructor: invalid option');
  rejects(['-enable-kvm'], '-enable-kvm: invalid option');
  rejects(['-m'], '-m: requires an argument');
  rejects(['-S', '--qmp'], '--qmp: requires an argument');
  rejects(['disk.img'], 'disk.img: unexpected argument (livemig run takes no disk image)');
});

test('-machine / -M', () => {
  const m = (...argv: string[]) => parseRunArgs(argv).machine;
  assert.deepEqual(m('-machine', 'testvm'), { type: 'testvm', workload: 'ab' });
  assert.deepEqual(m('-M', 'type=testvm,workload=fill'), { type: 'testvm', workload: 'fill' });
  assert.deepEqual(m('--machine', 'testvm,workload=random,dirty-rate=100'), {
    type: 'testvm',
    workload: 'random',
    dirtyRate: 100,
  });
  assert.deepEqual(m('-machine', 'workload=idle'), { type: 'testvm', workload: 'idle' });
  assert.deepEqual(m('-machine', 'dirty-rate=0'), { type: 'testvm', workload: 'ab', dirtyRate: 0 });
  assert.deepEqual(m('-M', 'none'), { type: 'none', workload: 'ab' });
  // QEMU merges repeated -machine options; later keys win.
  assert.deepEqual(m('-M', 'testvm,workload=fill', '-M', 'workload=idle'), {
    type: 'testvm',
    workload: 'idle',
  });
  rejects(
    ['-machine', 'pc'],
    '-machine pc: unsupported machine type (use -machine help to list supported machines)',
  );
  rejects(
    ['-M', 'testvm,workload=busy'],
    "-M testvm,workload=busy: Parameter 'workload' does not accept value 'busy'",
  );
  rejects(
    ['-M', 'testvm,dirty-rate=-1'],
    "-M testvm,dirty-rate=-1: Parameter 'dirty-rate' expects uint64",
  );
  rejects(
    ['-M', 'testvm,dirty-rate=1k'],
    "-M testvm,dirty-rate=1k: Parameter 'dirty-rate' expects uint64",
  );
  rejects(
    ['-M', 'testvm,accel=kvm'],
    "-M testvm,accel=kvm: Property 'testvm-machine.accel' not found",
  );
  rejects(
    ['-M', 'none,workload=ab'],
    "-M none,workload=ab: Property 'none-machine.workload' not found",
  );
  rejects(['-M', 'testvm,workload'], "-M testvm,workload: Expected '=' after parameter 'workload'");
});

test('-machine help stops parsing; other listings', () => {
  for (const arg of ['help', '?', 'testvm,help']) {
    const c = parseRunArgs(['-machine', arg, '-bogus']);
    assert.equal(c.listMachines, true);
  }
  const text = formatMachineHelp();
  assert.match(
    text,
    /^Supported machines are:\ntestvm {15}.* \(default\)\nnone {17}empty machine\n/,
  );
  const c = parseRunArgs(['-device', 'help', '-m', '1G']);
  assert.equal(c.listDevices, true);
  assert.equal(c.ramSize, GiB);
  assert.deepEqual(c.devices, []);
  assert.equal(parseRunArgs(['-device', 'initdata,help']).listDevices, true);
  assert.equal(
    formatDeviceHelp([{ name: 'initdata', description: 'initial data' }]),
    'Supported devices are:\nname "initdata", desc "initial data"\n',
  );
});

test('-m sizes follow QEMU', () => {
  const ram = (arg: string) => parseRunArgs(['-m', arg]).ramSize;
  assert.equal(ram('512'), 512 * MiB);
  assert.equal(ram('512M'), 512 * MiB);
  assert.equal(ram('512m'), 512 * MiB);
  assert.equal(ram('4G'), 4 * GiB);
  assert.equal(ram('size=4G'), 4 * GiB);
  assert.equal(ram('16G'), 16 * GiB);
  assert.equal(ram('16384'), 16 * GiB);
  assert.equal(ram('1.5G'), 1.5 * GiB);
  assert.equal(ram('1048576K'), GiB);
  assert.equal(ram('1T'), 2 ** 40);
  assert.equal(ram('0'), DEFAULT_RAM_SIZE);
  assert.equal(ram('4096B'), 8192); // rounded up to 8 KiB, as QEMU does
  assert.equal(ram('12K'), 16384);
  assert.equal(ram(''), DEFAULT_RAM_SIZE);
  assert.equal(parseRunArgs(['-m', '1G', '-m', '2G']).ramSize, 2 * GiB);
  const bad = "Parameter 'size' expects a non-negative number below 2^64";
  // Checked against QEMU 7.2; 8.1's qemu_strtosz makes a negative size out of range.
  assert.equal(ram(' 4G'), 4 * GiB);
  for (const v of ['abc', '4GB', '1.5', '0x1000', '4 G', '1.5B']) {
    rejects(['-m', v], `-m ${v}: ${bad}`);
  }
  rejects(['-m', 'size='], `-m size=: ${bad}`);
  rejects(['-m', '16E'], "-m 16E: Value '16E' is out of range for parameter 'size'");
  rejects(['-m', '-1'], "-m -1: Value '-1' is out of range for parameter 'size'");
  rejects(['-m', '17592186044416'], "-m 17592186044416: too large 'size' option value");
  rejects(['-m', '8P'], '-m 8P: ram size too large');
  rejects(
    ['-m', '4G,maxmem=8G'],
    "-m 4G,maxmem=8G: Parameter 'maxmem' is not supported by livemig",
  );
  rejects(['-m', '4G,slots=2'], "-m 4G,slots=2: Parameter 'slots' is not supported by livemig");
  rejects(['-m', '4G,foo=1'], "-m 4G,foo=1: Invalid parameter 'foo'");
});

test('-smp', () => {
  assert.equal(parseRunArgs(['-smp', '4']).smp, 4);
  assert.equal(parseRunArgs(['-smp', 'cpus=2']).smp, 2);
  assert.equal(parseRunArgs(['-M', 'none', '-smp', '1']).smp, 1);
  // QEMU 8.1 (as 7.2 here) warns about a zero and takes it as omitted: 1 CPU.
  const zeroWarning =
    'Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero';
  for (const argv of [
    ['-smp', '0'],
    ['-smp', 'cpus=0'],
    ['-smp', '4', '-smp', '0'],
  ]) {
    const cfg = parseRunArgs(argv);
    assert.equal(cfg.smp, 1, argv.join(' '));
    assert.deepEqual(cfg.warnings, [zeroWarning], argv.join(' '));
  }
  assert.deepEqual(parseRunArgs(['-M', 'none', '-smp', '0', '-smp', '0']).warnings, [zeroWarning]);
  assert.deepEqual(parseRunArgs(['-smp', '2']).warnings, []);
  // Merged as QEMU merges -smp: only the final value counts.
  for (const argv of [
    ['-smp', '0', '-smp', '2'],
    ['-smp', '0,cpus=2'],
  ]) {
    const cfg = parseRunArgs(argv);
    assert.equal(cfg.smp, 2, argv.join(' '));
    assert.deepEqual(cfg.warnings, [], argv.join(' '));
  }
  // Errors QEMU 7.2 reports when it builds the machine: smp.KEY names, no option location.
  for (const v of ['two', '1.5', '99999999999999999999']) {
    rejects(['-smp', v], "Parameter 'smp.cpus' expects integer");
  }
  for (const key of ['sockets', 'cores', 'threads', 'dies', 'clusters', 'maxcpus']) {
    rejects(
      ['-smp', `2,${key}=2`],
      `-smp 2,${key}=2: Parameter '${key}' is not supported by livemig`,
    );
  }
  rejects(['-smp', '2,foo=1'], "Parameter 'smp.foo' is unexpected");
  rejects(
    ['-smp', '2', '-M', 'none'],
    "Invalid SMP CPUs 2. The max CPUs supported by machine 'none' is 1",
  );
  rejects(['-smp', '-1'], "Invalid SMP CPUs -1. The max CPUs supported by machine 'testvm' is 64");
  rejects(['-smp', '65'], "Invalid SMP CPUs 65. The max CPUs supported by machine 'testvm' is 64");
  assert.equal(parseRunArgs(['-smp', '64']).smp, 64);
});

test('-name, -uuid, -S', () => {
  assert.equal(parseRunArgs(['-name', 'vm1']).name, 'vm1');
  assert.equal(parseRunArgs(['-name', 'guest=vm2']).name, 'vm2');
  assert.equal(parseRunArgs(['-name', 'a,,b']).name, 'a,b');
  rejects(
    ['-name', 'vm,process=x'],
    "-name vm,process=x: Parameter 'process' is not supported by livemig",
  );
  rejects(
    ['-name', 'vm,debug-threads=on'],
    "-name vm,debug-threads=on: Parameter 'debug-threads' is not supported by livemig",
  );
  const text = '0123ABCD-4567-89ab-cdef-0123456789AB';
  const uuid = parseRunArgs(['-uuid', text]).uuid;
  assert.equal(uuid?.text, text.toLowerCase());
  assert.deepEqual([...(uuid?.bytes ?? [])].slice(0, 3), [0x01, 0x23, 0xab]);
  assert.equal(uuid?.bytes.length, 16);
  for (const v of [
    'not-a-uuid',
    '0123abcd456789abcdef0123456789ab',
    '0123abcd-4567-89ab-cdef-0123456789a',
    '0123abcd-4567-89ab-cdef-0123456789ag',
  ]) {
    rejects(['-uuid', v], `-uuid ${v}: Fail to parse UUID string. Wrong format.`);
  }
  assert.equal(parseRunArgs(['-S']).startPaused, true);
});

test('-serial', () => {
  const serial = (...argv: string[]) => parseRunArgs(argv).serial;
  assert.deepEqual(serial('-serial', 'none'), { kind: 'none' });
  assert.deepEqual(serial('-serial', 'stdio'), { kind: 'stdio' });
  assert.deepEqual(serial('-serial', 'file:/tmp/a,b'), { kind: 'file', path: '/tmp/a,b' });
  assert.deepEqual(serial('-serial', 'none', '-serial', 'stdio'), { kind: 'stdio' });
  assert.deepEqual(serial('-serial', 'stdio', '-serial', 'none'), { kind: 'stdio' });
  rejects(
    ['-serial', 'stdio', '-serial', 'file:x'],
    '-serial file:x: too many serial ports (livemig has one)',
  );
  rejects(['-serial', 'file:'], '-serial file:: chardev: file: no filename given');
  rejects(
    ['-serial', 'pty'],
    '-serial pty: livemig supports only -serial file:PATH, -serial stdio and -serial none',
  );
});

test('-qmp spellings', () => {
  const qmp = (...args: string[]) => parseRunArgs(args.flatMap((a) => ['-qmp', a])).qmp;
  assert.deepEqual(qmp('unix:/tmp/q.sock,server=on,wait=off'), [
    { kind: 'unix', path: '/tmp/q.sock' },
  ]);
  assert.deepEqual(qmp('unix:/tmp/q.sock,server,nowait'), [{ kind: 'unix', path: '/tmp/q.sock' }]);
  assert.deepEqual(qmp('unix:/tmp/a,,b,server=yes,wait=no'), [{ kind: 'unix', path: '/tmp/a,b' }]);
  assert.deepEqual(
    qmp('tcp:127.0.0.1:4444,server=on,wait=off', 'tcp:localhost:5555,server,nowait'),
    [
      { kind: 'tcp', host: '127.0.0.1', port: 4444 },
      { kind: 'tcp', host: 'localhost', port: 5555 },
    ],
  );
  assert.deepEqual(qmp('tcp:127.1.2.3:1,wait=off,server=on'), [
    { kind: 'tcp', host: '127.1.2.3', port: 1 },
  ]);
});

test('-qmp refusals', () => {
  const r = (arg: string, msg: string) => rejects(['-qmp', arg], `-qmp ${arg}: ${msg}`);
  const needServer = 'livemig supports only QMP server sockets; add server=on,wait=off';
  const noWait = 'livemig does not wait for a QMP client to connect; add wait=off';
  r('unix:/q', needServer);
  r('unix:/q,server=off,wait=off', needServer);
  r('unix:/q,noserver,nowait', needServer);
  r('unix:/q,server=on', noWait);
  r('unix:/q,server=on,wait=on', noWait);
  r('unix:/q,server,wait', noWait);
  r('unix:/q,server=maybe', "Parameter 'server' expects 'on' or 'off'");
  r('unix:/q,server,nowait,telnet=on', "Parameter 'telnet' is not supported by livemig");
  r('unix:/q,server,nowait,nodelay', "Parameter 'delay' is not supported by livemig");
  r('unix:/q,server,nowait,frob=1', "Invalid parameter 'frob'");
  r('unix:,server,nowait', 'chardev: socket: no path given');
  const loopback = (h: string) =>
    `QMP may listen only on loopback (127.0.0.1, localhost) or a unix socket, not '${h}'`;
  r('tcp:0.0.0.0:4444,server,nowait', loopback('0.0.0.0'));
  r('tcp::4444,server,nowait', loopback(''));
  r('tcp:example.com:4444,server,nowait', loopback('example.com'));
  r('tcp:127.0.0.256:4444,server,nowait', loopback('127.0.0.256'));
  r('tcp:127.0.0.1:0,server,nowait', "invalid port '0': expected a number from 1 to 65535");
  r('tcp:127.0.0.1:65536,server,nowait', "invalid port '65536': expected a number from 1 to 65535");
  r('tcp:127.0.0.1:qmp,server,nowait', "invalid port 'qmp': expected a number from 1 to 65535");
  r('tcp:127.0.0.1', 'expected tcp:HOST:PORT');
  r('stdio', 'livemig supports only -qmp unix:PATH,... and -qmp tcp:HOST:PORT,...');
});

test('-incoming keeps the string; the last one wins', () => {
  assert.equal(parseRunArgs(['-incoming', 'defer']).incoming, 'defer');
  assert.equal(
    parseRunArgs(['-incoming', 'defer', '-incoming', 'tcp:127.0.0.1:4446']).incoming,
    'tcp:127.0.0.1:4446',
  );
});

test('-global, both forms, repeatable', () => {
  const g = parseRunArgs([
    '-global',
    'migration.x-switchover-ack=on',
    '--global',
    'migration.tls-creds=a,b=c',
    '-global',
    'driver=migration,property=x-return-path,value=on',
    '-global',
    'driver=d,property=p,value=a,,b',
    '-global',
    'migration.empty=',
  ]).globals;
  assert.deepEqual(g, [
    { driver: 'migration', property: 'x-switchover-ack', value: 'on' },
    { driver: 'migration', property: 'tls-creds', value: 'a,b=c' },
    { driver: 'migration', property: 'x-return-path', value: 'on' },
    { driver: 'd', property: 'p', value: 'a,b' },
    { driver: 'migration', property: 'empty', value: '' },
  ]);
  const required = "options 'driver', 'property', and 'value' are required";
  rejects(
    ['-global', 'driver=migration,property=x'],
    `-global driver=migration,property=x: ${required}`,
  );
  rejects(['-global', 'foo=bar'], "-global foo=bar: Invalid parameter 'foo'");
  rejects(['-global', 'migration.x'], "-global migration.x: Invalid parameter 'migration.x'");
});

test('-device, repeatable', () => {
  const d = parseRunArgs([
    '-device',
    'initdata,id=d0,file=/tmp/x,,y,size=4M',
    '-device',
    'loader',
    '-device',
    'driver=loader,id=L.1_x,force-raw',
    '-device',
    'loader,__proto__=1',
  ]).devices;
  assert.deepEqual(d[0], { type: 'initdata', id: 'd0', props: { file: '/tmp/x,y', size: '4M' } });
  assert.deepEqual(d[1], { type: 'loader', props: {} });
  assert.deepEqual(d[2], { type: 'loader', id: 'L.1_x', props: { 'force-raw': 'on' } });
  assert.equal(Object.getPrototypeOf(d[3]?.props), Object.prototype);
  assert.deepEqual(Object.entries(d[3]?.props ?? {}), [['__proto__', '1']]);
  rejects(['-device', 'id=x'], "-device id=x: Parameter 'driver' is missing");
  rejects(
    ['-device', 'a,id=x', '-device', 'b,id=x'],
    "-device b,id=x: Duplicate ID 'x' for device",
  );
  rejects(
    ['-device', 'a,id=1x'],
    "-device a,id=1x: Parameter 'id' expects an identifier (letters, digits, '-', '.', '_', starting with a letter)",
  );
  rejects(
    ['-device', '{"driver":"a"}'],
    '-device {"driver":"a"}: livemig does not accept the JSON form of -device',
  );
});

test('accepted no-ops and their refusals', () => {
  const c = parseRunArgs([
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-display',
    'none',
    '-accel',
    'tcg',
  ]);
  assert.deepEqual(c, parseRunArgs([]));
  rejects(
    ['-display', 'gtk'],
    '-display gtk: livemig has no display; only -display none is accepted',
  );
  rejects(
    ['-accel', 'kvm'],
    '-accel kvm: livemig has no accelerators; only -accel tcg is accepted',
  );
});

test('help and version stop parsing', () => {
  for (const h of ['-h', '--h', '-help', '--help']) {
    assert.equal(parseRunArgs(['-m', '1G', h, '-bogus']).help, true);
  }
  for (const v of ['-version', '--version']) {
    assert.equal(parseRunArgs([v, '-bogus']).version, true);
  }
  rejects(['-bogus', '--help'], '-bogus: invalid option');
  assert.equal(formatRunVersion('0.1.0'), 'livemig version 0.1.0 (QEMU 8.1 compatible)\n');
  for (const opt of [
    '-machine',
    '-m ',
    '-smp',
    '-name',
    '-uuid',
    '-S ',
    '-serial',
    '-qmp',
    '-incoming',
    '-global',
    '-device',
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-display none',
    '-accel tcg',
    '-version',
  ]) {
    assert.ok(RUN_HELP.includes(opt), opt);
  }
});

test('a QEMU-style command line from the migration tests', () => {
  const c = parseRunArgs(
    (
      '-machine testvm,workload=ab -m 16G -smp 1 -name target -S -nodefaults -display none ' +
      '-serial file:/tmp/dest.log -qmp unix:/tmp/dest.qmp,server=on,wait=off ' +
      '-incoming defer -global migration.x-events=on'
    ).split(' '),
  );
  assert.equal(c.ramSize, 16 * GiB);
  assert.equal(c.name, 'target');
  assert.equal(c.startPaused, true);
  assert.deepEqual(c.serial, { kind: 'file', path: '/tmp/dest.log' });
  assert.deepEqual(c.qmp, [{ kind: 'unix', path: '/tmp/dest.qmp' }]);
  assert.equal(c.incoming, 'defer');
  assert.deepEqual(c.globals, [{ driver: 'migration', property: 'x-events', value: 'on' }]);
});
