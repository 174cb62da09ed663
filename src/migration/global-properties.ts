/**
 * `-global migration.PROP=VALUE`: the properties of QEMU 8.1's `migration`
 * object and the string parsing qdev applies to them (QEMU's string input
 * visitor, qemu_strtou64 and qemu_strtosz), with QEMU's error texts.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { strtosz } from '../qemu-strtosz.js';
import type { CapabilityName } from './capabilities.js';
import {
  MULTIFD_COMPRESSION_VALUES,
  type MigrationParameters,
  type ParameterName,
} from './parameters.js';

/** Compatibility/internal knobs of the migration object that are neither parameters nor caps. */
export interface CompatProperties {
  storeGlobalState: boolean;
  sendConfiguration: boolean;
  sendSectionFooter: boolean;
  decompressErrorCheck: boolean;
  multifdFlushAfterEachSection: boolean;
  clearBitmapShift: number;
  preemptPre72: boolean;
}

export function defaultCompatProperties(): CompatProperties {
  return {
    storeGlobalState: true,
    sendConfiguration: true,
    sendSectionFooter: true,
    decompressErrorCheck: true,
    multifdFlushAfterEachSection: false,
    // QEMU's CLEAR_BITMAP_SHIFT_DEFAULT.
    clearBitmapShift: 18,
    preemptPre72: false,
  };
}

type PropertyType = 'bool' | 'uint8' | 'uint32' | 'uint64' | 'size' | 'str' | 'multifd-compression';

type Target =
  | { readonly param: ParameterName }
  | { readonly cap: CapabilityName }
  | { readonly compat: keyof CompatProperties };

interface PropertyDef {
  readonly type: PropertyType;
  readonly target: Target;
}

const param = (type: PropertyType, name: ParameterName): PropertyDef => ({
  type,
  target: { param: name },
});
const cap = (name: CapabilityName): PropertyDef => ({ type: 'bool', target: { cap: name } });
const compat = (type: PropertyType, name: keyof CompatProperties): PropertyDef => ({
  type,
  target: { compat: name },
});

/** QEMU 8.1's migration_properties[] (Linux build), plus 8.2's avail-switchover-bandwidth. */
export const MIGRATION_PROPERTIES: Readonly<Record<string, PropertyDef>> = {
  'store-global-state': compat('bool', 'storeGlobalState'),
  'send-configuration': compat('bool', 'sendConfiguration'),
  'send-section-footer': compat('bool', 'sendSectionFooter'),
  'decompress-error-check': compat('bool', 'decompressErrorCheck'),
  'multifd-flush-after-each-section': compat('bool', 'multifdFlushAfterEachSection'),
  'x-clear-bitmap-shift': compat('uint8', 'clearBitmapShift'),
  'x-preempt-pre-7-2': compat('bool', 'preemptPre72'),

  'x-compress-level': param('uint8', 'compress-level'),
  'x-compress-threads': param('uint8', 'compress-threads'),
  'x-compress-wait-thread': param('bool', 'compress-wait-thread'),
  'x-decompress-threads': param('uint8', 'decompress-threads'),
  'x-throttle-trigger-threshold': param('uint8', 'throttle-trigger-threshold'),
  'x-cpu-throttle-initial': param('uint8', 'cpu-throttle-initial'),
  'x-cpu-throttle-increment': param('uint8', 'cpu-throttle-increment'),
  'x-cpu-throttle-tailslow': param('bool', 'cpu-throttle-tailslow'),
  'x-max-bandwidth': param('size', 'max-bandwidth'),
  'avail-switchover-bandwidth': param('size', 'avail-switchover-bandwidth'),
  'x-downtime-limit': param('uint64', 'downtime-limit'),
  'x-checkpoint-delay': param('uint32', 'x-checkpoint-delay'),
  'multifd-channels': param('uint8', 'multifd-channels'),
  'multifd-compression': param('multifd-compression', 'multifd-compression'),
  'multifd-zlib-level': param('uint8', 'multifd-zlib-level'),
  'multifd-zstd-level': param('uint8', 'multifd-zstd-level'),
  'xbzrle-cache-size': param('size', 'xbzrle-cache-size'),
  'max-postcopy-bandwidth': param('size', 'max-postcopy-bandwidth'),
  'max-cpu-throttle': param('uint8', 'max-cpu-throttle'),
  'announce-initial': param('size', 'announce-initial'),
  'announce-max': param('size', 'announce-max'),
  'announce-rounds': param('size', 'announce-rounds'),
  'announce-step': param('size', 'announce-step'),
  'tls-creds': param('str', 'tls-creds'),
  'tls-hostname': param('str', 'tls-hostname'),
  'tls-authz': param('str', 'tls-authz'),
  'x-vcpu-dirty-limit-period': param('uint64', 'x-vcpu-dirty-limit-period'),
  'vcpu-dirty-limit': param('uint64', 'vcpu-dirty-limit'),

  'x-xbzrle': cap('xbzrle'),
  'x-rdma-pin-all': cap('rdma-pin-all'),
  'x-auto-converge': cap('auto-converge'),
  'x-zero-blocks': cap('zero-blocks'),
  'x-compress': cap('compress'),
  'x-events': cap('events'),
  'x-postcopy-ram': cap('postcopy-ram'),
  'x-postcopy-preempt': cap('postcopy-preempt'),
  'x-colo': cap('x-colo'),
  'x-release-ram': cap('release-ram'),
  'x-block': cap('block'),
  'x-return-path': cap('return-path'),
  'x-multifd': cap('multifd'),
  'x-background-snapshot': cap('background-snapshot'),
  'x-zero-copy-send': cap('zero-copy-send'),
  'x-switchover-ack': cap('switchover-ack'),
  'x-dirty-limit': cap('dirty-limit'),
};

export type GlobalSetting =
  | { kind: 'param'; name: ParameterName; value: MigrationParameters[ParameterName] }
  | { kind: 'cap'; name: CapabilityName; value: boolean }
  | { kind: 'compat'; name: keyof CompatProperties; value: boolean | number };

const UINT64_MAX = (1n << 64n) - 1n;

/** Raised by a parser; the caller adds QEMU's "can't apply global …: " prefix. */
class ParseError extends Error {}

/** String input visitor's boolean: case-insensitive on/yes/true, off/no/false. */
function parseBool(name: string, text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'on' || t === 'yes' || t === 'true') return true;
  if (t === 'off' || t === 'no' || t === 'false') return false;
  throw new ParseError(`Invalid parameter type for '${name}', expected: boolean`);
}

/**
 * qemu_strtou64(str, NULL, 0): strtoull with base auto-detection (0x hex, 0
 * octal), leading blanks, an optional sign (negative values wrap modulo 2^64),
 * nothing after the number. Returns undefined where QEMU reports an error.
 */
export function strtou64(text: string): bigint | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const [, sign, digits = ''] = m;
  const magnitude =
    digits.length > 1 && digits[0] === '0' && !/^0[xX]/.test(digits)
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  if (magnitude > UINT64_MAX) return undefined;
  return sign === '-' ? (UINT64_MAX + 1n - magnitude) & UINT64_MAX : magnitude;
}

function parseUint(name: string, text: string, max: bigint, typeName: string): bigint {
  const v = strtou64(text);
  if (v === undefined) throw new ParseError(`Parameter '${name}' expects uint64`);
  if (v > max) throw new ParseError(`Parameter '${name}' expects ${typeName}`);
  return v;
}

function parseSize(name: string, text: string): bigint {
  const r = strtosz(text);
  if ('value' in r) return r.value;
  if (r.error === 'ERANGE') {
    throw new ParseError(`Value '${text}' is out of range for parameter '${name}'`);
  }
  throw new ParseError(`Parameter '${name}' expects a non-negative number below 2^64`);
}

function parseValue(
  name: string,
  type: PropertyType,
  text: string,
): boolean | number | bigint | string {
  switch (type) {
    case 'bool':
      return parseBool(name, text);
    case 'uint8':
      return Number(parseUint(name, text, 0xffn, 'uint8_t'));
    case 'uint32':
      return Number(parseUint(name, text, 0xffff_ffffn, 'uint32_t'));
    case 'uint64':
      return parseUint(name, text, UINT64_MAX, 'uint64');
    case 'size':
      return parseSize(name, text);
    case 'str':
      return text;
    case 'multifd-compression':
      if (!(MULTIFD_COMPRESSION_VALUES as readonly string[]).includes(text)) {
        throw new ParseError(`Parameter '${name}' does not accept value '${text}'`);
      }
      return text;
  }
}

/**
 * Parse one `-global migration.PROP=VALUE`. Throws INVALID_PARAMETER with the
 * text QEMU prints before exiting.
 */
export function parseGlobal(prop: string, value: string): GlobalSetting {
  const prefix = `can't apply global migration.${prop}=${value}: `;
  const def = Object.hasOwn(MIGRATION_PROPERTIES, prop) ? MIGRATION_PROPERTIES[prop] : undefined;
  if (def === undefined) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      `${prefix}Property 'migration.${prop}' not found`,
    );
  }
  let parsed: boolean | number | bigint | string;
  try {
    parsed = parseValue(prop, def.type, value);
  } catch (e) {
    if (e instanceof ParseError) {
      throw new LivemigError(ErrorCode.INVALID_PARAMETER, prefix + e.message);
    }
    throw e;
  }
  const t = def.target;
  if ('param' in t) {
    return { kind: 'param', name: t.param, value: parsed as MigrationParameters[ParameterName] };
  }
  if ('cap' in t) return { kind: 'cap', name: t.cap, value: parsed as boolean };
  return { kind: 'compat', name: t.compat, value: parsed as boolean | number };
}
