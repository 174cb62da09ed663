/**
 * Validates raw JSON arguments against a schema type, the way QEMU's
 * qobject input visitor and the generated visit code do, with the same error
 * texts: member paths like 'capabilities[0].state' where QEMU builds a full
 * name, and the bare member name (or 'null' inside a list) where QEMU does
 * (enums, narrow integers, alternates).
 */
import { ErrorCode, LivemigError } from '../../errors.js';
import { JsonFloat, hasMember, isJsonObject, setMember } from '../json/value.js';
import type { JsonObject, JsonValue } from '../json/value.js';
import { qdictOrder } from '../json/writer.js';
import type { Infer, SchemaType, StructType } from './types.js';

type Frame =
  { kind: 'dict'; name: string | null } | { kind: 'list'; name: string | null; index: number };

const UINT64_MOD = 2n ** 64n;

const NARROW_UINT: Record<string, [bigint, string]> = {
  uint8: [255n, 'uint8_t'],
  uint16: [65535n, 'uint16_t'],
  uint32: [4294967295n, 'uint32_t'],
};
const NARROW_INT: Record<string, [bigint, bigint, string]> = {
  int8: [-128n, 127n, 'int8_t'],
  int16: [-32768n, 32767n, 'int16_t'],
  int32: [-2147483648n, 2147483647n, 'int32_t'],
};

function bad(message: string): never {
  throw new LivemigError(ErrorCode.INVALID_PARAMETER, message);
}

/** number when it fits exactly, else bigint. */
function normalise(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** The integer a parsed value holds, or undefined for floats and non-numbers. */
function asInteger(v: JsonValue | undefined): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

class Visitor {
  private readonly stack: Frame[] = [];

  /** QEMU's full_name(): the path of `name` inside the containers being visited. */
  private fullName(name: string | null): string {
    let out = '';
    let cur = name;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i] as Frame;
      out = f.kind === 'dict' ? `.${cur ?? '<anonymous>'}${out}` : `[${f.index}]${out}`;
      cur = f.name;
    }
    if (cur !== null) return cur + out;
    if (out.startsWith('.')) return out.slice(1);
    return out === '' ? '<anonymous>' : out;
  }

  visit(type: SchemaType, name: string | null, raw: JsonValue | undefined): unknown {
    if (raw === undefined) bad(`Parameter '${this.fullName(name)}' is missing`);
    const typeError = (expected: string): never =>
      bad(`Invalid parameter type for '${this.fullName(name)}', expected: ${expected}`);
    switch (type.kind) {
      case 'str':
        return typeof raw === 'string' ? raw : typeError('string');
      case 'bool':
        return typeof raw === 'boolean' ? raw : typeError('boolean');
      case 'null':
        return raw === null ? null : typeError('null');
      case 'any':
        return raw;
      case 'number':
        if (typeof raw === 'number') return raw;
        if (typeof raw === 'bigint') return Number(raw);
        if (raw instanceof JsonFloat) return raw.value;
        return typeError('number');
      case 'int':
      case 'int64':
      case 'int8':
      case 'int16':
      case 'int32': {
        const v = asInteger(raw);
        if (v === undefined || v < -(2n ** 63n) || v >= 2n ** 63n) return typeError('integer');
        const narrow = NARROW_INT[type.kind];
        if (narrow && (v < narrow[0] || v > narrow[1])) {
          bad(`Parameter '${name ?? 'null'}' expects ${narrow[2]}`);
        }
        return normalise(v);
      }
      case 'uint8':
      case 'uint16':
      case 'uint32':
      case 'uint64':
      case 'size': {
        let v = asInteger(raw);
        // QEMU accepts negative int64 values and wraps them, for compatibility.
        if (v !== undefined && v < 0n && v >= -(2n ** 63n)) v += UINT64_MOD;
        if (v === undefined || v < 0n || v >= UINT64_MOD) {
          bad(`Parameter '${this.fullName(name)}' expects uint64`);
        }
        const narrow = NARROW_UINT[type.kind];
        if (narrow && v > narrow[0]) bad(`Parameter '${name ?? 'null'}' expects ${narrow[1]}`);
        return normalise(v);
      }
      case 'enum': {
        if (typeof raw !== 'string') return typeError('string');
        if (!type.values.includes(raw)) {
          bad(`Parameter '${name ?? 'null'}' does not accept value '${raw}'`);
        }
        return raw;
      }
      case 'list': {
        if (!Array.isArray(raw)) return typeError('array');
        const frame: Frame = { kind: 'list', name, index: -1 };
        this.stack.push(frame);
        const out = raw.map((item) => {
          frame.index++;
          return this.visit(type.element, null, item);
        });
        this.stack.pop();
        return out;
      }
      case 'struct':
        if (!isJsonObject(raw)) return typeError('object');
        return this.struct(type, name, raw);
      case 'alternate':
        return this.alternate(type, name, raw);
    }
  }

  private struct(type: StructType, name: string | null, raw: JsonObject): unknown {
    this.stack.push({ kind: 'dict', name });
    const out: Record<string, unknown> = {};
    for (const [member, decl] of Object.entries(type.members)) {
      const optional = decl.kind === 'optional';
      const present = hasMember(raw, member);
      if (optional && !present) continue;
      const memberType = decl.kind === 'optional' ? decl.type : decl;
      setMember(out, member, this.visit(memberType, member, present ? raw[member] : undefined));
    }
    // Unexpected members are reported only after all declared ones passed.
    const extra = qdictOrder(Object.keys(raw)).find((k) => !hasMember(type.members, k));
    if (extra !== undefined) bad(`Parameter '${this.fullName(extra)}' is unexpected`);
    this.stack.pop();
    return out;
  }

  /** Alternates choose a branch by the JSON type of the value, as QEMU's do. */
  private alternate(
    type: SchemaType & { kind: 'alternate' },
    name: string | null,
    raw: JsonValue,
  ): unknown {
    const fits = (b: SchemaType): boolean => {
      switch (b.kind) {
        case 'str':
        case 'enum':
          return typeof raw === 'string';
        case 'bool':
          return typeof raw === 'boolean';
        case 'null':
          return raw === null;
        case 'list':
          return Array.isArray(raw);
        case 'struct':
          return isJsonObject(raw);
        case 'any':
        case 'alternate':
          return false;
        default:
          return typeof raw === 'number' || typeof raw === 'bigint' || raw instanceof JsonFloat;
      }
    };
    const branch = type.branches.find(fits);
    if (!branch) bad(`Invalid parameter type for '${name ?? 'null'}', expected: ${type.name}`);
    return this.visit(branch, name, raw);
  }
}

/**
 * Validates command arguments (`undefined` when the request had none) against
 * `type`; throws LivemigError(INVALID_PARAMETER) with QEMU's text.
 */
export function validateArgs<T extends StructType>(
  type: T,
  args: JsonObject | undefined,
): Infer<T> {
  return new Visitor().visit(type, null, args ?? {}) as Infer<T>;
}

/** Validates any value against any schema type, naming it `name` in errors. */
export function validateValue<T extends SchemaType>(
  type: T,
  name: string,
  value: JsonValue,
): Infer<T> {
  return new Visitor().visit(type, name, value) as Infer<T>;
}

/** validateArgs without static typing, for callers holding a type-erased schema. */
export function validateArgsUntyped(type: StructType, args: JsonObject | undefined): unknown {
  return new Visitor().visit(type, null, args ?? {});
}
