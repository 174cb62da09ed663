/**
 * Turns the vmdesc JSON a source appended to its stream into descriptions the
 * decoder can use, so a stream from a device livemig does not model can still be
 * decoded field by field (what scripts/analyze-migration.py does). The JSON is
 * untrusted: every key and value is checked, and anything wrong is a ProtocolError
 * PROTOCOL_VMDESC naming where it was found.
 *
 * Keys this reader does not know are ignored, so a newer QEMU that adds one
 * can still be inspected.
 *
 * The vmdesc lists what was sent, not what could have been: every field is
 * unconditional, arrays have the count that was sent, and the subsections listed
 * are the ones present.
 */
import { DEFAULT_LIMITS } from '../limits.js';
import { ErrorCode, ProtocolError } from '../../errors.js';
import { defineVMState, elem, field } from './builder.js';
import type { Elem, VMStateDescription, VMStateField } from './types.js';
import { isScalarKind, scalarWidth } from './wire-info.js';

export interface VmdescDevice {
  /** The section idstr ("name" in the JSON). */
  readonly idstr: string;
  readonly instanceId: number;
  /** Absent for a legacy save_state device. */
  readonly vmsdName: string | undefined;
  /** Absent for a legacy save_state device. */
  readonly version: number | undefined;
  /** Decodes this device's FULL-section payload. */
  readonly description: VMStateDescription;
}

export interface Vmdesc {
  readonly pageSize: number;
  /** Present when the source wrote a "configuration" entry (newer QEMU). */
  readonly configuration: VMStateDescription | undefined;
  /** Keyed by vmdescKey(idstr, instanceId). */
  readonly devices: ReadonlyMap<string, VmdescDevice>;
}

export function vmdescKey(idstr: string, instanceId: number): string {
  return `${idstr}:${instanceId}`;
}

/** Nesting deeper than this is refused rather than recursed into. */
const MAX_DEPTH = 32;
/** A legacy device has no version; it must accept whatever its section says. */
const ANY_VERSION = 0xffff_ffff;
const MAX_ELEMENTS = 1 << 24;

type Json = Record<string, unknown>;

function bad(where: string, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_VMDESC, `vmdesc ${where}: ${message}`);
}

function obj(where: string, v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw bad(where, 'expected an object');
  }
  return v as Json;
}

function get(o: Json, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function str(where: string, o: Json, key: string): string {
  const v = get(o, key);
  if (typeof v !== 'string') throw bad(where, `"${key}" must be a string`);
  return v;
}

function uint(where: string, o: Json, key: string, max = 0xffff_ffff): number {
  const v = get(o, key);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw bad(where, `"${key}" must be an integer in 0..${max}`);
  }
  return v;
}

function arr(where: string, o: Json, key: string): unknown[] {
  const v = get(o, key);
  if (!Array.isArray(v)) throw bad(where, `"${key}" must be an array`);
  return v;
}

/** Description-building errors (bad names, sizes) are vmdesc errors here. */
function define(where: string, spec: Parameters<typeof defineVMState>[0]): VMStateDescription {
  try {
    return defineVMState(spec);
  } catch (e) {
    if (e instanceof ProtocolError) throw bad(where, e.message);
    throw e;
  }
}

interface Limits {
  readonly maxBytes: number;
}

/** {vmsd_name, version, fields[, subsections]} — a section, struct or subsection body. */
function body(where: string, o: Json, depth: number, limits: Limits): VMStateDescription {
  if (depth > MAX_DEPTH) throw bad(where, `nested deeper than ${MAX_DEPTH} levels`);
  const name = str(where, o, 'vmsd_name');
  const version = uint(where, o, 'version');
  const here = `${where} '${name}'`;
  const fields = fieldList(here, arr(here, o, 'fields'), depth, limits);
  const subsections: VMStateDescription[] = [];
  if (get(o, 'subsections') !== undefined) {
    const subs = arr(here, o, 'subsections');
    subs.forEach((s, i) => {
      const w = `${here} subsection ${i}`;
      const so = obj(w, s);
      subsections.push(body(w, so, depth + 1, limits));
    });
  }
  return define(here, { name, versionId: version, minimumVersionId: 0, fields, subsections });
}

interface Entry {
  readonly name: string;
  readonly elem: Elem;
  readonly size: number;
  readonly arrayLen: number | undefined;
  readonly index: number | undefined;
}

/** Types whose bytes are a known scalar under another name. */
const ALIASES: Readonly<Record<string, Elem>> = {
  'int32 le': elem.of('int32', 'int32 le'),
  CPU_Double_U: elem.of('float64', 'CPU_Double_U'),
};

function entryElem(where: string, o: Json, type: string, size: number, depth: number, l: Limits) {
  if (type === 'struct') {
    return elem.struct(
      body(`${where} struct`, obj(`${where} struct`, get(o, 'struct')), depth + 1, l),
    );
  }
  if (get(o, 'struct') !== undefined) throw bad(where, `"struct" given for type '${type}'`);
  if (type === 'vstruct') {
    const d = body(where, o, depth + 1, l);
    return elem.vstruct(d, d.versionId);
  }
  if (isScalarKind(type)) {
    // A size that disagrees with the type (a NULL pointer's marker in older
    // streams) is read as that many raw bytes, as analyze-migration.py does.
    return scalarWidth(type) === size ? elem.of(type) : elem.raw(size, type);
  }
  const alias = ALIASES[type];
  if (alias && alias.kind !== 'struct' && isScalarKind(alias.kind)) {
    return scalarWidth(alias.kind) === size ? alias : elem.raw(size, type);
  }
  switch (type) {
    case 'buffer':
      return elem.buffer(size);
    case 'unused_buffer':
      return { kind: 'unused_buffer', size } as const;
    case 'bitmap':
      return size % 8 === 0 ? elem.bitmap(size * 8) : elem.raw(size, type);
    case 'capability':
      return { kind: 'capability' } as const;
    default:
      return elem.raw(size, type);
  }
}

function entry(where: string, v: unknown, depth: number, limits: Limits): Entry {
  const o = obj(where, v);
  const name = str(where, o, 'name');
  const here = `${where} '${name}'`;
  const type = str(here, o, 'type');
  const size = uint(here, o, 'size', limits.maxBytes);
  const arrayLen = get(o, 'array_len') === undefined ? undefined : uint(here, o, 'array_len');
  const index = get(o, 'index') === undefined ? undefined : uint(here, o, 'index');
  if (arrayLen !== undefined && index !== undefined) {
    throw bad(here, '"array_len" and "index" together');
  }
  if (arrayLen !== undefined && arrayLen * Math.max(size, 1) > limits.maxBytes) {
    throw bad(here, `array of ${arrayLen} × ${size} bytes exceeds the limit`);
  }
  return { name, elem: entryElem(here, o, type, size, depth, limits), size, arrayLen, index };
}

/**
 * Field entries → fields. QEMU lists an array either once with "array_len" or once
 * per element with "index" (and splits arrays of pointers around NULLs), always
 * under one name, so consecutive entries of one name are one array.
 */
function fieldList(where: string, list: unknown[], depth: number, l: Limits): VMStateField[] {
  const fields: VMStateField[] = [];
  const seen = new Set<string>();
  let run: Entry[] = [];

  const flush = (): void => {
    const first = run[0];
    if (!first) return;
    if (run.length === 1 && first.index === undefined) {
      fields.push(
        first.arrayLen === undefined
          ? { name: first.name, elem: first.elem, versionId: 0 }
          : field.array(first.name, first.elem, first.arrayLen),
      );
    } else {
      const elems: Elem[] = [];
      for (const e of run) {
        if (e.index !== undefined && e.index !== elems.length) {
          throw bad(`${where} '${e.name}'`, `index ${e.index} out of order`);
        }
        const n = e.arrayLen ?? 1;
        if (elems.length + n > MAX_ELEMENTS) throw bad(`${where} '${e.name}'`, 'too many elements');
        for (let i = 0; i < n; i++) elems.push(e.elem);
      }
      fields.push(field.elements(first.name, elems));
    }
    run = [];
  };

  list.forEach((v, i) => {
    const e = entry(`${where} field ${i}`, v, depth, l);
    if (run[0]?.name !== e.name) {
      flush();
      if (seen.has(e.name)) throw bad(`${where} field ${i}`, `duplicate field '${e.name}'`);
      seen.add(e.name);
    }
    run.push(e);
  });
  flush();
  return fields;
}

/** One element of "devices": a VMSD device or a legacy save_state one. */
export function deviceFromVmdesc(v: unknown, options: { maxBytes?: number } = {}): VmdescDevice {
  const limits = { maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxDeviceSection };
  const o = obj('device', v);
  const idstr = str('device', o, 'name');
  const where = `device '${idstr}'`;
  const instanceId = uint(where, o, 'instance_id');
  if (get(o, 'vmsd_name') === undefined) {
    uint(where, o, 'size', limits.maxBytes);
    const fields = fieldList(where, arr(where, o, 'fields'), 0, limits);
    const description = define(where, {
      name: idstr,
      versionId: ANY_VERSION,
      minimumVersionId: 0,
      fields,
    });
    return { idstr, instanceId, vmsdName: undefined, version: undefined, description };
  }
  const description = body(where, o, 0, limits);
  return {
    idstr,
    instanceId,
    vmsdName: description.name,
    version: description.versionId,
    description,
  };
}

/** The body of a "configuration" entry, when a source wrote one. */
export function configurationFromVmdesc(v: unknown): VMStateDescription {
  const o = obj('configuration', v);
  return body('configuration', o, 0, { maxBytes: DEFAULT_LIMITS.maxDeviceSection });
}

/** Parses and checks a whole vmdesc document (text or the raw bytes from the stream). */
export function parseVmdesc(
  input: string | Uint8Array,
  options: { maxBytes?: number } = {},
): Vmdesc {
  const max = DEFAULT_LIMITS.maxVmdesc;
  if (input.length > max) throw bad('document', `longer than ${max} bytes`);
  let doc: unknown;
  try {
    const text =
      typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    doc = JSON.parse(text);
  } catch (e) {
    throw bad('document', `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const o = obj('document', doc);
  const pageSize = uint('document', o, 'page_size', 1 << 30);
  if (pageSize === 0 || (pageSize & (pageSize - 1)) !== 0) {
    throw bad('document', `page_size ${pageSize} is not a power of two`);
  }
  const configuration =
    get(o, 'configuration') === undefined
      ? undefined
      : configurationFromVmdesc(get(o, 'configuration'));
  const devices = new Map<string, VmdescDevice>();
  arr('document', o, 'devices').forEach((d, i) => {
    let dev: VmdescDevice;
    try {
      dev = deviceFromVmdesc(d, options);
    } catch (e) {
      if (e instanceof ProtocolError) {
        throw new ProtocolError(e.code, `${e.message} (device ${i})`, e.offset);
      }
      throw e;
    }
    const key = vmdescKey(dev.idstr, dev.instanceId);
    if (devices.has(key)) throw bad(`device ${i}`, `duplicate device '${key}'`);
    devices.set(key, dev);
  });
  return { pageSize, configuration, devices };
}
