// A writer that closes without an 'error' (Node destroys a child's stdin when
// the child exits) must not leave waitDrain hanging: with silentCloseIsBrokenPipe
// it fails as EPIPE, as QEMU's write to a vanished command does.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { StreamChannel } from '../../../src/transport/stream-channel.js';

/** A writer whose writes never complete, so it needs a drain that never comes. */
function stuckWriter(): Writable {
  return new Writable({ highWaterMark: 16, write: () => undefined });
}

/** The exec channel's writer side, as exec.ts builds it. */
function execChannel(w: Writable): StreamChannel {
  return new StreamChannel({
    kind: 'exec',
    writer: w,
    writerErrorText: () => 'Unable to write to command',
    readErrorText: 'Unable to read from command',
    silentCloseIsBrokenPipe: true,
  });
}

test('a silently closed writer rejects waitDrain with Broken pipe', async () => {
  const w = stuckWriter();
  const ch = execChannel(w);
  const errs: string[] = [];
  ch.onError((e) => errs.push(e.message));
  assert.equal(ch.write([new Uint8Array(64)]), false);
  const drained = ch.waitDrain();
  w.destroy(); // no error, as Node does to a child's stdin at exit
  await assert.rejects(drained, {
    code: ErrorCode.IO,
    message: 'Unable to write to command: Broken pipe',
  });
  assert.deepEqual(errs, ['Unable to write to command: Broken pipe']);
  assert.equal(ch.write([new Uint8Array(1)]), false);
});

test('a finished writer closing is not an error', async () => {
  const w = new Writable({ write: (_c, _e, cb) => cb() });
  const ch = execChannel(w);
  const errs: string[] = [];
  ch.onError((e) => errs.push(e.message));
  ch.write([new Uint8Array(8)]);
  await ch.shutdown();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errs, []);
});
