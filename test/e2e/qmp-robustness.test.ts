/**
 * Hostile and careless QMP clients against a real `livemig run` process: malformed
 * and oversized input, garbage, clients that vanish or never read, and a crowd of
 * concurrent clients. Every client must get QEMU-style error replies (or a closed
 * connection), replies must reach the client that asked, memory must stay bounded,
 * and afterwards the VM must still run and answer.
 *
 * The typed client's own resilience to a garbage-sending or vanishing server is
 * covered by test/unit/qmp/client.test.ts (garbage, half lines, mid-command close,
 * overlong lines), so it is not repeated here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { RawQmp } from '../interop/helpers/qmp-compare.js';
import {
  removeDir,
  startLivemig,
  stopAllLivemig,
  type LivemigProcess,
} from './helpers/livemig-process.js';

const MiB = 1 << 20;
let vm: LivemigProcess;
let stopping = false;

/** A raw connection past the greeting and negotiation. */
async function session(): Promise<RawQmp> {
  const c = await RawQmp.connect(vm.qmpPath);
  const greeting = await c.nextLine(5000);
  assert.match(greeting ?? '', /^\{"QMP": /);
  assert.deepEqual(await c.exchange('{"execute": "qmp_capabilities"}', 'sync'), [
    '{"return": {}}\r',
  ]);
  return c;
}

/** Every line must be one of QEMU's error replies (GenericError for bad input). */
function assertAllErrors(lines: string[], what: string): void {
  for (const line of lines) {
    assert.ok(line.endsWith('\r'), `${what}: line not CRLF-terminated: ${line.slice(0, 200)}`);
    const msg = JSON.parse(line) as { error?: { class?: unknown; desc?: unknown } };
    assert.equal(msg.error?.class, 'GenericError', `${what}: ${line.slice(0, 200)}`);
    assert.equal(typeof msg.error?.desc, 'string', `${what}: ${line.slice(0, 200)}`);
  }
}

/** Resident set size of the livemig process, from /proc. */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** A deterministic byte stream (xorshift32), so a failure can be replayed exactly. */
function garbage(len: number, seed: number): Buffer {
  const out = Buffer.alloc(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function rawConnect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(vm.qmpPath);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The VM is alive and well: running, pmemsave works, the process is up. */
async function assertHealthy(): Promise<void> {
  assert.equal(vm.child.exitCode, null, `livemig exited; stderr:\n${vm.stderr()}`);
  assert.equal(vm.child.signalCode, null, `livemig killed by a signal; stderr:\n${vm.stderr()}`);
  const c = await session();
  try {
    assert.deepEqual(await c.exchange('{"execute": "query-status", "id": "health"}', 'sync'), [
      '{"return": {"status": "running", "singlestep": false, "running": true}, "id": "health"}\r',
    ]);
    const file = path.join(vm.dir, 'health.bin');
    const req = { execute: 'pmemsave', arguments: { val: 0, size: 64 * MiB, filename: file } };
    assert.deepEqual(await c.exchange(JSON.stringify(req), 'sync', 30_000), ['{"return": {}}\r']);
    assert.equal(statSync(file).size, 64 * MiB);
  } finally {
    c.close();
  }
}

describe('livemig run survives hostile QMP clients', { timeout: 120_000 }, () => {
  before(async () => {
    vm = await startLivemig(['-m', '64M']);
    // If the process dies mid-suite, say how, instead of a bare ECONNREFUSED later.
    vm.child.once('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`livemig exited: code ${code} signal ${signal}\n${vm.stderr()}\n`);
      }
    });
  });
  after(async () => {
    stopping = true;
    await stopAllLivemig();
    if (vm !== undefined) removeDir(vm.dir);
  });

  test('malformed JSON and non-objects get error replies; the connection stays usable', async () => {
    // Each is balanced enough that the parser is back at the top level afterwards,
    // so the sync marker that follows is read as a fresh request.
    const inputs = [
      '{"execute": query-status}',
      '{"execute" "query-status"}',
      '{"execute": "query-status",}',
      '{,}',
      '[1, 2,]',
      ']',
      '}',
      '}}}]]]',
      'nul',
      'tru',
      '01',
      '1.',
      '-',
      '1e',
      '0x10',
      '@#$%',
      '{"execute": "query-status", "id": "\\x41"}',
      '{"execute": "query-status", "id": "\\ud800"}',
      '{"execute": "query-status", "id": 1e999}',
      '{"execute": "query-status", "id": -99999999999999999999999}',
      '[[[[[[[[[[]]]]]]]]]]',
      '42',
      '-0',
      '"a string"',
      'null',
      'true',
      'false',
      '[]',
      '[{"execute": "query-status"}]',
      '{"execute": "query-status"} {"execute": 7}',
      '\u0000',
      '\u0001\u0002\u0003',
    ];
    const c = await session();
    try {
      for (const input of inputs) {
        const lines = await c.exchange(input, 'sync');
        // Inputs holding a complete valid request may produce a success reply too.
        const errors = lines.filter((l) => !l.startsWith('{"return"'));
        assertAllErrors(errors, JSON.stringify(input));
        assert.ok(lines.length > 0 || input === '\u0000', `no reply to ${JSON.stringify(input)}`);
      }
      assert.deepEqual(await c.exchange('{"execute": "query-status", "id": 1}', 'sync'), [
        '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 1}\r',
      ]);
    } finally {
      c.close();
    }
  });

  test('a 16 MiB request line is answered in full', async () => {
    const c = await session();
    try {
      const id = 'x'.repeat(16 * MiB);
      const lines = await c.exchange(`{"execute": "query-status", "id": "${id}"}`, 'sync', 30_000);
      assert.equal(lines.length, 1);
      assert.equal(
        lines[0],
        `{"return": {"status": "running", "singlestep": false, "running": true}, "id": "${id}"}\r`,
      );
    } finally {
      c.close();
    }
  });

  test('a 100k-deep nested array is refused with parse errors, not a crash', async () => {
    const c = await session();
    try {
      const depth = 100_000;
      const lines = await c.exchange('['.repeat(depth) + ']'.repeat(depth), 'sync', 30_000);
      assert.ok(lines.length > 0);
      assertAllErrors(lines, 'deep nesting');
      assert.ok(
        lines.some((l) => l.includes('JSON nesting depth limit exceeded')),
        lines.slice(0, 3).join('\n'),
      );
      assert.deepEqual(await c.exchange('{"execute": "query-status", "id": 2}', 'sync'), [
        '{"return": {"status": "running", "singlestep": false, "running": true}, "id": 2}\r',
      ]);
    } finally {
      c.close();
    }
  });

  test('binary garbage gets only error replies or a hang-up', async () => {
    for (const seed of [1, 2, 0xdeadbeef]) {
      const c = await session();
      try {
        // Garbage may leave a string or object open, which would swallow a sync
        // marker: so send it and read whatever comes back until the server goes quiet.
        const lines = await c.exchange(garbage(128 * 1024, seed), 'quiet');
        assertAllErrors(lines, `garbage seed ${seed}`);
      } finally {
        c.close();
      }
    }
  });

  test('unbalanced input followed by a hang-up', async () => {
    for (const input of [
      '{',
      '[',
      '{"a": [}',
      '{"execute": "query-status',
      '{"execute": ',
      "{'a",
    ]) {
      const s = await rawConnect();
      s.resume(); // discard the greeting; 'close' only fires once the stream is consumed
      s.end(input);
      await new Promise((r) => s.once('close', r));
    }
  });

  test('clients that send a command and vanish before the reply', async () => {
    const file = path.join(vm.dir, 'vanish.bin');
    const pmemsave = JSON.stringify({
      execute: 'pmemsave',
      arguments: { val: 0, size: 64 * MiB, filename: file },
    });
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      jobs.push(
        (async () => {
          const s = await rawConnect();
          s.resume();
          const cmd = i % 2 === 0 ? pmemsave : '{"execute": "query-migrate-parameters"}';
          // Half of them negotiate first, so the command is really dispatched.
          s.write(i % 4 < 2 ? `{"execute": "qmp_capabilities"}\n${cmd}\n` : `${cmd}\n`, () =>
            i % 3 === 0 ? s.destroy() : s.end(),
          );
          await new Promise((r) => s.once('close', r));
        })(),
      );
    }
    await Promise.all(jobs);
    await assertHealthy();
  });

  test('clients that never read do not make the server balloon', async () => {
    const before = rssBytes(vm.child.pid!);
    const stalled: Socket[] = [];
    try {
      for (let k = 0; k < 3; k++) {
        const s = await rawConnect();
        stalled.push(s);
        s.pause(); // never read a byte, not even the greeting
        const batch = Buffer.from(
          '{"execute": "qmp_capabilities"}\n' +
            '{"execute": "query-migrate-parameters"}\n'.repeat(20_000),
        );
        // Push until the server stops reading (our buffer fills) or 2 s passed.
        const deadline = Date.now() + 2000;
        let sent = 0;
        while (Date.now() < deadline && sent < 64 * MiB && !s.destroyed) {
          if (!s.write(batch)) {
            await Promise.race([
              new Promise((r) => s.once('drain', r)),
              new Promise((r) => setTimeout(r, 200)),
            ]);
          }
          sent += batch.length;
        }
      }
      // Stalled clients also receive events: stop/cont produce STOP/RESUME for each.
      const c = await session();
      try {
        for (let i = 0; i < 20; i++) {
          await c.exchange('{"execute": "stop"}', 'sync');
          await c.exchange('{"execute": "cont"}', 'sync');
        }
      } finally {
        c.close();
      }
      const grown = rssBytes(vm.child.pid!) - before;
      assert.ok(grown < 256 * MiB, `RSS grew by ${Math.round(grown / MiB)} MiB`);
      await assertHealthy();
    } finally {
      for (const s of stalled) s.destroy();
    }
  });

  test('200 concurrent clients each get their own replies', async () => {
    const N = 200;
    const results = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        let c: RawQmp;
        try {
          c = await RawQmp.connect(vm.qmpPath, 10_000);
        } catch {
          return 'refused';
        }
        try {
          const greeting = await c.nextLine(10_000);
          if (greeting === undefined) {
            assert.ok(c.closed, `client ${i}: no greeting and not closed`);
            return 'closed';
          }
          assert.match(greeting, /^\{"QMP": /);
          const neg = await c.exchange(
            `{"execute": "qmp_capabilities", "id": "neg-${i}"}`,
            'sync',
            20_000,
          );
          assert.deepEqual(neg, [`{"return": {}, "id": "neg-${i}"}\r`]);
          const qs = await c.exchange(`{"execute": "query-status", "id": ${i}}`, 'sync', 20_000);
          assert.deepEqual(qs, [
            `{"return": {"status": "running", "singlestep": false, "running": true}, "id": ${i}}\r`,
          ]);
          return 'ok';
        } finally {
          c.close();
        }
      }),
    );
    // livemig may cap its clients (then the rest see a closed connection), but the
    // ones it serves must be served correctly, and it must serve at least some.
    const ok = results.filter((r) => r === 'ok').length;
    assert.ok(ok > 0, `results: ${JSON.stringify(results)}`);
    await assertHealthy();
  });

  test('afterwards: still running, pmemsave works, no crash', async () => {
    await assertHealthy();
    assert.doesNotMatch(vm.stderr(), /TypeError|RangeError|Uncaught|FATAL|heap out of memory/);
  });
});
