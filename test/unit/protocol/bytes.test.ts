import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter, NeedMoreData } from '../../../src/protocol/bytes.js';
import { ErrorCode } from '../../../src/errors.js';

test('ByteWriter and ByteReader round-trip big-endian values', () => {
  const w = new ByteWriter(4);
  w.u8(1).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0fn).countedString('pc.ram');
  w.u64(2 ** 40 + 5);
  const r = new ByteReader(w.finish());
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u32(), 0x04050607);
  assert.equal(r.u64(), 0x08090a0b0c0d0e0fn);
  assert.equal(r.countedString(), 'pc.ram');
  assert.equal(r.u64Number(), 2 ** 40 + 5);
  assert.equal(r.remaining, 0);
});

test('ByteReader reports how many bytes it needed', () => {
  const r = new ByteReader(new Uint8Array([0, 1]), 0, 2, 100);
  assert.throws(
    () => r.u32('section id'),
    (e: unknown) =>
      e instanceof NeedMoreData &&
      e.code === ErrorCode.PROTOCOL_TRUNCATED &&
      e.needed === 104 &&
      e.offset === 100,
  );
});

test('u64Number refuses values that a JS number cannot hold exactly', () => {
  const r = new ByteReader(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0]));
  assert.throws(() => r.u64Number('size'), { code: ErrorCode.PROTOCOL_LIMIT });
});
