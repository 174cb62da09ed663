/**
 * Facts about elements and fields that the encoder, decoder and vmdesc writer
 * share: wire widths, vmdesc type names, and QEMU's rules for when a field is on
 * the wire and when an array may be described by one compressed vmdesc entry.
 */
import type { Elem, ScalarKind, VMStateDescription, VMStateField, VMStateValue } from './types.js';

const SCALAR_WIDTH: Readonly<Record<ScalarKind, number>> = {
  int8: 1,
  uint8: 1,
  'uint8 equal': 1,
  bool: 1,
  nullptr: 1,
  int16: 2,
  uint16: 2,
  'uint16 equal': 2,
  int32: 4,
  uint32: 4,
  'int32 equal': 4,
  'uint32 equal': 4,
  int64: 8,
  uint64: 8,
  'int64 equal': 8,
  float64: 8,
  timer: 8,
};

export function isScalarKind(kind: string): kind is ScalarKind {
  return Object.hasOwn(SCALAR_WIDTH, kind);
}

export function scalarWidth(kind: ScalarKind): number {
  return SCALAR_WIDTH[kind];
}

/** The "type" of a vmdesc field entry: QEMU's VMStateInfo name, or struct/vstruct. */
export function vmdescTypeName(e: Elem): string {
  if (e.typeName !== undefined) return e.typeName;
  switch (e.kind) {
    case 'struct':
      return e.vstructVersion === undefined ? 'struct' : 'vstruct';
    case 'vbuffer':
      return 'buffer'; // VMSTATE_VBUFFER uses the plain buffer info
    default:
      return e.kind;
  }
}

/** QEMU's vmstate_field_exists: the callback if any, else the field's version. */
export function fieldIsPresent(f: VMStateField, value: VMStateValue, versionId: number): boolean {
  return f.fieldExists ? f.fieldExists(value, versionId) : f.versionId <= versionId;
}

/**
 * QEMU's vmsd_can_compress: an array may be listed once with "array_len" unless a
 * field's presence is dynamic or a nested struct has subsections that may vary.
 */
export function canCompress(f: VMStateField): boolean {
  if (f.fieldExists) return false;
  if (f.elem.kind === 'struct' && f.elem.vstructVersion === undefined) {
    const d = f.elem.desc;
    if (!d.fields.every(canCompress)) return false;
    if (d.subsections.length > 0) return false;
  }
  return true;
}

const uniqueNames = new WeakMap<VMStateDescription, Map<VMStateField, string>>();

/**
 * The vmdesc name of a field: its own name, or "name[k]" when the description
 * holds several fields of that name (k counts those before it).
 */
export function vmdescFieldName(desc: VMStateDescription, f: VMStateField): string {
  let names = uniqueNames.get(desc);
  if (!names) {
    names = new Map();
    const total = new Map<string, number>();
    for (const g of desc.fields) total.set(g.name, (total.get(g.name) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const g of desc.fields) {
      const k = seen.get(g.name) ?? 0;
      seen.set(g.name, k + 1);
      names.set(g, total.get(g.name)! > 1 ? `${g.name}[${k}]` : g.name);
    }
    uniqueNames.set(desc, names);
  }
  return names.get(f) ?? f.name;
}

/**
 * A lower bound on an element's wire size, used to refuse element counts that
 * could not fit in the byte limit before allocating anything for them.
 */
export function minWireSize(e: Elem, depth = 0): number {
  switch (e.kind) {
    case 'buffer':
    case 'unused_buffer':
    case 'raw':
      return e.size;
    case 'vbuffer':
      return 0;
    case 'bitmap':
      return typeof e.nbits === 'number' ? Math.ceil(e.nbits / 64) * 8 : 0;
    case 'capability':
      return 1;
    case 'struct': {
      if (depth > 8) return 0;
      let n = 0;
      for (const f of e.desc.fields) {
        if (f.fieldExists || f.versionId > 0) continue;
        if (f.elements) continue;
        const per = minWireSize(f.elem, depth + 1);
        n += typeof f.count === 'number' ? per * f.count : f.count === undefined ? per : 0;
      }
      return n;
    }
    default:
      return scalarWidth(e.kind);
  }
}
