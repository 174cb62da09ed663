// QmpClient against a scripted fake server: negotiation, correlation, events,
// timeouts, aborts, misbehaving servers and reconnection.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { QmpClient } from '../../../src/qmp/client/client.js';
import { QmpError } from '../../../src/qmp/client/errors.js';
import { FakeQmpServer, GREETING } from './client-fake-server.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

let fake: FakeQmpServer;
const clients: QmpClient[] = [];
async function connect(opts: Parameters<typeof QmpClient.connect>[1] = {}): Promise<QmpClient> {
  const c = await QmpClient.connect(fake.path, { timeoutMs: 2000, ...opts });
  clients.push(c);
  return c;
}

describe('QmpClient', () => {
  beforeEach(async () => {
    fake = await FakeQmpServer.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await fake.stop();
  });

  test('reads the greeting and negotiates with an id', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    assert.deepEqual(c.greeting, GREETING);
    assert.equal(c.negotiated, true);
    assert.deepEqual(JSON.parse(conn.rawLines[0]!), {
      execute: 'qmp_capabilities',
      id: 'livemig-1',
    });
  });

  test('negotiate: false stays in negotiation mode; enableOob asks for oob', async () => {
    const c = await connect({ negotiate: false });
    assert.equal(c.negotiated, false);
    const c2 = await connect({ enableOob: true });
    await fake.nextConnection();
    const conn2 = await fake.nextConnection();
    assert.deepEqual(JSON.parse(conn2.rawLines[0]!).arguments, { enable: ['oob'] });
    assert.equal(c2.negotiated, true);
  });

  test('a rejected qmp_capabilities fails connect with QmpError', async () => {
    await fake.stop();
    fake = await FakeQmpServer.start({ negotiate: false });
    const p = connect();
    const conn = await fake.nextConnection();
    conn.error(await conn.nextRequest(), 'GenericError', 'Capability oob not available');
    await assert.rejects(p, (e) => e instanceof QmpError && e.errorClass === 'GenericError');
  });

  test('replies are matched by id, in any order', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const a = c.execute('query-status');
    const b = c.execute('query-name');
    const d = c.executeRaw('x-custom', { n: 1 });
    const reqs = [await conn.nextRequest(), await conn.nextRequest(), await conn.nextRequest()];
    assert.deepEqual(
      reqs.map((r) => r.id),
      ['livemig-2', 'livemig-3', 'livemig-4'],
    );
    assert.deepEqual(reqs[2]!.arguments, { n: 1 });
    conn.reply(reqs[2]!, 'third');
    conn.reply(reqs[0]!, { status: 'running', running: true });
    conn.reply(reqs[1]!, { name: 'vm' });
    assert.deepEqual(await a, { status: 'running', running: true });
    assert.deepEqual(await b, { name: 'vm' });
    assert.equal(await d, 'third');
  });

  test('an error reply becomes QmpError with class, desc and command', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('migrate', { uri: 'tcp:nowhere:1' });
    conn.error(await conn.nextRequest(), 'GenericError', "Parameter 'uri' is missing");
    const e = await p.then(
      () => assert.fail('resolved'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof QmpError);
    assert.equal(e.code, ErrorCode.QMP_ERROR_REPLY);
    assert.equal(e.errorClass, 'GenericError');
    assert.equal(e.desc, "Parameter 'uri' is missing");
    assert.equal(e.command, 'migrate');
  });

  test('a reply with an unknown id is dropped and counted', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('query-status');
    const req = await conn.nextRequest();
    conn.send({ return: {}, id: 'someone-else' });
    conn.send({ return: {}, id: 42 });
    conn.reply(req, { status: 'paused', running: false });
    assert.equal((await p).status, 'paused');
    assert.equal(c.droppedReplies, 2);
  });

  test('an error without id (server parse error) fails every pending command', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p1 = c.execute('query-status');
    const p2 = c.execute('query-name');
    await conn.nextRequest();
    conn.send({ error: { class: 'GenericError', desc: 'JSON parse error, expecting value' } });
    for (const p of [p1, p2])
      await assert.rejects(
        p,
        (e) => code(ErrorCode.QMP_CONNECTION)(e) && /expecting value/.test(String(e)),
      );
    assert.equal(c.connected, false);
    await assert.rejects(c.execute('query-status'), code(ErrorCode.QMP_CONNECTION));
  });

  for (const [what, garbage] of [
    ['non-JSON', 'this is not json\r\n'],
    ['a JSON array', '[1, 2]\r\n'],
    ['an object that is no QMP message', '{"hello": 1}\r\n'],
    ['invalid UTF-8 and control bytes', '\xff\x00{{{\r\n'],
  ] as const) {
    test(`garbage (${what}) fails pending commands with QMP_CONNECTION`, async () => {
      const c = await connect();
      const conn = await fake.nextConnection();
      const p = c.execute('query-status');
      await conn.nextRequest();
      conn.raw(garbage);
      await assert.rejects(p, code(ErrorCode.QMP_CONNECTION));
      assert.equal(c.connected, false);
    });
  }

  test('a half line followed by close is a connection error', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('query-status');
    await conn.nextRequest();
    conn.raw('{"return": {"stat');
    conn.close();
    await assert.rejects(p, (e) => code(ErrorCode.QMP_CONNECTION)(e) && /middle/.test(String(e)));
  });

  test('the server closing mid-command fails it with QMP_CONNECTION', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('migrate', { uri: 'unix:/x' });
    await conn.nextRequest();
    conn.socket.destroy();
    await assert.rejects(p, code(ErrorCode.QMP_CONNECTION));
  });

  test('an overlong line is refused', async () => {
    const c = await connect({ maxLineBytes: 1024 });
    const conn = await fake.nextConnection();
    const p = c.execute('query-commands');
    const req = await conn.nextRequest();
    conn.reply(req, 'x'.repeat(5000));
    await assert.rejects(
      p,
      (e) => code(ErrorCode.QMP_CONNECTION)(e) && /longer than/.test(String(e)),
    );
  });

  test('a command timeout is QMP_TIMEOUT; the late reply is dropped', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('query-migrate', undefined, { timeoutMs: 30 });
    const req = await conn.nextRequest();
    await assert.rejects(p, code(ErrorCode.QMP_TIMEOUT));
    conn.reply(req, {});
    const q = c.execute('query-migrate');
    conn.reply(await conn.nextRequest(), { status: 'active' });
    assert.deepEqual(await q, { status: 'active' });
    assert.equal(c.droppedReplies, 1);
  });

  test('commandTimeoutMs applies when a call gives none', async () => {
    const c = await connect({ commandTimeoutMs: 20 });
    await assert.rejects(c.execute('query-status'), code(ErrorCode.QMP_TIMEOUT));
  });

  test('abort rejects with ABORTED; a pre-aborted signal sends nothing', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const ac = new AbortController();
    const p = c.execute('query-status', {}, { signal: ac.signal });
    await conn.nextRequest();
    ac.abort();
    await assert.rejects(p, code(ErrorCode.ABORTED));
    await assert.rejects(
      c.execute('stop', undefined, { signal: AbortSignal.abort() }),
      code(ErrorCode.ABORTED),
    );
    const q = c.execute('cont');
    const req = await conn.nextRequest();
    assert.equal(req.execute, 'cont');
    conn.reply(req, {});
    await q;
  });

  test('connect failures: no socket, silent server, bad greeting, abort', async () => {
    await assert.rejects(
      QmpClient.connect(`${fake.path}.missing`),
      (e) => code(ErrorCode.QMP_CONNECTION)(e) && /ENOENT/.test(String(e)),
    );
    await assert.rejects(QmpClient.connect('tcp:host'), code(ErrorCode.QMP_CONNECTION));
    const silent = await FakeQmpServer.start({ greeting: null });
    try {
      await assert.rejects(
        QmpClient.connect(silent.path, { timeoutMs: 50 }),
        code(ErrorCode.QMP_TIMEOUT),
      );
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 20);
      await assert.rejects(
        QmpClient.connect(silent.path, { signal: ac.signal }),
        code(ErrorCode.ABORTED),
      );
    } finally {
      await silent.stop();
    }
    const rude = await FakeQmpServer.start({ greeting: { hello: 'world' } });
    try {
      await assert.rejects(QmpClient.connect(rude.path), (e) => /greeting/.test(String(e)));
    } finally {
      await rude.stop();
    }
  });

  test('events arriving unobserved are buffered; waitEvent takes them', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('stop');
    const req = await conn.nextRequest();
    conn.event('STOP'); // QEMU sends the event before the reply
    conn.reply(req, {});
    await p;
    const ev = await c.waitEvent('STOP', undefined, { timeoutMs: 500 });
    assert.deepEqual(ev, { event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 2 } });
    assert.deepEqual(c.drainEvents(), []);
  });

  test('the backlog is bounded: the oldest events are dropped and counted', async () => {
    const c = await connect({ eventBufferSize: 2 });
    const conn = await fake.nextConnection();
    for (let n = 1; n <= 5; n++) conn.event('MIGRATION_PASS', { pass: n });
    const p = c.execute('query-status');
    conn.reply(await conn.nextRequest(), {});
    await p;
    assert.equal(c.droppedEvents, 3);
    assert.deepEqual(
      c.drainEvents().map((e) => e.data.pass),
      [4, 5],
    );
  });

  test('waitEvent: predicate, future events, timeout, connection loss', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const done = c.waitEvent('MIGRATION', (e) => e.data.status === 'completed', {
      timeoutMs: 1000,
    });
    conn.event('MIGRATION', { status: 'active' });
    conn.event('MIGRATION', { status: 'completed' });
    assert.deepEqual((await done).data, { status: 'completed' });
    assert.deepEqual(
      c.drainEvents().map((e) => e.data.status),
      ['active'],
    );
    await assert.rejects(
      c.waitEvent('RESUME', undefined, { timeoutMs: 20 }),
      code(ErrorCode.QMP_TIMEOUT),
    );
    const lost = c.waitEvent('RESUME');
    conn.socket.destroy();
    await assert.rejects(lost, code(ErrorCode.QMP_CONNECTION));
  });

  test('events() yields the backlog then live events, and ends with the connection', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    conn.event('A');
    const p = c.execute('query-status');
    conn.reply(await conn.nextRequest(), {});
    await p;
    const seen: string[] = [];
    const it = (async () => {
      for await (const ev of c.events()) seen.push(ev.event);
    })();
    conn.event('B');
    conn.event('C', { x: 1 });
    await c.waitEvent('C', undefined, { timeoutMs: 500 }); // iterators do not steal from waiters
    conn.close();
    await it;
    assert.deepEqual(seen, ['A', 'B', 'C']);
  });

  test('events() honours its abort signal', async () => {
    const c = await connect();
    const ac = new AbortController();
    const it = c.events({ signal: ac.signal });
    const next = it.next();
    ac.abort();
    await assert.rejects(next, code(ErrorCode.ABORTED));
  });

  test('reconnect fails pending commands, then greets and negotiates again', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const p = c.execute('query-status');
    await conn.nextRequest();
    const r = c.reconnect();
    await assert.rejects(p, code(ErrorCode.QMP_CONNECTION));
    await r;
    const conn2 = await fake.nextConnection();
    assert.equal(c.negotiated, true);
    const q = c.execute('query-name');
    conn2.reply(await conn2.nextRequest(), { name: 'again' });
    assert.deepEqual(await q, { name: 'again' });
    conn2.socket.destroy(); // a dropped server can be reconnected to as well
    await assert.rejects(c.waitEvent('X'), code(ErrorCode.QMP_CONNECTION));
    await c.reconnect();
    assert.equal(c.connected, true);
  });

  test('uint64 beyond 2^53 round-trips exactly as bigint', async () => {
    const c = await connect();
    const conn = await fake.nextConnection();
    const max = 18446744073709551615n;
    const set = c.execute('migrate-set-parameters', {
      'max-bandwidth': max,
      'downtime-limit': 300,
    });
    const req = await conn.nextRequest();
    assert.match(conn.rawLines.at(-1)!, /"max-bandwidth":18446744073709551615,/);
    conn.reply(req, {});
    await set;
    const q = c.execute('query-migrate-parameters');
    const qreq = await conn.nextRequest();
    conn.raw(
      `{"return": {"max-bandwidth": 18446744073709551615, "downtime-limit": 300, "x": 9007199254740993}, "id": "${String(qreq.id)}"}\r\n`,
    );
    const params = await q;
    assert.equal(params['max-bandwidth'], max);
    assert.equal(params['downtime-limit'], 300);
    assert.equal((params as Record<string, unknown>).x, 9007199254740993n);
  });

  test('close() fails pending commands and is idempotent', async () => {
    const c = await connect();
    const p = c.execute('query-status');
    await c.close();
    await assert.rejects(p, code(ErrorCode.QMP_CONNECTION));
    await c.close();
    assert.equal(c.connected, false);
  });
});
