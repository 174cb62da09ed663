import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { RateLimitedWriter, RateLimiter, memoryChannelPair } from '../../../src/transport/index.js';

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('window math: bandwidth/10 per 100 ms, strictly greater is exceeded', () => {
  const c = fakeClock();
  const r = new RateLimiter({ bytesPerSec: 1_000_000, now: c.now });
  assert.equal(r.windowLimit, 100_000);
  r.account(100_000);
  assert.equal(r.rateLimitExceeded(), false);
  r.account(1);
  assert.equal(r.rateLimitExceeded(), true);
  c.advance(60);
  assert.equal(r.updateWindow(), undefined);
  assert.equal(r.msUntilNextWindow(), 40);
  c.advance(45);
  assert.deepEqual(r.updateWindow(), { bytes: 100_001, ms: 105 });
  assert.equal(r.rateLimitExceeded(), false);
  assert.equal(r.windowUsed, 0);
  assert.equal(r.transferred, 100_001);
  // The next window starts at 105, not at 100.
  c.advance(99);
  assert.equal(r.updateWindow(), undefined);
});

test('0 and anything below 10 B/s are unlimited; uint64 max is accepted; setRate is live', () => {
  const c = fakeClock();
  for (const rate of [0, 9, 0n]) {
    const r = new RateLimiter({ bytesPerSec: rate, now: c.now });
    r.account(1e12);
    assert.equal(r.rateLimitExceeded(), false);
  }
  const r = new RateLimiter({ bytesPerSec: 2n ** 64n - 1n, now: c.now });
  r.account(1e12);
  assert.equal(r.rateLimitExceeded(), false);
  r.setRate(1000);
  assert.equal(r.windowLimit, 100);
  assert.equal(r.rateLimitExceeded(), true);
  r.setRate(0);
  assert.equal(r.rateLimitExceeded(), false);
  assert.throws(() => r.setRate(-1), RangeError);
});

test('waitForWindow sleeps to the end of the window, with an injectable sleep', async () => {
  const c = fakeClock();
  const slept: number[] = [];
  const r = new RateLimiter({
    bytesPerSec: 10_000,
    now: c.now,
    sleep: async (ms) => {
      slept.push(ms);
      c.advance(ms);
    },
  });
  assert.equal(await r.waitForWindow(), undefined);
  r.account(1001);
  c.advance(30);
  assert.deepEqual(await r.waitForWindow(), { bytes: 1001, ms: 100 });
  assert.deepEqual(slept, [70]);
});

test('RateLimitedWriter counts bytes and aborts its wait', async () => {
  const [a, b] = memoryChannelPair();
  b.onRead(() => {});
  const w = new RateLimitedWriter(a, new RateLimiter({ bytesPerSec: 1000 }));
  w.write([new Uint8Array(60), new Uint8Array(41)]);
  assert.equal(w.transferred, 101);
  assert.equal(w.rateLimitExceeded(), true);
  const ac = new AbortController();
  const p = w.throttle(ac.signal);
  ac.abort();
  await assert.rejects(p, { code: ErrorCode.ABORTED });
  a.destroy();
});
