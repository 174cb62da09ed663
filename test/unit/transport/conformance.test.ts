/** One contract suite over every channel kind that has both directions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { collect, pump, randomBytes, transports } from './helpers.js';

const BIG = 64 << 20;
const data = randomBytes(BIG);

for (const [name, makePair] of transports) {
  describe(`channel conformance: ${name}`, () => {
    test('64 MiB source -> destination, echoed back on the return path, byte-exact', async () => {
      const { src, dst } = await makePair();
      // The echo copies: a view is only valid inside the callback, and write() does not copy.
      dst.onRead((v) => {
        if (!dst.write([v.slice()])) {
          dst.pauseReading();
          void dst.waitDrain().then(() => dst.resumeReading());
        }
      });
      dst.onEnd(() => void dst.shutdown());
      const back = collect(src, BIG);
      await pump(src, data, 12345);
      await src.shutdown();
      const got = await back;
      assert.equal(Buffer.compare(got, data), 0);
      assert.equal(src.bytesQueued, BIG);
      assert.equal(src.bytesRead, BIG);
      assert.equal(dst.bytesRead, BIG);
      src.destroy();
      dst.destroy();
    });

    test('reads are views into the supplied static buffer', async () => {
      const rx = new Uint8Array(64 << 10);
      const rx2 = new Uint8Array(32 << 10);
      const { src, dst } = await makePair({ readBuffer: rx2 }, { readBuffer: rx });
      const seen = new Set<ArrayBufferLike>();
      const done = new Promise<void>((r) => dst.onEnd(r));
      dst.onRead((v) => {
        seen.add(v.buffer);
        assert.ok(v.length <= rx.length);
      });
      src.write([data.subarray(0, 1 << 20)]);
      await src.shutdown();
      await done;
      assert.deepEqual([...seen], [rx.buffer]);
      // And on the connecting side (return path).
      const seen2 = new Set<ArrayBufferLike>();
      const done2 = new Promise<void>((r) => src.onEnd(r));
      src.onRead((v) => seen2.add(v.buffer));
      dst.write([data.subarray(0, 100000)]);
      await dst.shutdown();
      await done2;
      assert.deepEqual([...seen2], [rx2.buffer]);
      src.destroy();
      dst.destroy();
    });

    test('backpressure: a paused reader makes write() return false; waitDrain resolves later', async () => {
      const { src, dst } = await makePair({ highWaterMark: 1 << 20 }, {});
      let got = 0;
      dst.onRead((v) => (got += v.length));
      dst.pauseReading();
      const chunk = data.subarray(0, 256 << 10);
      let writes = 0;
      while (src.write([chunk, chunk])) {
        writes++;
        assert.ok(writes < 4096, 'write never pushed back');
        await new Promise((r) => setImmediate(r));
      }
      // Bounded: the queue stops a little past the mark, the kernel holds the rest.
      assert.ok(src.writableLength >= 1 << 20 && src.writableLength <= 2 << 20);
      let drained = false;
      const d = src.waitDrain().then(() => (drained = true));
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(drained, false);
      dst.resumeReading();
      await d;
      assert.ok(src.writableLength < 1 << 20);
      await src.shutdown();
      await new Promise<void>((r) => dst.onEnd(r));
      assert.equal(got, src.bytesQueued);
      src.destroy();
      dst.destroy();
    });

    test('abort while waiting for drain', async () => {
      const { src, dst } = await makePair({ highWaterMark: 64 << 10 }, {});
      dst.onRead(() => {});
      dst.pauseReading();
      const chunk = data.subarray(0, 1 << 20);
      while (src.write([chunk])) await new Promise((r) => setImmediate(r));
      const ac = new AbortController();
      const p = src.waitDrain(ac.signal);
      ac.abort();
      await assert.rejects(p, { code: ErrorCode.ABORTED });
      src.destroy();
      dst.destroy();
    });

    test('peer vanishing mid-stream: clean IO error, no crash', async () => {
      const { src, dst } = await makePair({ highWaterMark: 256 << 10 }, {});
      const errs: string[] = [];
      src.onError((e) => errs.push(e.code));
      let got = 0;
      dst.onRead((v) => {
        got += v.length;
        if (got > 4 << 20) dst.destroy();
      });
      const chunk = data.subarray(0, 1 << 20);
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 1000; i++) if (!src.write([chunk])) await src.waitDrain();
        })(),
        (e: { code?: string; message?: string }) => {
          assert.equal(e.code, ErrorCode.IO);
          assert.match(e.message!, /^Unable to (write to|read from) socket: /);
          return true;
        },
      );
      assert.deepEqual(errs, [ErrorCode.IO]);
      assert.equal(src.write([chunk]), false);
      src.destroy();
    });
  });
}
