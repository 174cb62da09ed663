// The `cmd key=value` syntax of `livemig qmp`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CommandSyntaxError,
  parseCommandLine,
  parseValue,
  tokenize,
} from '../../../src/cli/qmp-parse.js';

test('values are JSON when they parse, strings otherwise', () => {
  assert.equal(parseValue('300'), 300);
  assert.equal(parseValue('-1'), -1);
  assert.equal(parseValue('true'), true);
  assert.equal(parseValue('null'), null);
  assert.equal(parseValue('18446744073709551615'), 18446744073709551615n);
  assert.equal(parseValue('tcp:127.0.0.1:4444'), 'tcp:127.0.0.1:4444');
  assert.equal(parseValue('"quoted"'), 'quoted');
  assert.equal(parseValue(''), '');
  assert.deepEqual(parseValue('[1,"a"]'), [1, 'a']);
});

test('cmd key=value lines', () => {
  assert.deepEqual(parseCommandLine('query-status'), { execute: 'query-status' });
  assert.equal(parseCommandLine('   '), undefined);
  assert.deepEqual(parseCommandLine('migrate uri=tcp:127.0.0.1:4444 detach=true'), {
    execute: 'migrate',
    arguments: { uri: 'tcp:127.0.0.1:4444', detach: true },
  });
  assert.deepEqual(
    parseCommandLine(
      'migrate-set-capabilities capabilities=[{"capability": "events", "state": true}]',
    ),
    {
      execute: 'migrate-set-capabilities',
      arguments: { capabilities: [{ capability: 'events', state: true }] },
    },
  );
  assert.deepEqual(parseCommandLine('migrate-set-parameters max-bandwidth=-1 tls-creds=""'), {
    execute: 'migrate-set-parameters',
    arguments: { 'max-bandwidth': -1, 'tls-creds': '' },
  });
  assert.deepEqual(parseCommandLine('x a.b=1 a.c="s p"'), {
    execute: 'x',
    arguments: { a: { b: 1, c: 's p' } },
  });
});

test('raw JSON request lines', () => {
  assert.deepEqual(parseCommandLine('{"execute": "query-migrate"}'), { execute: 'query-migrate' });
  assert.deepEqual(
    parseCommandLine('{"execute": "migrate", "arguments": {"uri": "unix:/s"}, "id": 7}'),
    {
      execute: 'migrate',
      arguments: { uri: 'unix:/s' },
    },
  );
});

test('syntax errors', () => {
  for (const bad of [
    'stop novalue',
    'stop =1',
    'x a=1 a=2',
    'x a=1 a.b=2',
    'x a..b=1',
    'x s="open',
    '{"execute": 1}',
    '{"execute": "x", "arguments": []}',
    '{"execute": "x", "extra": 1}',
    '{not json',
    'a=1',
  ]) {
    assert.throws(() => parseCommandLine(bad), CommandSyntaxError, bad);
  }
});

test('tokenize keeps JSON values with spaces together', () => {
  assert.deepEqual(tokenize('a  b={"x": [1, 2]}  c="d e"'), ['a', 'b={"x": [1, 2]}', 'c="d e"']);
  assert.deepEqual(tokenize('s="a\\" b"'), ['s="a\\" b"']);
});
