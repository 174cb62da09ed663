/**
 * A small builder for descriptions: `defineVMState({...})` checks a description
 * once, when it is built, so the codecs can trust its shape; `field.*` and `elem.*`
 * spell fields the way QEMU's VMSTATE_* macros do.
 */
import { ErrorCode, ProtocolError } from '../../errors.js';
import type { Elem, ScalarKind, VMStateDescription, VMStateField, VMStateValue } from './types.js';

export interface FieldOptions {
  /** The field is on the wire only at versions ≥ this (VMSTATE_*_V). */
  versionId?: number;
  fieldExists?: (value: VMStateValue, versionId: number) => boolean;
}

export interface DescriptionSpec {
  name: string;
  versionId: number;
  /** Defaults to `versionId`. */
  minimumVersionId?: number;
  fields: readonly VMStateField[];
  subsections?: readonly VMStateDescription[];
  needed?: (value: VMStateValue) => boolean;
  preSave?: (value: VMStateValue) => void;
  postLoad?: (value: VMStateValue, versionId: number) => void;
}

/** Builds a field of one element; `field.array` accepts these as element factories. */
export type FieldFactory = (name: string, options?: FieldOptions) => VMStateField;

function bad(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_VMSTATE, message);
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}

function make(name: string, e: Elem, options: FieldOptions = {}): VMStateField {
  const f: { -readonly [K in keyof VMStateField]: VMStateField[K] } = {
    name,
    elem: e,
    versionId: options.versionId ?? 0,
  };
  if (options.fieldExists) f.fieldExists = options.fieldExists;
  return f;
}

const scalar =
  (kind: ScalarKind): FieldFactory =>
  (name, options) =>
    make(name, { kind }, options);

/** Element shapes, for arrays. */
export const elem = {
  of: (kind: ScalarKind, typeName?: string): Elem => (typeName ? { kind, typeName } : { kind }),
  buffer: (size: number): Elem => ({ kind: 'buffer', size }),
  bitmap: (nbits: number | string): Elem => ({ kind: 'bitmap', nbits }),
  struct: (desc: VMStateDescription): Elem => ({ kind: 'struct', desc }),
  vstruct: (desc: VMStateDescription, version: number): Elem => ({
    kind: 'struct',
    desc,
    vstructVersion: version,
  }),
  raw: (size: number, typeName: string): Elem => ({ kind: 'raw', size, typeName }),
};

export const field = {
  int8: scalar('int8'),
  int16: scalar('int16'),
  int32: scalar('int32'),
  int64: scalar('int64'),
  uint8: scalar('uint8'),
  uint16: scalar('uint16'),
  uint32: scalar('uint32'),
  uint64: scalar('uint64'),
  bool: scalar('bool'),
  float64: scalar('float64'),
  timer: scalar('timer'),
  int32Equal: scalar('int32 equal'),
  uint32Equal: scalar('uint32 equal'),
  uint8Equal: scalar('uint8 equal'),
  uint16Equal: scalar('uint16 equal'),
  /** QEMU's VMSTATE_UINT64_EQUAL, whose info is named "int64 equal". */
  int64Equal: scalar('int64 equal'),
  /** VMSTATE_CPUDOUBLE: same bytes as a float64, listed as "CPU_Double_U". */
  cpuDouble: (name: string, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'float64', typeName: 'CPU_Double_U' }, options),
  /** A counted name (configuration capabilities); value: string. */
  capability: (name: string, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'capability' }, options),
  buffer: (name: string, size: number, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'buffer', size }, options),
  /** Bytes whose count is the value of the earlier field `sizeFrom` (× `multiply`). */
  vbuffer: (name: string, sizeFrom: string, options?: FieldOptions & { multiply?: number }) =>
    make(name, { kind: 'vbuffer', sizeFrom, multiply: options?.multiply ?? 1 }, options),
  /** VMSTATE_UNUSED(size): named "unused" like QEMU's. */
  unused: (size: number, options?: FieldOptions): VMStateField =>
    make('unused', { kind: 'unused_buffer', size }, options),
  bitmap: (name: string, nbits: number | string, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'bitmap', nbits }, options),
  struct: (name: string, desc: VMStateDescription, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'struct', desc }, options),
  vstruct: (name: string, desc: VMStateDescription, version: number, options?: FieldOptions) =>
    make(name, { kind: 'struct', desc, vstructVersion: version }, options),
  raw: (name: string, size: number, typeName: string, options?: FieldOptions): VMStateField =>
    make(name, { kind: 'raw', size, typeName }, options),
  /**
   * An array of `count` elements (a number, or the name of an earlier field holding
   * it). `of` is an element shape or a single-element factory such as `field.uint64`.
   */
  array: (
    name: string,
    of: Elem | FieldFactory,
    count: number | string,
    options?: FieldOptions,
  ): VMStateField => {
    const e = typeof of === 'function' ? of(name).elem : of;
    return { ...make(name, e, options), count };
  },
  /** An array whose elements have individual shapes (used by the vmdesc reader). */
  elements: (name: string, elems: readonly Elem[], options?: FieldOptions): VMStateField => {
    if (elems.length === 0) throw bad(`Field '${name}' has no elements`);
    return { ...make(name, elems[0]!, options), count: elems.length, elements: elems };
  },
};

function checkElem(where: string, e: Elem): void {
  switch (e.kind) {
    case 'buffer':
    case 'unused_buffer':
    case 'raw':
      if (!isU32(e.size)) throw bad(`${where}: size ${String(e.size)} is not a valid byte count`);
      return;
    case 'vbuffer':
      if (e.sizeFrom === '') throw bad(`${where}: vbuffer needs a size field`);
      if (!isU32(e.multiply) || e.multiply === 0) throw bad(`${where}: bad multiplier`);
      return;
    case 'bitmap':
      if (typeof e.nbits === 'number' && !isU32(e.nbits)) {
        throw bad(`${where}: bitmap size ${e.nbits} is not a valid bit count`);
      }
      if (e.nbits === '') throw bad(`${where}: bitmap needs a size field`);
      return;
    case 'struct':
      if (e.vstructVersion !== undefined && !isU32(e.vstructVersion)) {
        throw bad(`${where}: bad vstruct version ${e.vstructVersion}`);
      }
      return;
    default:
      return;
  }
}

/** Checks a description's shape and freezes it. Throws ProtocolError PROTOCOL_VMSTATE. */
export function defineVMState(spec: DescriptionSpec): VMStateDescription {
  const { name } = spec;
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw bad(`VMState name '${String(name)}' must be 1..255 characters`);
  }
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0xff) throw bad(`VMState name '${name}' is not a byte string`);
  }
  const minimum = spec.minimumVersionId ?? spec.versionId;
  if (!isU32(spec.versionId) || !isU32(minimum) || minimum > spec.versionId) {
    throw bad(`${name}: bad versions ${spec.versionId} (minimum ${minimum})`);
  }
  for (const f of spec.fields) {
    const where = `${name}:${f.name}`;
    if (typeof f.name !== 'string' || f.name.length === 0) throw bad(`${name}: unnamed field`);
    if (!isU32(f.versionId)) throw bad(`${where}: bad field version ${f.versionId}`);
    if (typeof f.count === 'number' && !isU32(f.count)) throw bad(`${where}: bad count`);
    if (f.count === '') throw bad(`${where}: array needs a count field`);
    for (const e of f.elements ?? [f.elem]) checkElem(where, e);
  }
  const subsections = spec.subsections ?? [];
  const seen = new Set<string>();
  for (const sub of subsections) {
    // QEMU's loader only looks a subsection up after matching the parent's name
    // as a prefix, so a subsection named otherwise could never be loaded.
    if (!sub.name.startsWith(`${name}/`)) {
      throw bad(`Subsection '${sub.name}' of '${name}' must be named '${name}/...'`);
    }
    if (seen.has(sub.name)) throw bad(`${name}: duplicate subsection '${sub.name}'`);
    seen.add(sub.name);
  }
  const desc: { -readonly [K in keyof VMStateDescription]: VMStateDescription[K] } = {
    name,
    versionId: spec.versionId,
    minimumVersionId: minimum,
    fields: Object.freeze([...spec.fields]),
    subsections: Object.freeze([...subsections]),
  };
  if (spec.needed) desc.needed = spec.needed;
  if (spec.preSave) desc.preSave = spec.preSave;
  if (spec.postLoad) desc.postLoad = spec.postLoad;
  return Object.freeze(desc);
}
