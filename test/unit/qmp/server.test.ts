import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { transition } from '../../../src/qmp/server/index.js';
import type { QmpServer } from '../../../src/qmp/server/index.js';
import { Client, makeServer, tmpSock } from './server-helpers.js';

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}';

let server: QmpServer;
let path: string;
let port: number;
before(async () => {
  server = makeServer();
  path = tmpSock();
  await server.listenUnix(path);
  port = await server.listenTcp('127.0.0.1', 0);
});
after(async () => {
  await server.close();
});

const unix = (): Promise<Client> => Client.connect({ path });

test('state machine: one transition function', () => {
  assert.equal(transition('negotiating', { type: 'capabilities-accepted' }), 'command');
  assert.equal(transition('command', { type: 'capabilities-accepted' }), 'command');
  assert.equal(transition('command', { type: 'closed' }), 'closed');
  assert.equal(transition('closed', { type: 'capabilities-accepted' }), 'closed');
});

test('unix socket is mode 0600 and greeting matches transcript 01 bytes', async () => {
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const c = await unix();
  assert.equal(await c.next(), GREETING);
  c.sock.destroy();
});

test('transcript 01: negotiation', async () => {
  const c = await Client.connect({ port, host: '127.0.0.1' });
  assert.equal(await c.next(), GREETING);
  assert.equal(
    await c.cmd('{"execute": "query-migrate"}'),
    '{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with \'qmp_capabilities\'"}}',
  );
  assert.equal(
    await c.cmd('{"execute": "nonexistent", "id": 1}'),
    '{"id": 1, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with \'qmp_capabilities\'"}}',
  );
  assert.equal(
    await c.cmd('{"execute": "qmp_capabilities", "arguments": {"enable": ["foo"]}}'),
    '{"error": {"class": "GenericError", "desc": "Parameter \'null\' does not accept value \'foo\'"}}',
  );
  assert.equal(
    await c.cmd('{"execute": "query-migrate", "foo": 1}'),
    '{"error": {"class": "GenericError", "desc": "QMP input member \'foo\' is unexpected"}}',
  );
  assert.equal(await c.cmd('{"execute": "qmp_capabilities"}'), '{"return": {}}');
  assert.equal(
    await c.cmd('{"execute": "qmp_capabilities"}'),
    '{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}',
  );
  assert.equal(
    await c.cmd('{"execute": "query-version"}'),
    '{"return": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}}',
  );
  c.sock.destroy();
});

test('transcript 05: envelope errors, id echo, CRLF', async () => {
  const c = await unix();
  await c.negotiate();
  const exchanges: [string, string][] = [
    [
      '{"execute": "migrate-frobnicate"}',
      '{"error": {"class": "CommandNotFound", "desc": "The command migrate-frobnicate has not been found"}}',
    ],
    [
      '{"execute": "migrate", "arguments": {}}',
      '{"error": {"class": "GenericError", "desc": "Parameter \'uri\' is missing"}}',
    ],
    [
      '{"execute": "migrate"}',
      '{"error": {"class": "GenericError", "desc": "Parameter \'uri\' is missing"}}',
    ],
    [
      '{"execute": "query-migrate", "arguments": {"foo": 1}}',
      '{"error": {"class": "GenericError", "desc": "Parameter \'foo\' is unexpected"}}',
    ],
    [
      '{"execute": "migrate", "arguments": {"uri": "tcp:127.0.0.1:1", "foo": 1}}',
      '{"error": {"class": "GenericError", "desc": "Parameter \'foo\' is unexpected"}}',
    ],
    ['{"execute": "query-migrate", "id": "abc"}', '{"return": {}, "id": "abc"}'],
    ['{"execute": "query-migrate", "id": 42}', '{"return": {}, "id": 42}'],
    ['{"execute": "query-migrate", "id": {"a": [1, 2]}}', '{"return": {}, "id": {"a": [1, 2]}}'],
    [
      '{"execute": "migrate-frobnicate", "id": "err-1"}',
      '{"id": "err-1", "error": {"class": "CommandNotFound", "desc": "The command migrate-frobnicate has not been found"}}',
    ],
    [
      '{"execute": "migrate", "arguments": {}, "id": 7}',
      '{"id": 7, "error": {"class": "GenericError", "desc": "Parameter \'uri\' is missing"}}',
    ],
    [
      '{"execute": "query-migrate", "arguments": []}',
      '{"error": {"class": "GenericError", "desc": "QMP input member \'arguments\' must be an object"}}',
    ],
    [
      '{"execute": 1}',
      '{"error": {"class": "GenericError", "desc": "QMP input member \'execute\' must be a string"}}',
    ],
    [
      '{"arguments": {}}',
      '{"error": {"class": "GenericError", "desc": "QMP input lacks member \'execute\'"}}',
    ],
    [
      '{"execute": "query-migrate", "foo": 1}',
      '{"error": {"class": "GenericError", "desc": "QMP input member \'foo\' is unexpected"}}',
    ],
    ['[1, 2]', '{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}'],
    [
      '"query-migrate"',
      '{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}',
    ],
    ["{'execute': 'query-migrate'}", '{"return": {}}'],
    [
      '{"exec-oob": "migrate-recover", "arguments": {"uri": "tcp:127.0.0.1:1"}, "id": 1}',
      '{"id": 1, "error": {"class": "GenericError", "desc": "QMP input member \'exec-oob\' is unexpected"}}',
    ],
    [
      '{"execute": "fail", "id": null}',
      '{"id": null, "error": {"class": "GenericError", "desc": "boom"}}',
    ],
    [
      '{"execute": "query-migrate", "id": 18446744073709551615}',
      '{"return": {}, "id": 18446744073709551615}',
    ],
  ];
  for (const [req, reply] of exchanges) assert.equal(await c.cmd(req), reply, req);
  c.send('{"execute": ');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.lines.length, 0);
  assert.equal(
    await c.cmd('}'),
    '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
  );
  assert.equal(
    await c.cmd(']'),
    '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
  );
  c.send('{"execute": query-migrate}');
  assert.deepEqual(await c.waitLines(2), [
    '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'-m\'"}}',
    '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
  ]);
  c.send('{"execute": "query-migrate", "id": "a"}{"execute": "query-migrate", "id": "b"}');
  assert.deepEqual(await c.waitLines(2), [
    '{"return": {}, "id": "a"}',
    '{"return": {}, "id": "b"}',
  ]);
  assert.equal(c.rawBuffer, '');
  c.sock.destroy();
});

test('transcript 05: exec-oob with oob enabled', async () => {
  const c = await unix();
  await c.next();
  assert.equal(
    await c.cmd('{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}'),
    '{"return": {}}',
  );
  assert.equal(
    await c.cmd('{"exec-oob": "query-migrate", "id": "oob-1"}'),
    '{"id": "oob-1", "error": {"class": "GenericError", "desc": "The command query-migrate does not support OOB"}}',
  );
  assert.equal(
    await c.cmd('{"exec-oob": "migrate-recover", "arguments": {"uri": "x"}, "id": 2}'),
    '{"return": {}, "id": 2}',
  );
  // OOB jumps the in-band queue.
  c.send(
    '{"execute": "sleep", "arguments": {"ms": 200, "tag": "slow"}}{"exec-oob": "migrate-recover", "arguments": {"uri": "x"}, "id": "fast"}',
  );
  assert.deepEqual(await c.waitLines(2), [
    '{"return": {}, "id": "fast"}',
    '{"return": {"tag": "slow"}}',
  ]);
  c.sock.destroy();
});

test('query-commands lists every command, newest first', async () => {
  const c = await unix();
  await c.negotiate();
  const r = JSON.parse(await c.cmd('{"execute": "query-commands"}')) as {
    return: { name: string }[];
  };
  assert.deepEqual(
    r.return.map((x) => x.name),
    [
      'fail',
      'sleep',
      'migrate-recover',
      'migrate',
      'query-migrate',
      'query-commands',
      'query-version',
      'qmp_capabilities',
    ],
  );
  c.sock.destroy();
});

test('events only after negotiation, QEMU envelope', async () => {
  const a = await unix();
  const b = await unix();
  await a.negotiate();
  await b.next();
  server.emitEvent('MIGRATION', { status: 'setup' });
  server.emitEvent('STOP');
  const [e1, e2] = await a.waitLines(2);
  assert.match(
    e1 as string,
    /^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "MIGRATION", "data": \{"status": "setup"\}\}$/,
  );
  assert.match(
    e2 as string,
    /^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "STOP"\}$/,
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.lines.length, 0);
  a.sock.destroy();
  b.sock.destroy();
});

test('commands of one connection run in order', async () => {
  const c = await unix();
  await c.negotiate();
  c.send(
    [300, 0, 100, 0, 50, 0, 10, 0, 20, 0, 5]
      .map(
        (ms, i) => `{"execute": "sleep", "arguments": {"ms": ${ms}, "tag": "t${i}"}, "id": ${i}}`,
      )
      .join(''),
  );
  const lines = await c.waitLines(11);
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { id: number }).id),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  c.sock.destroy();
});

test('16 MiB line: one reply with the id echoed', async () => {
  const c = await unix();
  await c.negotiate();
  const big = 'y'.repeat(16 * 1024 * 1024);
  c.send(`{"execute": "query-migrate", "id": "${big}"}\n`);
  const line = await c.next();
  assert.equal(line.length, big.length + '{"return": {}, "id": ""}'.length);
  assert.equal(await c.cmd('{"execute": "query-migrate"}'), '{"return": {}}');
  c.sock.destroy();
});

test('deep nesting: errors, no crash, connection stays usable', async () => {
  const c = await unix();
  await c.negotiate();
  c.send('['.repeat(100_000) + ']'.repeat(100_000));
  c.send('{"execute": "query-migrate", "id": "after"}');
  for (;;) {
    const l = await c.next();
    if (l === '{"return": {}, "id": "after"}') break;
    assert.match(
      l,
      /^\{"error": \{"class": "GenericError", "desc": "(JSON nesting depth limit exceeded|JSON parse error, expecting value|QMP input must be a JSON object)"\}\}$/,
    );
  }
  c.sock.destroy();
});

test('vanishing client mid-command does not disturb the server', async () => {
  const c = await unix();
  await c.negotiate();
  c.send('{"execute": "sleep", "arguments": {"ms": 100, "tag": "x"}}');
  c.sock.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const d = await unix();
  await d.negotiate();
  assert.equal(await d.cmd('{"execute": "query-migrate"}'), '{"return": {}}');
  d.sock.destroy();
});

test('200 concurrent clients each get their own reply', async () => {
  const clients = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      i % 2 ? unix() : Client.connect({ port, host: '127.0.0.1' }),
    ),
  );
  await Promise.all(clients.map((c) => c.negotiate()));
  const replies = await Promise.all(
    clients.map((c, i) =>
      c.cmd(`{"execute": "sleep", "arguments": {"ms": ${i % 7}, "tag": "c${i}"}, "id": ${i}}`),
    ),
  );
  replies.forEach((r, i) => assert.equal(r, `{"return": {"tag": "c${i}"}, "id": ${i}}`));
  clients.forEach((c) => c.sock.destroy());
});

test('close removes the socket file; a stale socket is replaced', async () => {
  const s = makeServer();
  const p = tmpSock();
  const stale = net.createServer();
  await new Promise<void>((r) => stale.listen(p, r));
  stale.close(); // leaves nothing to serve but may leave the file
  await s.listenUnix(p);
  const c = await Client.connect({ path: p });
  assert.equal(await c.next(), GREETING);
  c.sock.destroy();
  await s.close();
  assert.equal(existsSync(p), false);
});
