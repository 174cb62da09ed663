import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonFloat, formatDouble, qdictOrder, writeJson } from '../../../src/qmp/json/index.js';

test('separators and empty containers', () => {
  assert.equal(writeJson({ return: {} }), '{"return": {}}');
  assert.equal(writeJson({ a: [1, 2], b: [] }), '{"a": [1, 2], "b": []}');
});

test('floats are %.17g (glibc digits, round-half-even)', () => {
  assert.equal(formatDouble(84.05136), '84.051360000000003');
  assert.equal(formatDouble(0.1), '0.10000000000000001');
  assert.equal(formatDouble(1e21), '1e+21');
  assert.equal(formatDouble(1.5e-7), '1.4999999999999999e-07');
  assert.equal(formatDouble(1 + 1 / 2 ** 17), '1.0000076293945312');
  assert.equal(formatDouble(100), '100');
  assert.equal(formatDouble(5e-324), '4.9406564584124654e-324');
  assert.equal(formatDouble(-0), '-0');
  assert.equal(formatDouble(Infinity), 'inf');
  assert.equal(writeJson({ mbps: 84.05136 }), '{"mbps": 84.051360000000003}');
  assert.equal(writeJson(new JsonFloat(1)), '1');
});

test('64-bit integers are exact', () => {
  assert.equal(writeJson(18446744073709551615n), '18446744073709551615');
  assert.equal(writeJson(-9223372036854775808n), '-9223372036854775808');
});

test('strings: ASCII output, upper-case \\u escapes, surrogate pairs', () => {
  assert.equal(
    writeJson('é\u{1F600}\u007f/"\\\n\t\b\f\r\u0001'),
    '"\\u00E9\\uD83D\\uDE00\\u007F/\\"\\\\\\n\\t\\b\\f\\r\\u0001"',
  );
  assert.equal(writeJson('\uD800'), '"\\uFFFD"');
});

test('qemu member order matches transcript bytes', () => {
  const greeting = {
    QMP: {
      version: {
        qemu: { major: 7, minor: 2, micro: 22 },
        package: 'Debian 1:7.2+dfsg-7+deb12u18+b3',
      },
      capabilities: ['oob'],
    },
  };
  assert.equal(
    writeJson(greeting, { order: 'qemu' }),
    '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}',
  );
  assert.deepEqual(qdictOrder(['return', 'id']), ['return', 'id']);
  assert.deepEqual(qdictOrder(['error', 'id']), ['id', 'error']);
  assert.deepEqual(qdictOrder(['timestamp', 'event', 'data']), ['timestamp', 'event', 'data']);
  assert.deepEqual(qdictOrder(['running', 'singlestep', 'status']), [
    'status',
    'singlestep',
    'running',
  ]);
  assert.equal(writeJson({ b: 1, a: 2 }), '{"b": 1, "a": 2}');
});
