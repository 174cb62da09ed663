// `livemig qmp`: the one-shot mode run as a child process against the fake server,
// and the interactive shell driven in-process through streams.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runShell } from '../../../src/cli/qmp-shell.js';
import { QmpClient } from '../../../src/qmp/client/client.js';
import { FakeQmpServer, type FakeConn, type Request } from '../qmp/client-fake-server.js';

const qmpModule = fileURLToPath(new URL('../../../src/cli/qmp.js', import.meta.url));
const runner = `import { qmpMain } from ${JSON.stringify(qmpModule)};
process.exitCode = await qmpMain(process.argv.slice(1));`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', runner, '--', ...args],
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Answers every request on the next connection with `answer(req)`. */
async function serve(
  fake: FakeQmpServer,
  answer: (c: FakeConn, req: Request) => void,
): Promise<void> {
  const conn = await fake.nextConnection();
  for (;;) {
    const req = await conn.nextRequest();
    answer(conn, req);
  }
}

describe('livemig qmp', () => {
  let fake: FakeQmpServer;
  beforeEach(async () => {
    fake = await FakeQmpServer.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  test('one-shot: prints the return value as JSON and exits 0', async () => {
    let seen: unknown;
    void serve(fake, (c, req) => {
      seen = req;
      c.reply(req, { status: 'running', running: true, big: 18446744073709551615n.toString() });
    });
    const r = await cli([`unix:${fake.path}`, 'query-status']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      status: 'running',
      running: true,
      big: '18446744073709551615',
    });
    assert.equal((seen as { execute: string }).execute, 'query-status');
  });

  test('one-shot: JSON args and key=value args reach the server; bigints stay exact', async () => {
    const lines: string[] = [];
    const conns = (async () => {
      for (let i = 0; i < 2; i++) {
        const conn = await fake.nextConnection();
        const req = await conn.nextRequest();
        lines.push(conn.rawLines.at(-1)!);
        conn.reply(req, {});
      }
    })();
    const a = await cli([
      fake.path,
      'migrate-set-capabilities',
      '{"capabilities":[{"capability":"events","state":true}]}',
    ]);
    const b = await cli([
      fake.path,
      'migrate-set-parameters',
      'max-bandwidth=18446744073709551615',
      'tls-creds=abc',
    ]);
    await conns;
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.stdout, '{}\n');
    assert.deepEqual(JSON.parse(lines[0]!).arguments, {
      capabilities: [{ capability: 'events', state: true }],
    });
    assert.match(
      lines[1]!,
      /"arguments":\{"max-bandwidth":18446744073709551615,"tls-creds":"abc"\}/,
    );
  });

  test('one-shot: an error reply prints CLASS: desc and exits 1', async () => {
    void serve(fake, (c, req) =>
      c.error(req, 'CommandNotFound', 'The command migrate-cancel has not been found'),
    );
    const r = await cli([fake.path, 'migrate-cancel']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'CommandNotFound: The command migrate-cancel has not been found\n');
  });

  test('one-shot: connection failure and timeout exit 1 with one line', async () => {
    const r = await cli([`${fake.path}.missing`, 'query-status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^livemig qmp: cannot connect to unix:.*ENOENT\n$/);
    void fake.nextConnection();
    const t = await cli([fake.path, 'query-status', '--timeout', '100']);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /^livemig qmp: .*no answer within 100 ms\n$/);
  });

  test('bad usage exits 2; --help exits 0', async () => {
    assert.equal((await cli([])).code, 2);
    assert.equal((await cli([fake.path, 'stop', '{bad'])).code, 2);
    assert.equal((await cli([fake.path, 'stop', 'novalue'])).code, 2);
    assert.equal((await cli([fake.path, '--timeout', 'soon'])).code, 2);
    assert.equal((await cli(['--bogus'])).code, 2);
    const h = await cli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: livemig qmp SOCKET/);
  });

  test('shell: runs commands, prints replies, errors and events, saves history', async () => {
    void serve(fake, (c, req) => {
      if (req.execute === 'stop') {
        c.event('STOP');
        c.reply(req, {});
      } else if (req.execute === 'query-name') c.reply(req, { name: 'vm1' });
      else if (req.execute === 'quit') {
        c.reply(req, {});
        c.close();
      } else
        c.error(req, 'CommandNotFound', `The command ${String(req.execute)} has not been found`);
    });
    const client = await QmpClient.connect(fake.path);
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    const historyFile = join(fake.dir, 'history');
    const done = runShell(client, { input, output, terminal: false, historyFile });
    input.write('query-name\n');
    input.write('stop\n');
    input.write('nope a=1\n');
    input.write('bad =1\n');
    input.write('quit\n');
    assert.equal(await done, 0);
    assert.match(text, /Connected to QMP server version 8\.1\.0/);
    assert.match(text, /"name": "vm1"/);
    assert.match(text, /event STOP/);
    assert.match(text, /CommandNotFound: The command nope has not been found/);
    assert.match(text, /syntax error: expected key=value, got '=1'/);
    const hist = await readFile(historyFile, 'utf8');
    assert.equal(hist, 'query-name\nstop\nnope a=1\nbad =1\nquit\n');
  });

  test('shell: end of input leaves with 0; a dropped connection exits 1', async () => {
    const client = await QmpClient.connect(fake.path);
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const done = runShell(client, { input, output, terminal: false, historyFile: undefined });
    input.end();
    assert.equal(await done, 0);

    const client2 = await QmpClient.connect(fake.path);
    await fake.nextConnection();
    const conn2 = await fake.nextConnection();
    const input2 = new PassThrough();
    const output2 = new PassThrough();
    let text = '';
    output2.on('data', (d: Buffer) => (text += d.toString()));
    const done2 = runShell(client2, {
      input: input2,
      output: output2,
      terminal: false,
      historyFile: undefined,
    });
    conn2.socket.destroy();
    assert.equal(await done2, 1);
    assert.match(text, /livemig qmp: connection closed by the server/);
  });
});
