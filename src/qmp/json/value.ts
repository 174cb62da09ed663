/**
 * The values the QMP JSON layer reads and writes. QEMU keeps integers and
 * floats apart (QNUM_I64/U64 vs QNUM_DOUBLE): an integral float such as 1.0 is
 * rejected where an integer is expected. JS numbers cannot carry that, so a
 * parsed float token is boxed in JsonFloat; integers are plain numbers when
 * safe and bigints otherwise, so 18446744073709551615 survives a round trip.
 */
export class JsonFloat {
  constructor(readonly value: number) {}
}

export type JsonValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | JsonFloat
  | JsonValue[]
  | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);
}

/** Stores a member without letting a "__proto__" key reach the prototype. */
export function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

export function hasMember(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
