// The client's bigint-aware JSON and its address parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQmpAddress } from '../../../src/qmp/client/address.js';
import { JsonSyntaxError, parseJson, stringifyJson } from '../../../src/qmp/client/json.js';

test('parseJson matches JSON.parse on ordinary input', () => {
  const text =
    '{"a": [1, -2.5, 1e3, true, false, null, "s\\u00e9\\n"], "b": {}, "c": [], "d": 9007199254740991}';
  assert.deepEqual(parseJson(text), JSON.parse(text));
  assert.equal(parseJson(' 84.051360000000003 '), 84.05136);
});

test('parseJson keeps integers beyond 2^53 exact as bigint', () => {
  assert.equal(parseJson('18446744073709551615'), 18446744073709551615n);
  assert.equal(parseJson('-9007199254740993'), -9007199254740993n);
  assert.equal(parseJson('1.8446744073709552e19'), 18446744073709552000);
  const o = parseJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(o), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('parseJson rejects what JSON.parse rejects', () => {
  for (const bad of [
    '',
    '{',
    '{"a" 1}',
    '[1,]',
    '01',
    '"abc',
    "{'a': 1}",
    '1 2',
    'tru',
    '"\\x"',
    '-',
  ]) {
    assert.throws(() => parseJson(bad), JsonSyntaxError, bad);
  }
  assert.throws(() => parseJson('['.repeat(10000)), JsonSyntaxError);
});

test('stringifyJson writes bigints as digits and skips undefined', () => {
  assert.equal(
    stringifyJson({ a: 18446744073709551615n, b: undefined, c: [undefined, NaN, 'x'] }),
    '{"a":18446744073709551615,"c":[null,null,"x"]}',
  );
  assert.equal(
    stringifyJson({ a: [1, { b: 2n }] }, 2),
    '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}',
  );
  assert.equal(stringifyJson({ e: {}, f: [] }, 2), '{\n  "e": {},\n  "f": []\n}');
  const round = { x: 2n ** 64n - 1n, y: 'é"' };
  assert.deepEqual(parseJson(stringifyJson(round)), round);
});

test('parseQmpAddress understands QEMU-style addresses', () => {
  assert.deepEqual(parseQmpAddress('/tmp/q.sock'), { path: '/tmp/q.sock' });
  assert.deepEqual(parseQmpAddress('unix:/tmp/q.sock,server=on,wait=off'), { path: '/tmp/q.sock' });
  assert.deepEqual(parseQmpAddress('tcp:127.0.0.1:4444'), { host: '127.0.0.1', port: 4444 });
  assert.deepEqual(parseQmpAddress('tcp:[::1]:4444'), { host: '::1', port: 4444 });
  assert.deepEqual(parseQmpAddress('tcp::4444'), { host: 'localhost', port: 4444 });
  assert.deepEqual(parseQmpAddress({ host: 'h', port: 1 }), { host: 'h', port: 1 });
  for (const bad of ['tcp:host', 'tcp:host:0', 'tcp:host:99999', ''])
    assert.throws(() => parseQmpAddress(bad), { code: 'LIVEMIG_ERR_QMP_CONNECTION' });
});
