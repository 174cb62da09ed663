/**
 * Reading and writing fields of plain value objects. Field names can come from an
 * untrusted vmdesc, so a name such as "__proto__" must be an ordinary own key and
 * never reach the prototype chain.
 */
import type { VMStateValue } from './types.js';

export function isValueObject(v: unknown): v is VMStateValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function own(obj: VMStateValue, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function setOwn(obj: VMStateValue, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A count or size held in an earlier field, as a non-negative safe integer, or undefined. */
export function countValue(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.MAX_SAFE_INTEGER;
  }
  return undefined;
}
