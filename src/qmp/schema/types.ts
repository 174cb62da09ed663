/**
 * A small QAPI-like type language for command arguments. Constructors mirror
 * QAPI's built-in names; `optional()` marks a struct member QAPI would spell
 * with a leading '*'.
 */
import type { JsonValue } from '../json/value.js';

export type IntKind = 'int' | 'int8' | 'int16' | 'int32' | 'int64';
export type UintKind = 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'size';

export type ScalarType =
  | { readonly kind: 'str' }
  | { readonly kind: IntKind }
  | { readonly kind: UintKind }
  | { readonly kind: 'number' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'any' }
  | { readonly kind: 'null' };

export interface EnumType<V extends string = string> {
  readonly kind: 'enum';
  readonly name: string;
  readonly values: readonly V[];
}

export interface ListType<E extends SchemaType = SchemaType> {
  readonly kind: 'list';
  readonly element: E;
}

export interface OptionalMember<T extends SchemaType = SchemaType> {
  readonly kind: 'optional';
  readonly type: T;
}

export type Members = Readonly<Record<string, SchemaType | OptionalMember>>;

export interface StructType<M extends Members = Members> {
  readonly kind: 'struct';
  readonly name: string;
  readonly members: M;
}

export interface AlternateType<B extends readonly SchemaType[] = readonly SchemaType[]> {
  readonly kind: 'alternate';
  readonly name: string;
  readonly branches: B;
}

export type SchemaType = ScalarType | EnumType | ListType | StructType | AlternateType;

type RequiredKeys<M extends Members> = {
  [K in keyof M]: M[K] extends OptionalMember ? never : K;
}[keyof M];
type OptionalKeys<M extends Members> = {
  [K in keyof M]: M[K] extends OptionalMember ? K : never;
}[keyof M];

/** The TypeScript type a validated value of schema type T has. */
export type Infer<T> = T extends { kind: 'str' }
  ? string
  : T extends { kind: 'int' | 'int64' | 'uint64' | 'size' }
    ? number | bigint
    : T extends { kind: 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'number' }
      ? number
      : T extends { kind: 'bool' }
        ? boolean
        : T extends { kind: 'any' }
          ? JsonValue
          : T extends { kind: 'null' }
            ? null
            : T extends EnumType<infer V>
              ? V
              : T extends ListType<infer E>
                ? Infer<E>[]
                : T extends StructType<infer M>
                  ? { [K in RequiredKeys<M>]: Infer<M[K]> } & {
                      [K in OptionalKeys<M>]?: M[K] extends OptionalMember<infer U>
                        ? Infer<U>
                        : never;
                    }
                  : T extends AlternateType<infer B>
                    ? Infer<B[number]>
                    : never;

const scalar = <K extends ScalarType['kind']>(kind: K): { readonly kind: K } => ({ kind });

export const t = {
  str: scalar('str'),
  int: scalar('int'),
  int8: scalar('int8'),
  int16: scalar('int16'),
  int32: scalar('int32'),
  int64: scalar('int64'),
  uint8: scalar('uint8'),
  uint16: scalar('uint16'),
  uint32: scalar('uint32'),
  uint64: scalar('uint64'),
  size: scalar('size'),
  number: scalar('number'),
  bool: scalar('bool'),
  any: scalar('any'),
  null: scalar('null'),
  enum<const V extends string>(name: string, values: readonly V[]): EnumType<V> {
    return { kind: 'enum', name, values };
  },
  list<E extends SchemaType>(element: E): ListType<E> {
    return { kind: 'list', element };
  },
  optional<T extends SchemaType>(type: T): OptionalMember<T> {
    return { kind: 'optional', type };
  },
  struct<const M extends Members>(name: string, members: M): StructType<M> {
    return { kind: 'struct', name, members };
  },
  alternate<const B extends readonly SchemaType[]>(name: string, branches: B): AlternateType<B> {
    return { kind: 'alternate', name, branches };
  },
} as const;

/** QAPI's StrOrNull alternate (used by tls-creds and friends). */
export const StrOrNull = t.alternate('StrOrNull', [t.str, t.null]);
