import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { formatUri, parseIncomingUri, parseMigrateUri } from '../../../src/transport/index.js';

const bad = (fn: () => unknown, message: string): void =>
  assert.throws(fn, { code: ErrorCode.INVALID_PARAMETER, message });

test('every scheme parses on both sides', () => {
  for (const parse of [parseMigrateUri, parseIncomingUri]) {
    assert.deepEqual(parse('tcp:127.0.0.1:4444'), { kind: 'tcp', host: '127.0.0.1', port: '4444' });
    assert.deepEqual(parse('tcp:[::1]:0'), { kind: 'tcp', host: '::1', port: '0' });
    assert.deepEqual(parse('tcp:localhost:5'), { kind: 'tcp', host: 'localhost', port: '5' });
    assert.deepEqual(parse('tcp::4444'), { kind: 'tcp', host: '', port: '4444' });
    assert.deepEqual(parse('tcp:127.0.0.1:4444,ipv4=on'), {
      kind: 'tcp',
      host: '127.0.0.1',
      port: '4444',
    });
    assert.deepEqual(parse('unix:/tmp/a b'), { kind: 'unix', path: '/tmp/a b' });
    assert.deepEqual(parse('exec:cat > /tmp/x'), { kind: 'exec', command: 'cat > /tmp/x' });
    assert.deepEqual(parse('fd:migfd'), { kind: 'fd', name: 'migfd' });
    assert.deepEqual(parse('file:/tmp/m'), { kind: 'file', path: '/tmp/m', offset: 0 });
    assert.deepEqual(parse('file:/tmp/m,offset=4096'), {
      kind: 'file',
      path: '/tmp/m',
      offset: 4096,
    });
    assert.deepEqual(parse('file:/tmp/m,offset=0x1000'), {
      kind: 'file',
      path: '/tmp/m',
      offset: 4096,
    });
    assert.deepEqual(parse('file:/tmp/m,offset=1.5k'), {
      kind: 'file',
      path: '/tmp/m',
      offset: 1536,
    });
    assert.deepEqual(parse('file:/tmp/m,offset=2M'), {
      kind: 'file',
      path: '/tmp/m',
      offset: 2 << 20,
    });
  }
});

test('unknown scheme: the two commands word it differently', () => {
  for (const u of ['foo:bar', '', 'rdma:1.2.3.4:5', 'vsock:3:4', 'TCP:127.0.0.1:1']) {
    bad(() => parseMigrateUri(u), "Parameter 'uri' expects a valid migration protocol");
    bad(() => parseIncomingUri(u), `unknown migration protocol: ${u}`);
  }
});

test("inet_parse's error texts", () => {
  bad(() => parseMigrateUri('tcp:127.0.0.1'), "error parsing address '127.0.0.1'");
  bad(() => parseIncomingUri('tcp:127.0.0.1:'), "error parsing address '127.0.0.1:'");
  bad(() => parseMigrateUri('tcp:'), "error parsing address ''");
  bad(() => parseMigrateUri('tcp:[::1]'), "error parsing IPv6 address '[::1]'");
  bad(() => parseMigrateUri('tcp:[::1]:'), "error parsing IPv6 address '[::1]:'");
  bad(() => parseMigrateUri('tcp::'), "error parsing port in address ':'");
  bad(() => parseMigrateUri('unix:'), 'invalid Unix socket address');
});

test('file: offsets use QEMU size syntax and its errors', () => {
  bad(() => parseMigrateUri('file:/x,offset=12q'), 'file URI has bad offset 12q: Invalid argument');
  bad(() => parseMigrateUri('file:/x,offset='), 'file URI has bad offset : Invalid argument');
  bad(() => parseMigrateUri('file:/x,offset=1.5'), 'file URI has bad offset 1.5: Invalid argument');
  bad(
    () => parseMigrateUri('file:/x,offset=0x10k'),
    'file URI has bad offset 0x10k: Invalid argument',
  );
  bad(
    () => parseMigrateUri('file:/x,offset=16E'),
    'file URI has bad offset 16E: Numerical result out of range',
  );
  // qemu_strtosz's syntax: suffixes, blanks, hex, fractions rounded to the byte.
  const offset = (text: string): number => {
    const u = parseMigrateUri(`file:/x,offset=${text}`);
    assert.equal(u.kind, 'file');
    return u.kind === 'file' ? u.offset : -1;
  };
  assert.equal(offset('1b'), 1);
  assert.equal(offset(' 8'), 8);
  assert.equal(offset('0x10'), 16);
  assert.equal(offset('1.5k'), 1536);
  assert.equal(offset('2M'), 2 << 20);
  bad(
    () => parseMigrateUri('file:/x,offset=15E'),
    'file URI has bad offset 15E: Numerical result out of range',
  );
});

test('formatUri round-trips', () => {
  for (const u of [
    'tcp:127.0.0.1:4',
    'tcp:[::1]:4',
    'unix:/a',
    'exec:cat',
    'file:/f',
    'file:/f,offset=9',
    'fd:x',
  ]) {
    assert.equal(formatUri(parseMigrateUri(u)), u);
  }
});
