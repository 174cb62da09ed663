import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { JsonFloat, JsonStreamer, parseMessages, writeJson } from '../../../src/qmp/json/index.js';
import type { JsonMessage } from '../../../src/qmp/json/index.js';

const errors = (input: string | Buffer): string[] =>
  parseMessages(input).map((m) => (m.kind === 'error' ? m.message : `value ${writeJson(m.value)}`));

test('transcript 05: unquoted word gives two errors', () => {
  assert.deepEqual(errors('{"execute": query-migrate}'), [
    "JSON parse error, stray '-m'",
    'JSON parse error, expecting value',
  ]);
});

test('transcript 05: missing value and stray bracket', () => {
  assert.deepEqual(errors('{"execute": '), []);
  assert.deepEqual(errors('{"execute": }'), ['JSON parse error, expecting value']);
  assert.deepEqual(errors(']'), ['JSON parse error, expecting value']);
});

test('parser error texts', () => {
  const cases: [string, string][] = [
    ['{"a":1,"a":2}', 'JSON parse error, duplicate key'],
    ['{"a" 1}', 'JSON parse error, missing : in object pair'],
    ['{"a":1 "b":2}', 'JSON parse error, expected separator in dict'],
    ['[1 2]', 'JSON parse error, expected separator in list'],
    ['{1:2}', 'JSON parse error, key is not a string in object'],
    ['[nul]', "JSON parse error, invalid keyword 'nul'"],
    ['"\\x"', 'JSON parse error, invalid escape sequence in string'],
    ['"\\uD800"', 'JSON parse error, \\uD800 is not a valid Unicode character'],
    ['"\\uDC00"', 'JSON parse error, \\uDC00 is not a valid Unicode character'],
    ['"\\uFFFE"', 'JSON parse error, \\uFFFE is not a valid Unicode character'],
    ['[1,]', 'JSON parse error, expecting value'],
    ['{"a":[}]', 'JSON parse error, expecting value'],
  ];
  for (const [input, msg] of cases) assert.deepEqual(errors(input), [msg], input);
});

test('invalid UTF-8 in a string', () => {
  assert.deepEqual(errors(Buffer.from([0x22, 0xc3, 0x28, 0x22])), [
    'JSON parse error, invalid UTF-8 sequence in string',
  ]);
  assert.deepEqual(errors(Buffer.from([0x22, 0xc0, 0xaf, 0x22])), [
    'JSON parse error, invalid UTF-8 sequence in string',
  ]);
  // Modified UTF-8 NUL is accepted.
  const [m] = parseMessages(Buffer.from([0x22, 0xc0, 0x80, 0x22]));
  assert.deepEqual(m, { kind: 'value', value: '\u0000' });
});

test('lexical errors are stray tokens, recovery resumes at structure', () => {
  assert.deepEqual(errors('Q{"a":1}'), ["JSON parse error, stray 'Q'", 'value {"a": 1}']);
  assert.deepEqual(errors('007'), ["JSON parse error, stray '00'"]);
  assert.deepEqual(errors(Buffer.from([0xff, 0x7b, 0x7d])), [
    "JSON parse error, stray '\uFFFD'",
    'value {}',
  ]);
  assert.deepEqual(errors('"ab\u0001cd" {}'), ["JSON parse error, stray '\"ab\u0001'", 'value {}']);
  assert.deepEqual(errors('True'), ["JSON parse error, stray 'T'"]);
});

test('splitting: two objects on one line, scalars, incomplete input waits', () => {
  assert.deepEqual(errors('{"a":1}{"b":2}'), ['value {"a": 1}', 'value {"b": 2}']);
  assert.deepEqual(errors('1 "x" true'), ['value 1', 'value "x"']); // keyword waits for lookahead
  assert.deepEqual(errors('{"a": [1, 2'), []);
});

test('single quotes and escapes', () => {
  const [m] = parseMessages(`{'a': 'it\\'s "q" \\u00e9 \\ud83d\\ude00 \\/'}`);
  assert.deepEqual(m, { kind: 'value', value: { a: `it's "q" é 😀 /` } });
});

test('integers: number when safe, bigint beyond, float past 64 bits', () => {
  const [m] = parseMessages(
    '[18446744073709551615, -9223372036854775808, 9007199254740993, 42, -0, 1.0, 1e3, 1e400, 99999999999999999999]',
  );
  assert.ok(m && m.kind === 'value');
  assert.deepEqual(m.value, [
    18446744073709551615n,
    -9223372036854775808n,
    9007199254740993n,
    42,
    0,
    new JsonFloat(1),
    new JsonFloat(1000),
    new JsonFloat(Infinity),
    new JsonFloat(Number('99999999999999999999')),
  ]);
});

test('__proto__ keys stay data', () => {
  const [m] = parseMessages('{"__proto__": {"x": 1}}');
  assert.ok(m && m.kind === 'value');
  assert.equal(Object.getPrototypeOf(m.value), Object.prototype);
  assert.equal(writeJson(m.value), '{"__proto__": {"x": 1}}');
});

test('limits: nesting depth', () => {
  const msgs = errors('['.repeat(1025));
  assert.deepEqual(msgs, ['JSON nesting depth limit exceeded']);
  assert.deepEqual(errors(`${'['.repeat(1024)}${']'.repeat(1024)}`).length, 1);
});

test('100k-deep nesting does not blow the stack', () => {
  const out: JsonMessage[] = [];
  const s = new JsonStreamer((m) => out.push(m));
  s.feed(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)));
  assert.equal(out[0]?.kind, 'error');
  assert.ok(out.length > 90);
});

test('limits: token count', () => {
  const out: JsonMessage[] = [];
  const s = new JsonStreamer((m) => {
    if (out.length < 3) out.push(m);
  });
  s.feed(Buffer.from(`[${'1,'.repeat(1_100_000)}`));
  assert.deepEqual(out[0], { kind: 'error', message: 'JSON token count limit exceeded' });
});

test('16 MiB string in one message', () => {
  const big = 'x'.repeat(16 * 1024 * 1024);
  const [m] = parseMessages(`{"id": "${big}"}`);
  assert.ok(m && m.kind === 'value');
  assert.equal((m.value as { id: string }).id.length, big.length);
});

test('chunking independence (property)', () => {
  const inputs = [
    '{"execute": query-migrate}',
    `{'execute': 'x', "id": [1, 2.5, "é\\u00e9"]}{"a": {}} ] "s" 12 `,
    '{"a":1,"a":2} Q[1 2]',
  ];
  for (const text of inputs) {
    const bytes = Buffer.from(text);
    const whole = parseMessages(bytes);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const out: JsonMessage[] = [];
        const s = new JsonStreamer((m) => out.push(m));
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          s.feed(bytes.subarray(prev, p));
          prev = p;
        }
        assert.deepEqual(out, whole);
      }),
    );
  }
});
