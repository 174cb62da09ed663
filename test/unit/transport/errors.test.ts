/** QEMU's texts for connect/listen failures, and aborts of connect/accept. */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { connectOutgoing, listenIncoming } from '../../../src/transport/index.js';
import { tmpDir } from './helpers.js';

test('connection refused', async () => {
  await assert.rejects(connectOutgoing('tcp:127.0.0.1:1'), {
    code: ErrorCode.IO,
    message: "Failed to connect to '127.0.0.1:1': Connection refused",
  });
  await assert.rejects(connectOutgoing('tcp:[::1]:1'), {
    message: "Failed to connect to '::1:1': Connection refused",
  });
});

test('missing unix socket', async () => {
  const p = path.join(tmpDir(), 'nope.sock');
  await assert.rejects(connectOutgoing(`unix:${p}`), {
    code: ErrorCode.IO,
    message: `Failed to connect to '${p}': No such file or directory`,
  });
});

test('bad port and fd:', async () => {
  await assert.rejects(connectOutgoing('tcp:127.0.0.1:http'), {
    message: 'address resolution failed for 127.0.0.1:http: Servname not supported for ai_socktype',
  });
  await assert.rejects(connectOutgoing('fd:mig'), { code: ErrorCode.UNSUPPORTED });
  await assert.rejects(listenIncoming('fd:mig'), { code: ErrorCode.UNSUPPORTED });
});

test('busy port, then a retry works', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as net.AddressInfo).port;
  await assert.rejects(listenIncoming(`tcp:127.0.0.1:${port}`), {
    code: ErrorCode.IO,
    message: 'Failed to find an available port: Address already in use',
  });
  await new Promise((r) => busy.close(r));
  const l = await listenIncoming(`tcp:127.0.0.1:${port}`);
  assert.deepEqual(l.address, { type: 'inet', host: '127.0.0.1', port: String(port), ipv4: true });
  l.close();
});

test('unix listen replaces a stale path; bad directory gives the bind text', async () => {
  const dir = tmpDir();
  const p = path.join(dir, 's.sock');
  const first = await listenIncoming(`unix:${p}`);
  // A second listener takes the path over, as QEMU unlinks before bind.
  const second = await listenIncoming(`unix:${p}`);
  assert.deepEqual(second.address, { type: 'unix', path: p });
  first.close();
  second.close();
  const q = path.join(dir, 'missing', 's.sock');
  await assert.rejects(listenIncoming(`unix:${q}`), {
    message: `Failed to bind socket to ${q}: No such file or directory`,
  });
});

test('abort during accept leaves the listener usable; abort during connect', async () => {
  const l = await listenIncoming('tcp:127.0.0.1:0');
  const ac = new AbortController();
  const p = l.accept(ac.signal);
  ac.abort();
  await assert.rejects(p, { code: ErrorCode.ABORTED });
  const [src, dst] = await Promise.all([
    connectOutgoing(`tcp:127.0.0.1:${l.address!.type === 'inet' ? l.address!.port : ''}`),
    l.accept(),
  ]);
  src.destroy();
  dst.destroy();
  l.close();

  const pre = new AbortController();
  pre.abort();
  await assert.rejects(connectOutgoing('tcp:127.0.0.1:1', pre.signal), { code: ErrorCode.ABORTED });
  // Abort in flight: a connect to a non-routable address would hang; abort right after starting.
  const ac2 = new AbortController();
  const c = connectOutgoing('tcp:127.0.0.1:1', ac2.signal);
  ac2.abort();
  await assert.rejects(c, { code: ErrorCode.ABORTED });
});

test('only one connection is accepted', async () => {
  const l = await listenIncoming('tcp:127.0.0.1:0');
  const port = l.address!.type === 'inet' ? l.address!.port : '';
  const src = await connectOutgoing(`tcp:127.0.0.1:${port}`);
  const dst = await l.accept();
  await assert.rejects(connectOutgoing(`tcp:127.0.0.1:${port}`), {
    message: `Failed to connect to '127.0.0.1:${port}': Connection refused`,
  });
  await assert.rejects(l.accept(), { code: ErrorCode.BAD_STATE });
  src.destroy();
  dst.destroy();
  l.close();
});
