/**
 * VMState decoder, following QEMU's vmstate_load_state: version checks, present
 * fields in order, then the subsection loop of §1.6. Every count and size that
 * comes from the stream is checked against a limit before it sizes anything.
 * Running out of input throws the reader's NeedMoreData unchanged, so an
 * incremental caller can wait for more bytes and retry from the start.
 */
import { type ByteReader, latin1 } from '../bytes.js';
import { SectionType } from '../constants.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { ErrorCode, ProtocolError } from '../../errors.js';
import type { Elem, VMStateDescription, VMStateField, VMStateValue } from './types.js';
import { countValue, isValueObject, own, setOwn } from './values.js';
import { fieldIsPresent, minWireSize } from './wire-info.js';

export interface DecodeOptions {
  /** Largest byte count or element count a stream value may ask for (default 64 MiB). */
  maxBytes?: number;
  /**
   * The loading side's own state. "equal" fields must match it (QEMU compares with
   * the value already in the device); without it they accept any value.
   */
  local?: VMStateValue;
  /**
   * The reader ends exactly where this payload ends, so running out where a
   * subsection could start means there is none. Leave unset when decoding from a
   * stream, where something (a footer) always follows and a short buffer means
   * "wait for more".
   */
  wholePayload?: boolean;
}

interface Ctx {
  readonly r: ByteReader;
  readonly maxBytes: number;
  readonly whole: boolean;
}

/** Elements of zero wire size still cost memory; cap how many a stream may ask for. */
const MAX_EMPTY_ELEMENTS = 65536;
const NULLPTR_MARKER = 0x30;

export function decodeVMState(
  r: ByteReader,
  desc: VMStateDescription,
  versionId: number,
  options: DecodeOptions = {},
): VMStateValue {
  const ctx: Ctx = {
    r,
    maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxDeviceSection,
    whole: options.wholePayload ?? false,
  };
  const value: VMStateValue = {};
  decodeInto(ctx, desc, versionId, value, options.local);
  return value;
}

function vmstateError(ctx: Ctx, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_VMSTATE, message, ctx.r.offset);
}

function limitError(ctx: Ctx, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.PROTOCOL_LIMIT, message, ctx.r.offset);
}

function decodeInto(
  ctx: Ctx,
  desc: VMStateDescription,
  versionId: number,
  target: VMStateValue,
  local: unknown,
): void {
  if (versionId > desc.versionId) {
    throw vmstateError(
      ctx,
      `${desc.name}: incoming version_id ${versionId} is too new for local version_id ${desc.versionId}`,
    );
  }
  if (versionId < desc.minimumVersionId) {
    throw vmstateError(
      ctx,
      `${desc.name}: incoming version_id ${versionId} is too old for local minimum version_id ${desc.minimumVersionId}`,
    );
  }
  const loc = isValueObject(local) ? local : undefined;
  for (const f of desc.fields) {
    if (fieldIsPresent(f, target, versionId)) decodeField(ctx, desc, f, target, loc);
  }
  decodeSubsections(ctx, desc, target, loc);
  desc.postLoad?.(target, versionId);
}

function decodeSubsections(
  ctx: Ctx,
  desc: VMStateDescription,
  target: VMStateValue,
  local: VMStateValue | undefined,
): void {
  const r = ctx.r;
  for (;;) {
    if (ctx.whole && r.remaining === 0) return;
    if (r.peekU8('subsection marker') !== SectionType.SUBSECTION) return;
    // Peek the name before consuming anything: a name that does not start with
    // ours belongs to an enclosing description, which gets to read it. A 0x05 may
    // also just be the enclosing struct's next data byte; when the whole payload
    // is here and the "name" would run past it, QEMU's failed peek means "none".
    if (ctx.whole && r.remaining < 2) return;
    r.need(2, 'subsection name length');
    const len = r.buf[r.pos + 1]!;
    if (len < desc.name.length + 1) return;
    if (ctx.whole && r.remaining < 2 + len) return;
    r.need(2 + len, 'subsection name');
    const name = latin1(r.buf.subarray(r.pos + 2, r.pos + 2 + len));
    if (!name.startsWith(desc.name)) return;
    const sub = desc.subsections.find((s) => s.name === name);
    if (!sub) {
      throw vmstateError(ctx, `${desc.name}: unknown subsection '${name}' in the stream`);
    }
    r.skip(2 + len, 'subsection name');
    // QEMU reads the be32 version into a uint8_t, so only its low byte counts.
    const version = r.u32('subsection version_id') & 0xff;
    decodeInto(ctx, sub, version, target, local);
  }
}

function decodeField(
  ctx: Ctx,
  desc: VMStateDescription,
  f: VMStateField,
  target: VMStateValue,
  local: VMStateValue | undefined,
): void {
  const where = `${desc.name}:${f.name}`;
  const loc = local ? own(local, f.name) : undefined;
  if (f.count === undefined && f.elements === undefined) {
    const v = decodeElem(ctx, f.elem, target, loc, where);
    if (f.elem.kind !== 'unused_buffer') setOwn(target, f.name, v);
    return;
  }
  const n = f.elements ? f.elements.length : elementCount(ctx, f, target, where);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const e = f.elements?.[i] ?? f.elem;
    out.push(decodeElem(ctx, e, target, Array.isArray(loc) ? loc[i] : undefined, where));
  }
  if (f.elem.kind !== 'unused_buffer') setOwn(target, f.name, out);
}

function elementCount(ctx: Ctx, f: VMStateField, target: VMStateValue, where: string): number {
  if (typeof f.count === 'number') return f.count;
  const raw = countValue(own(target, f.count!));
  if (raw === undefined) {
    throw vmstateError(ctx, `${where}: count field '${f.count}' was not loaded before it`);
  }
  const n = Math.max(raw, 0); // QEMU's loop runs zero times for a negative count
  const min = minWireSize(f.elem);
  const tooMany = min > 0 ? n * min > ctx.maxBytes : n > MAX_EMPTY_ELEMENTS;
  if (tooMany) throw limitError(ctx, `${where}: array of ${n} elements exceeds the limit`);
  return n;
}

function sizeFrom(ctx: Ctx, target: VMStateValue, name: string, where: string): number {
  const n = countValue(own(target, name));
  if (n === undefined) {
    throw vmstateError(ctx, `${where}: size field '${name}' was not loaded before it`);
  }
  if (n < 0) throw limitError(ctx, `${where}: negative size ${n}`);
  return n;
}

function checkBytes(ctx: Ctx, n: number, where: string): number {
  if (n > ctx.maxBytes) {
    throw limitError(ctx, `${where}: ${n} bytes exceeds the limit of ${ctx.maxBytes}`);
  }
  return n;
}

function hex(v: number | bigint, bits: number): string {
  return typeof v === 'bigint'
    ? BigInt.asUintN(bits, v).toString(16)
    : (bits === 32 ? v >>> 0 : v).toString(16);
}

function checkEqual(
  ctx: Ctx,
  got: number | bigint,
  local: unknown,
  bits: number,
  where: string,
): void {
  if (local === undefined) return;
  const want = typeof got === 'bigint' && typeof local === 'number' ? BigInt(local) : local;
  if (want === got) return;
  const shown = typeof want === 'number' || typeof want === 'bigint' ? hex(want, bits) : '?';
  throw vmstateError(ctx, `Failed to load ${where}: ${shown} != ${hex(got, bits)}`);
}

function decodeElem(
  ctx: Ctx,
  e: Elem,
  target: VMStateValue,
  local: unknown,
  where: string,
): unknown {
  const r = ctx.r;
  switch (e.kind) {
    case 'int8':
      return (r.u8(where) << 24) >> 24;
    case 'uint8':
      return r.u8(where);
    case 'int16':
      return (r.u16(where) << 16) >> 16;
    case 'uint16':
      return r.u16(where);
    case 'int32':
      return r.i32(where);
    case 'uint32':
      return r.u32(where);
    case 'int64':
    case 'timer':
      return r.i64(where);
    case 'uint64':
      return r.u64(where);
    case 'uint8 equal': {
      const v = r.u8(where);
      checkEqual(ctx, v, local, 8, where);
      return v;
    }
    case 'uint16 equal': {
      const v = r.u16(where);
      checkEqual(ctx, v, local, 16, where);
      return v;
    }
    case 'int32 equal': {
      const v = r.i32(where);
      checkEqual(ctx, v, local, 32, where);
      return v;
    }
    case 'uint32 equal': {
      const v = r.u32(where);
      checkEqual(ctx, v, local, 32, where);
      return v;
    }
    case 'int64 equal': {
      const v = r.u64(where);
      checkEqual(ctx, v, local, 64, where);
      return v;
    }
    case 'bool':
      return r.u8(where) !== 0; // any nonzero byte loads as true
    case 'float64': {
      r.need(8, where);
      const v = r.view.getFloat64(r.pos);
      r.pos += 8;
      return v;
    }
    case 'nullptr':
      if (r.u8(where) !== NULLPTR_MARKER) {
        throw vmstateError(ctx, `${where}: vmstate: get_nullptr expected VMS_NULLPTR_MARKER`);
      }
      return null;
    case 'buffer':
    case 'raw':
      return r.copy(checkBytes(ctx, e.size, where), where);
    case 'unused_buffer':
      r.skip(checkBytes(ctx, e.size, where), where);
      return undefined;
    case 'vbuffer': {
      const n = checkBytes(ctx, sizeFrom(ctx, target, e.sizeFrom, where) * e.multiply, where);
      return r.copy(n, where);
    }
    case 'bitmap': {
      const nbits = typeof e.nbits === 'number' ? e.nbits : sizeFrom(ctx, target, e.nbits, where);
      const words = Math.ceil(nbits / 64);
      checkBytes(ctx, words * 8, where);
      const out: bigint[] = [];
      for (let i = 0; i < words; i++) out.push(r.u64(where));
      return out;
    }
    case 'capability':
      return r.countedString(where);
    case 'struct': {
      const v: VMStateValue = {};
      decodeInto(ctx, e.desc, e.vstructVersion ?? e.desc.versionId, v, local);
      return v;
    }
  }
}
