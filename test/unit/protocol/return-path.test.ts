import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ReturnPathDecoder,
  encodeRpMessage,
  type RpMessage,
} from '../../../src/protocol/return-path.js';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function bytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes a whole buffer in one push and checks that nothing is left over. */
function decodeAll(buf: Uint8Array, options = {}): RpMessage[] {
  const dec = new ReturnPathDecoder(options);
  const msgs = dec.push(buf);
  dec.end();
  return msgs;
}

/** Feeds `buf` split at `cuts`; returns messages and the error, if any. */
function feed(buf: Uint8Array, cuts: number[]): { msgs: RpMessage[]; err: unknown } {
  const msgs: RpMessage[] = [];
  const dec = new ReturnPathDecoder({ onMessage: (m) => msgs.push(m) });
  const points = [...new Set(cuts.filter((c) => c > 0 && c < buf.length))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const c of [...points, buf.length]) {
      dec.push(buf.subarray(prev, c));
      prev = c;
    }
    dec.end();
  } catch (e) {
    return { msgs, err: e };
  }
  return { msgs, err: undefined };
}

const bitmap = bytes('0102030405060708 f0f0f0f0f0f0f0f0');

const golden: [RpMessage, string][] = [
  [{ type: 'shut', status: 0 }, '0001 0004 00000000'],
  [{ type: 'shut', status: 1 }, '0001 0004 00000001'],
  [{ type: 'pong', value: 0x01020304 }, '0002 0004 01020304'],
  [
    { type: 'req-pages-id', start: 0x12345000, len: 0x1000, idstr: 'pc.ram' },
    '0003 0013 0000000012345000 00001000 06 70632e72616d',
  ],
  [{ type: 'req-pages', start: 2 ** 40, len: 0x2000 }, '0004 000c 0000010000000000 00002000'],
  [
    { type: 'recv-bitmap', idstr: 'pc.ram', bitmap },
    '0005 0007 06 70632e72616d 0000000000000010 0102030405060708 f0f0f0f0f0f0f0f0 0123456789abcdef',
  ],
  [
    { type: 'recv-bitmap', idstr: '', bitmap: new Uint8Array(0) },
    '0005 0001 00 0000000000000000 0123456789abcdef',
  ],
  [{ type: 'resume-ack', value: 1 }, '0006 0004 00000001'],
  [{ type: 'switchover-ack' }, '0007 0000'],
];

test('encode: golden bytes for every message type', () => {
  for (const [msg, h] of golden) assert.equal(hex(encodeRpMessage(msg)), hex(bytes(h)), msg.type);
});

test('decode: golden bytes decode to the same messages', () => {
  for (const [msg, h] of golden) assert.deepEqual(decodeAll(bytes(h)), [msg], msg.type);
  const all = concat(golden.map(([, h]) => bytes(h)));
  assert.deepEqual(
    decodeAll(all),
    golden.map(([m]) => m),
  );
});

test('encode: refuses values the wire cannot carry', () => {
  const bad: RpMessage[] = [
    { type: 'shut', status: -1 },
    { type: 'pong', value: 2 ** 32 },
    { type: 'req-pages', start: 2 ** 53, len: 0 },
    { type: 'req-pages-id', start: 0, len: 0, idstr: 'x'.repeat(256) },
    { type: 'recv-bitmap', idstr: 'a', bitmap: new Uint8Array(7) },
    { type: 'req-pages-id', start: 0, len: 0, idstr: 'caf\u0100' },
  ];
  for (const m of bad) assert.throws(() => encodeRpMessage(m), { code: ErrorCode.PROTOCOL_ENCODE });
});

const arbIdstr = fc
  .array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 })
  .map((cs) => String.fromCharCode(...cs));

const arbMessage: fc.Arbitrary<RpMessage> = fc
  .oneof(
    fc.record({ type: fc.constant('shut' as const), status: fc.nat({ max: 0xffffffff }) }),
    fc.record({ type: fc.constant('pong' as const), value: fc.nat({ max: 0xffffffff }) }),
    fc.record({
      type: fc.constant('req-pages-id' as const),
      start: fc.maxSafeNat(),
      len: fc.nat({ max: 0xffffffff }),
      idstr: arbIdstr,
    }),
    fc.record({
      type: fc.constant('req-pages' as const),
      start: fc.maxSafeNat(),
      len: fc.nat({ max: 0xffffffff }),
    }),
    fc.record({
      type: fc.constant('recv-bitmap' as const),
      idstr: arbIdstr,
      bitmap: fc.nat(8).chain((w) => fc.uint8Array({ minLength: w * 8, maxLength: w * 8 })),
    }),
    fc.constant<RpMessage>({ type: 'resume-ack', value: 1 }),
    fc.constant<RpMessage>({ type: 'switchover-ack' }),
    // fast-check builds null-prototype records; the decoder returns plain objects.
  )
  .map((m) => ({ ...m }));

test('property: encode then decode returns the messages, however the bytes are split', () => {
  fc.assert(
    fc.property(
      fc.array(arbMessage, { maxLength: 8 }),
      fc.array(fc.nat(4000), { maxLength: 20 }),
      (msgs, cuts) => {
        const buf = concat(msgs.map(encodeRpMessage));
        const whole = feed(buf, []);
        assert.equal(whole.err, undefined);
        assert.deepEqual(whole.msgs, msgs);
        assert.deepEqual(feed(buf, cuts), whole);
      },
    ),
    { numRuns: 500 },
  );
});

test('decode: byte-by-byte feeding gives the same messages', () => {
  const all = concat(golden.map(([, h]) => bytes(h)));
  const cuts = Array.from({ length: all.length }, (_, i) => i);
  const r = feed(all, cuts);
  assert.equal(r.err, undefined);
  assert.deepEqual(
    r.msgs,
    golden.map(([m]) => m),
  );
});

/** Asserts that decoding `h`, whole and byte by byte, fails with this code, text and offset. */
function rejects(h: string, code: ErrorCode, message: string | RegExp, offset: number): void {
  const buf = bytes(h);
  for (const cuts of [[], Array.from({ length: buf.length }, (_, i) => i)]) {
    const r = feed(buf, cuts);
    assert.ok(r.err instanceof ProtocolError, `${h}: ${String(r.err)}`);
    assert.equal(r.err.code, code, h);
    if (typeof message === 'string') assert.equal(r.err.message, message, h);
    else assert.match(r.err.message, message, h);
    assert.equal(r.err.offset, offset, h);
  }
}

test('decode: unknown and invalid types', () => {
  const U = ErrorCode.PROTOCOL_UNKNOWN_TYPE;
  rejects('0000 0000', U, 'Received invalid message 0x0000 length 0x0000', 0);
  rejects('0008 0004 00000000', U, 'Received invalid message 0x0008 length 0x0004', 0);
  rejects('0007 0000 abcd 1234', U, 'Received invalid message 0xabcd length 0x1234', 4);
});

test('decode: wrong fixed lengths and lengths above 512', () => {
  const L = ErrorCode.PROTOCOL_BAD_LENGTH;
  rejects(
    '0001 0005 0000000000',
    L,
    "Received 'SHUT' message (0x0001) withincorrect length 5 expecting 4",
    0,
  );
  rejects(
    '0001 0004 00000000 0007 0001 00',
    L,
    "Received 'SWITCHOVER_ACK' message (0x0007) withincorrect length 1 expecting 0",
    8,
  );
  rejects(
    '0004 000d',
    L,
    "Received 'REQ_PAGES' message (0x0004) withincorrect length 13 expecting 12",
    0,
  );
  rejects(
    '0003 0201',
    L,
    "Received 'REQ_PAGES_ID' message (0x0003) withincorrect length 513 expecting 18446744073709551615",
    0,
  );
  rejects(
    '0005 ffff',
    L,
    "Received 'RECV_BITMAP' message (0x0005) withincorrect length 65535 expecting 18446744073709551615",
    0,
  );
});

test('decode: REQ_PAGES_ID whose length disagrees with its idstr', () => {
  const L = ErrorCode.PROTOCOL_BAD_LENGTH;
  rejects('0003 000c 0000000000000000 00001000', L, 'Req_Page_id with length 12 expecting 13', 0);
  rejects(
    '0003 0014 0000000000001000 00001000 06 70632e72616d 00',
    L,
    'Req_Page_id with length 20 expecting 19',
    0,
  );
  // A length of 512 passes the buffer check and then fails this one.
  const big = '0003 0200 0000000000000000 00001000 ff' + '61'.repeat(512 - 13);
  rejects(big, L, 'Req_Page_id with length 512 expecting 268', 0);
});

test('decode: REQ_PAGES start above 2^53 is over the limit', () => {
  rejects('0004 000c 0020000000000000 00001000', ErrorCode.PROTOCOL_LIMIT, /too large/, 4);
});

test('decode: RESUME_ACK must carry 1', () => {
  rejects('0006 0004 00000002', ErrorCode.PROTOCOL_RETURN_PATH, 'illegal resume_ack value 2', 4);
  rejects(
    '0006 0004 ffffffff',
    ErrorCode.PROTOCOL_RETURN_PATH,
    'illegal resume_ack value 4294967295',
    4,
  );
});

test('decode: RECV_BITMAP name, size and end mark', () => {
  const L = ErrorCode.PROTOCOL_BAD_LENGTH;
  rejects('0005 0000', L, /missing block name/, 0);
  rejects('0005 0003 01 6161', L, /RECV_BITMAP with length 3/, 0);
  rejects(
    '0005 0002 01 61 0000000000000007',
    L,
    "ramblock 'a' bitmap size 0x7 is not a multiple of 8",
    6,
  );
  rejects(
    '0005 0002 01 61 0000010000000000',
    ErrorCode.PROTOCOL_LIMIT,
    /ramblock 'a' bitmap size 0x10000000000 exceeds the limit/,
    6,
  );
  rejects('0005 0002 01 61 ff00000000000000', ErrorCode.PROTOCOL_LIMIT, /too large/, 6);
  rejects(
    '0005 0002 01 61 0000000000000008 0000000000000000 0123456789abcdee',
    ErrorCode.PROTOCOL_RETURN_PATH,
    "ramblock 'a' end mark incorrect: 0x123456789abcdee",
    22,
  );
});

test('decode: maxRecvBitmap is applied before allocating', () => {
  const buf = bytes('0005 0002 01 61 0000000000000048');
  assert.throws(() => decodeAll(buf, { maxRecvBitmap: 64 }), {
    code: ErrorCode.PROTOCOL_LIMIT,
  });
  const ok = encodeRpMessage({ type: 'recv-bitmap', idstr: 'a', bitmap: new Uint8Array(64) });
  assert.equal(decodeAll(ok, { maxRecvBitmap: 64 }).length, 1);
});

test('decode: messages before an error reach onMessage, then the error is thrown at once', () => {
  const buf = bytes('0007 0000 0002 0004 00000009 0000 0000');
  const seen: unknown[] = [];
  const dec = new ReturnPathDecoder({ onMessage: (m) => seen.push(m) });
  assert.throws(() => dec.push(buf), { code: ErrorCode.PROTOCOL_UNKNOWN_TYPE });
  assert.deepEqual(seen, [{ type: 'switchover-ack' }, { type: 'pong', value: 9 }]);
  assert.throws(() => dec.push(new Uint8Array(0)), { code: ErrorCode.PROTOCOL_UNKNOWN_TYPE });
  assert.throws(() => dec.end(), { code: ErrorCode.PROTOCOL_UNKNOWN_TYPE });
  // An error with nothing decoded before it is thrown at once.
  assert.throws(() => new ReturnPathDecoder().push(bytes('0000 0000')), {
    code: ErrorCode.PROTOCOL_UNKNOWN_TYPE,
  });
});

test('decode: truncation at every offset fails only in end(), with TRUNCATED', () => {
  const parts = [
    encodeRpMessage({ type: 'pong', value: 1 }),
    encodeRpMessage({ type: 'req-pages-id', start: 0x1000, len: 0x1000, idstr: 'pc.ram' }),
    encodeRpMessage({ type: 'switchover-ack' }),
    encodeRpMessage({ type: 'recv-bitmap', idstr: 'pc.ram', bitmap: new Uint8Array(16).fill(3) }),
    encodeRpMessage({ type: 'shut', status: 0 }),
  ];
  const all = concat(parts);
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) ends.push((at += p.length));
  for (let k = 0; k <= all.length; k++) {
    const dec = new ReturnPathDecoder();
    const msgs = dec.push(all.subarray(0, k));
    assert.equal(msgs.length, ends.filter((e) => e <= k).length, `k=${k}`);
    if (k === 0 || ends.includes(k)) {
      dec.end();
      continue;
    }
    assert.throws(
      () => dec.end(),
      (e: unknown) =>
        e instanceof ProtocolError && e.code === ErrorCode.PROTOCOL_TRUNCATED && e.offset === k,
      `k=${k}`,
    );
  }
});

test('property: arbitrary bytes give messages or a ProtocolError, never anything else', () => {
  const valid = concat(golden.map(([, h]) => bytes(h)));
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    // Valid streams with a few bytes overwritten reach the deeper states.
    fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { maxLength: 4 }).map((edits) => {
      const b = valid.slice();
      for (const [i, v] of edits) b[i] = v;
      return b;
    }),
    // Plausible headers followed by random payloads.
    fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.nat(40), fc.uint8Array({ maxLength: 60 }))
      .map(([t, l, rest]) => concat([new Uint8Array([0, t, 0, l]), rest])),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(250), { maxLength: 10 }), (buf, cuts) => {
      const r = feed(buf, cuts);
      if (r.err !== undefined) {
        assert.ok(r.err instanceof ProtocolError, String(r.err));
        assert.equal(typeof r.err.offset, 'number');
      }
      // Chunking never changes the outcome.
      const whole = feed(buf, []);
      assert.deepEqual(r.msgs, whole.msgs);
      assert.equal(
        (r.err as ProtocolError | undefined)?.message,
        (whole.err as ProtocolError | undefined)?.message,
      );
    }),
    { numRuns: 3000 },
  );
});
