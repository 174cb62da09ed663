/** exec: and file: in both directions. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { connectOutgoing, listenIncoming } from '../../../src/transport/index.js';
import { collect, pump, randomBytes, tmpDir } from './helpers.js';

const data = randomBytes(3 << 20);

test('exec: source writes through the command, exec: destination reads its output', async () => {
  const f = path.join(tmpDir(), 'out.bin');
  const src = await connectOutgoing(`exec:cat > '${f}'`);
  await pump(src, data, 7);
  await src.shutdown();
  assert.equal(Buffer.compare(fs.readFileSync(f), data), 0);
  src.destroy();

  const l = await listenIncoming(`exec:cat '${f}'`);
  assert.equal(l.address, undefined);
  const dst = await l.accept();
  const got = await collect(dst, data.length);
  assert.equal(Buffer.compare(got, data), 0);
  dst.destroy();
});

test('exec: a command that exits early gives "Unable to write to command: Broken pipe"', async () => {
  const src = await connectOutgoing('exec:true');
  const errs: string[] = [];
  src.onError((e) => errs.push(e.message));
  const chunk = data.subarray(0, 1 << 20);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 200; i++) {
        if (!src.write([chunk])) await src.waitDrain();
        await new Promise((r) => setTimeout(r, 2));
      }
    })(),
    { code: ErrorCode.IO, message: 'Unable to write to command: Broken pipe' },
  );
  assert.deepEqual(errs, ['Unable to write to command: Broken pipe']);
  src.destroy();
});

test('exec: a failing command makes shutdown fail with its status', async () => {
  const src = await connectOutgoing('exec:cat > /dev/null; exit 3');
  src.write([data.subarray(0, 1000)]);
  await assert.rejects(src.shutdown(), { message: 'Process exited with status 3' });
});

test('file: with and without offset', async () => {
  const dir = tmpDir();
  for (const offset of [0, 4096, 12345]) {
    const f = path.join(dir, `m${offset}`);
    fs.writeFileSync(f, Buffer.alloc(offset + 10, 0xee));
    const uri = offset ? `file:${f},offset=${offset}` : `file:${f}`;
    const src = await connectOutgoing(uri);
    assert.equal(src.readable, false);
    await pump(src, data, offset + 1);
    await src.shutdown();
    const disk = fs.readFileSync(f);
    // Truncated like QEMU, so what precedes the offset reads back as zeros.
    assert.equal(disk.length, offset + data.length);
    assert.ok(disk.subarray(0, offset).every((b) => b === 0));
    assert.equal(Buffer.compare(disk.subarray(offset), data), 0);

    const l = await listenIncoming(uri, undefined, { readBuffer: new Uint8Array(100000) });
    const dst = await l.accept();
    assert.equal(dst.writable, false);
    assert.equal(dst.write([data.subarray(0, 1)]), false);
    assert.equal(Buffer.compare(await collect(dst, data.length), data), 0);
    dst.destroy();
  }
});

test('file: open errors', async () => {
  const f = path.join(tmpDir(), 'no', 'such');
  await assert.rejects(connectOutgoing(`file:${f}`), {
    code: ErrorCode.IO,
    message: `Unable to open ${f}: No such file or directory`,
  });
  await assert.rejects(listenIncoming(`file:${f}`), {
    message: `Unable to open ${f}: No such file or directory`,
  });
});
