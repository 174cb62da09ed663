/**
 * VMState encoder: a description's present fields in order, then each needed
 * subsection as 0x05, counted name, be32 version and its own payload (§1.6).
 * With a VmdescWriter it also writes the vmdesc JSON for what it sends, recording
 * the bytes each field took, exactly where QEMU's saver does.
 */
import type { ByteWriter } from '../bytes.js';
import { SectionType } from '../constants.js';
import { ErrorCode, ProtocolError } from '../../errors.js';
import type { VmdescWriter } from './json-writer.js';
import type { Elem, VMStateDescription, VMStateField, VMStateValue } from './types.js';
import { countValue, isValueObject, own } from './values.js';
import { canCompress, fieldIsPresent, vmdescFieldName, vmdescTypeName } from './wire-info.js';

const NULLPTR_MARKER = 0x30;
const f64 = new DataView(new ArrayBuffer(8));

function fail(path: string, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_ENCODE, `${path}: ${message}`);
}

/**
 * Appends `value` encoded by `desc` at `versionId` (QEMU always saves at the
 * description's own version; vstructs pick theirs). Throws PROTOCOL_ENCODE when a
 * value does not fit its field.
 */
export function encodeVMState(
  w: ByteWriter,
  desc: VMStateDescription,
  value: VMStateValue,
  versionId: number = desc.versionId,
  vmdesc?: VmdescWriter,
): void {
  encodeDesc(w, desc, value, versionId, vmdesc, desc.name);
}

function encodeDesc(
  w: ByteWriter,
  desc: VMStateDescription,
  value: unknown,
  versionId: number,
  json: VmdescWriter | undefined,
  path: string,
): void {
  if (!isValueObject(value)) throw fail(path, 'expected an object');
  desc.preSave?.(value);
  if (json) {
    json.str('vmsd_name', desc.name).int('version', versionId).startArray('fields');
  }
  for (const f of desc.fields) {
    if (fieldIsPresent(f, value, versionId)) encodeField(w, desc, f, value, json, path);
  }
  json?.endArray();

  let listed = false;
  for (const sub of desc.subsections) {
    if (sub.needed && !sub.needed(value)) continue;
    if (json) {
      // QEMU opens "subsections" only once one is actually sent.
      if (!listed) json.startArray('subsections');
      listed = true;
      json.startObject();
    }
    w.u8(SectionType.SUBSECTION).countedString(sub.name).u32(sub.versionId);
    encodeDesc(w, sub, value, sub.versionId, json, sub.name);
    json?.endObject();
  }
  if (listed) json?.endArray();
}

function encodeField(
  w: ByteWriter,
  desc: VMStateDescription,
  f: VMStateField,
  value: VMStateValue,
  vmdesc: VmdescWriter | undefined,
  parent: string,
): void {
  const path = `${parent}.${f.name}`;
  const v = own(value, f.name);
  const single = f.count === undefined && f.elements === undefined;
  const n = single ? 1 : elementCount(f, value, path);
  let items: readonly unknown[] = [v];
  if (!single) {
    if (Array.isArray(v)) items = v;
    else if (v === undefined && f.elem.kind === 'unused_buffer') items = new Array<unknown>(n);
    else throw fail(path, `expected an array of ${n}`);
    if (items.length !== n) throw fail(path, `expected ${n} elements, got ${items.length}`);
  }
  const compress = canCompress(f);
  let json = vmdesc;
  for (let i = 0; i < n; i++) {
    const e = f.elements?.[i] ?? f.elem;
    const nested = e.kind === 'struct' && e.vstructVersion === undefined;
    if (json) {
      json.startObject().str('name', vmdescFieldName(desc, f));
      if (n > 1) {
        if (compress) json.int('array_len', n);
        else json.int('index', i);
      }
      json.str('type', vmdescTypeName(e));
      if (nested) json.startObject('struct');
    }
    const before = w.length;
    encodeElem(w, e, items[i], value, json, single ? path : `${path}[${i}]`);
    if (json) {
      if (nested) json.endObject();
      json.int('size', w.length - before).endObject();
      // A compressed array is described by its first element only.
      if (compress) json = undefined;
    }
  }
}

function elementCount(f: VMStateField, value: VMStateValue, path: string): number {
  if (f.elements) return f.elements.length;
  if (typeof f.count === 'number') return f.count;
  const n = countValue(own(value, f.count!));
  if (n === undefined) throw fail(path, `count field '${f.count}' is not an integer`);
  return Math.max(n, 0); // QEMU's loop runs zero times for a negative count
}

function sizeFrom(value: VMStateValue, name: string, path: string): number {
  const n = countValue(own(value, name));
  if (n === undefined || n < 0) throw fail(path, `size field '${name}' is not a valid size`);
  return n;
}

function intIn(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw fail(path, `${String(v)} is not an integer in ${lo}..${hi}`);
  }
  return v;
}

function big(path: string, v: unknown, signed: boolean): bigint {
  const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof b !== 'bigint') throw fail(path, `${String(v)} is not a 64-bit integer`);
  const ok = signed ? BigInt.asIntN(64, b) === b : BigInt.asUintN(64, b) === b;
  if (!ok) throw fail(path, `${b} does not fit in 64 bits`);
  return b;
}

function bytesOf(path: string, v: unknown, size: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw fail(path, 'expected a Uint8Array');
  if (v.length !== size) throw fail(path, `expected ${size} bytes, got ${v.length}`);
  return v;
}

function encodeElem(
  w: ByteWriter,
  e: Elem,
  v: unknown,
  owner: VMStateValue,
  json: VmdescWriter | undefined,
  path: string,
): void {
  switch (e.kind) {
    case 'int8':
      w.u8(intIn(path, v, -0x80, 0x7f) & 0xff);
      return;
    case 'uint8':
    case 'uint8 equal':
      w.u8(intIn(path, v, 0, 0xff));
      return;
    case 'int16':
      w.u16(intIn(path, v, -0x8000, 0x7fff) & 0xffff);
      return;
    case 'uint16':
    case 'uint16 equal':
      w.u16(intIn(path, v, 0, 0xffff));
      return;
    case 'int32':
    case 'int32 equal':
      w.i32(intIn(path, v, -0x8000_0000, 0x7fff_ffff));
      return;
    case 'uint32':
    case 'uint32 equal':
      w.u32(intIn(path, v, 0, 0xffff_ffff));
      return;
    case 'int64':
    case 'timer':
      w.i64(big(path, v, true));
      return;
    case 'uint64':
    case 'int64 equal':
      w.u64(big(path, v, false));
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw fail(path, 'expected a boolean');
      w.u8(v ? 1 : 0);
      return;
    case 'float64':
      if (typeof v !== 'number') throw fail(path, 'expected a number');
      f64.setFloat64(0, v);
      w.u64(f64.getBigUint64(0));
      return;
    case 'nullptr':
      if (v !== null && v !== undefined) throw fail(path, 'a nullptr element must be null');
      w.u8(NULLPTR_MARKER);
      return;
    case 'buffer':
    case 'raw':
      w.bytes(bytesOf(path, v, e.size));
      return;
    case 'unused_buffer':
      w.bytes(new Uint8Array(e.size));
      return;
    case 'vbuffer':
      w.bytes(bytesOf(path, v, sizeFrom(owner, e.sizeFrom, path) * e.multiply));
      return;
    case 'bitmap': {
      const nbits = typeof e.nbits === 'number' ? e.nbits : sizeFrom(owner, e.nbits, path);
      const words = Math.ceil(nbits / 64);
      if (!Array.isArray(v) || v.length !== words) {
        throw fail(path, `expected ${words} bigint word(s)`);
      }
      for (let i = 0; i < words; i++) w.u64(big(`${path}[${i}]`, v[i], false));
      return;
    }
    case 'capability':
      if (typeof v !== 'string') throw fail(path, 'expected a string');
      w.countedString(v);
      return;
    case 'struct':
      encodeDesc(w, e.desc, v, e.vstructVersion ?? e.desc.versionId, json, path);
      return;
  }
}
