import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandRegistry, QmpServer } from '../../../src/qmp/server/index.js';
import { Client, tmpSock } from './server-helpers.js';

test('a client that never reads is dropped once its output passes the cap', async () => {
  const dropped: number[] = [];
  const server = new QmpServer({
    version: { qemu: { major: 8, minor: 1, micro: 0 }, package: 'livemig 0.1.0' },
    registry: new CommandRegistry(),
    maxOutputBytes: 1024 * 1024,
    onClientError: (_e, id) => dropped.push(id),
  });
  const path = tmpSock();
  await server.listenUnix(path);
  const c = await Client.connect({ path });
  await c.negotiate();
  c.sock.pause(); // stop reading
  const data = { blob: 'z'.repeat(64 * 1024) };
  for (let i = 0; i < 400 && dropped.length === 0; i++) {
    server.emitEvent('BIG', data);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(dropped.length, 1);
  assert.equal(server.clientCount, 0);
  c.sock.destroy();
  await server.close();
});
