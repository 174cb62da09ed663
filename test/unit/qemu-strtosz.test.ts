import assert from 'node:assert/strict';
import test from 'node:test';
import { parseSize, strtosz } from '../../src/qemu-strtosz.js';

test('strtosz: QEMU 8.1 sizes', () => {
  const ok: [string, bigint][] = [
    ['0', 0n],
    ['4096', 4096n],
    ['1k', 1024n],
    ['1K', 1024n],
    ['256M', 256n << 20n],
    ['1.5M', 3n << 19n],
  ];
  for (const [text, value] of ok) assert.deepEqual(strtosz(text), { value }, text);
  assert.deepEqual(strtosz(' 4G'), { value: 4n << 30n });
  assert.deepEqual(strtosz('0x10'), { value: 16n });
  assert.deepEqual(strtosz('15E'), { value: 15n << 60n });
  for (const bad of ['', 'M', '4GB', '1.5', '0x1.8', '0x10M', '12 M', 'ten']) {
    assert.deepEqual(strtosz(bad), { error: 'EINVAL' }, bad);
  }
  for (const big of ['16E', '18446744073709551616', '-1']) {
    assert.deepEqual(strtosz(big), { error: 'ERANGE' }, big);
  }
});

test('parseSize: a number for livemig options, undefined when not one or beyond 2^53', () => {
  assert.equal(parseSize('256M'), 256 * 2 ** 20);
  assert.equal(parseSize('1.5K'), 1536);
  assert.equal(parseSize('7P'), 7 * 2 ** 50);
  assert.equal(parseSize('8P'), undefined); // 2^53
  assert.equal(parseSize('4GB'), undefined);
  assert.equal(parseSize('-1'), undefined);
});
