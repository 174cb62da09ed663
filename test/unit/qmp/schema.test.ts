import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LivemigError, ErrorCode } from '../../../src/errors.js';
import { JsonFloat } from '../../../src/qmp/json/index.js';
import type { JsonObject } from '../../../src/qmp/json/index.js';
import { StrOrNull, t, validateArgs } from '../../../src/qmp/schema/index.js';

const Cap = t.enum('MigrationCapability', ['xbzrle', 'events']);
const SetCaps = t.struct('SetCaps', {
  capabilities: t.list(t.struct('MigrationCapabilityStatus', { capability: Cap, state: t.bool })),
});
const Migrate = t.struct('Migrate', { uri: t.str, blk: t.optional(t.bool) });
const Params = t.struct('Params', {
  'max-bandwidth': t.optional(t.size),
  'downtime-limit': t.optional(t.uint64),
  'multifd-channels': t.optional(t.uint8),
  'x-int': t.optional(t.int),
  'x-i32': t.optional(t.int32),
  'x-num': t.optional(t.number),
  'tls-creds': t.optional(StrOrNull),
});

function rejects(fn: () => unknown, desc: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LivemigError);
    assert.equal(e.code, ErrorCode.INVALID_PARAMETER);
    assert.equal(e.message, desc);
    return true;
  });
}

test('missing and unexpected', () => {
  rejects(() => validateArgs(Migrate, undefined), "Parameter 'uri' is missing");
  rejects(() => validateArgs(Migrate, {}), "Parameter 'uri' is missing");
  rejects(() => validateArgs(Migrate, { uri: 'x', foo: 1 }), "Parameter 'foo' is unexpected");
  rejects(() => validateArgs(Migrate, { foo: 1 }), "Parameter 'uri' is missing");
  assert.deepEqual(validateArgs(Migrate, { uri: 'u' }), { uri: 'u' });
});

test('paths inside lists of structs', () => {
  const caps = (v: unknown): JsonObject => ({ capabilities: v }) as JsonObject;
  rejects(
    () => validateArgs(SetCaps, caps([{ capability: 'xbzrle', state: 'yes' }])),
    "Invalid parameter type for 'capabilities[0].state', expected: boolean",
  );
  rejects(
    () =>
      validateArgs(
        SetCaps,
        caps([{ capability: 'xbzrle', state: true }, { capability: 'events' }]),
      ),
    "Parameter 'capabilities[1].state' is missing",
  );
  rejects(
    () => validateArgs(SetCaps, caps([{ capability: 'xbzrle', state: true, foo: 1 }])),
    "Parameter 'capabilities[0].foo' is unexpected",
  );
  rejects(
    () => validateArgs(SetCaps, caps({})),
    "Invalid parameter type for 'capabilities', expected: array",
  );
  rejects(
    () => validateArgs(SetCaps, caps([{ capability: 'switchover-ack', state: true }])),
    "Parameter 'capability' does not accept value 'switchover-ack'",
  );
  rejects(
    () => validateArgs(SetCaps, caps([1])),
    "Invalid parameter type for 'capabilities[0]', expected: object",
  );
  rejects(
    () => validateArgs(Migrate, { uri: 1 }),
    "Invalid parameter type for 'uri', expected: string",
  );
});

test('enum inside a list is named null', () => {
  const T = t.struct('q', { enable: t.optional(t.list(t.enum('QMPCapability', ['oob']))) });
  rejects(
    () => validateArgs(T, { enable: ['foo'] }),
    "Parameter 'null' does not accept value 'foo'",
  );
});

test('integers', () => {
  rejects(
    () => validateArgs(Params, { 'downtime-limit': '300' }),
    "Parameter 'downtime-limit' expects uint64",
  );
  rejects(
    () => validateArgs(Params, { 'max-bandwidth': (2n ** 64n) as unknown as number }),
    "Parameter 'max-bandwidth' expects uint64",
  );
  rejects(
    () => validateArgs(Params, { 'max-bandwidth': new JsonFloat(1.5) }),
    "Parameter 'max-bandwidth' expects uint64",
  );
  rejects(
    () => validateArgs(Params, { 'max-bandwidth': new JsonFloat(1) }),
    "Parameter 'max-bandwidth' expects uint64",
  );
  rejects(
    () => validateArgs(Params, { 'multifd-channels': 256 }),
    "Parameter 'multifd-channels' expects uint8_t",
  );
  rejects(
    () => validateArgs(Params, { 'multifd-channels': -1 }),
    "Parameter 'multifd-channels' expects uint8_t",
  );
  rejects(
    () => validateArgs(Params, { 'x-int': 'a' }),
    "Invalid parameter type for 'x-int', expected: integer",
  );
  rejects(
    () => validateArgs(Params, { 'x-int': 2n ** 63n }),
    "Invalid parameter type for 'x-int', expected: integer",
  );
  rejects(() => validateArgs(Params, { 'x-i32': 2 ** 31 }), "Parameter 'x-i32' expects int32_t");
  rejects(
    () => validateArgs(Params, { 'x-num': 'a' }),
    "Invalid parameter type for 'x-num', expected: number",
  );
  assert.deepEqual(validateArgs(Params, { 'max-bandwidth': -1 }), {
    'max-bandwidth': 18446744073709551615n,
  });
  assert.deepEqual(validateArgs(Params, { 'max-bandwidth': 18446744073709551615n }), {
    'max-bandwidth': 18446744073709551615n,
  });
  assert.deepEqual(validateArgs(Params, { 'x-num': new JsonFloat(2.5), 'multifd-channels': 255 }), {
    'x-num': 2.5,
    'multifd-channels': 255,
  });
});

test('alternates', () => {
  assert.deepEqual(validateArgs(Params, { 'tls-creds': null }), { 'tls-creds': null });
  assert.deepEqual(validateArgs(Params, { 'tls-creds': 'c' }), { 'tls-creds': 'c' });
  rejects(
    () => validateArgs(Params, { 'tls-creds': 1 }),
    "Invalid parameter type for 'tls-creds', expected: StrOrNull",
  );
});
