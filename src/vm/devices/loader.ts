/**
 * QEMU's generic loader, `-device loader,...` (hw/core/generic-loader.c, 8.1),
 * for a machine whose ram[0] is mapped at guest physical 0. It adds no
 * migration section: its bytes reach the destination as ordinary RAM.
 *
 * Supported: file=PATH,addr=A[,force-raw=on] (a raw image) and, on a machine
 * with a CPU, addr=A,data=D,data-len=N[,data-be=on]. Realize-time checks and
 * texts follow QEMU's order. Not modelled: ELF, U-Boot and Intel HEX images
 * (QEMU tries them before raw), setting a PC (cpu-num, or addr alone), and the
 * overlap check between several loaders.
 *
 * QEMU copies the image as a ROM blob at system reset through the address
 * space: the part beyond the end of RAM is silently dropped, and the pages it
 * writes are marked dirty. The image size may not exceed the RAM size.
 */
import { readFile, stat } from 'node:fs/promises';
import { ErrorCode, LivemigError } from '../../errors.js';
import type { Machine } from '../machine.js';
import { PAGE_SIZE } from '../ram-block.js';

/** QEMU's CPU_NONE: cpu-num left unset. */
const CPU_NONE = 0xffffffff;

const PROPS = ['file', 'addr', 'data', 'data-len', 'data-be', 'cpu-num', 'force-raw'] as const;
/** qdev keys that are not loader properties. */
const IGNORED = new Set(['driver', 'id']);

export interface LoaderProps {
  file?: string;
  addr: bigint;
  data: bigint;
  dataLen: number;
  dataBe: boolean;
  cpuNum: number;
  forceRaw: boolean;
}

export interface LoaderResult {
  id?: string;
  /** Guest physical address written from. */
  addr: number;
  /** Bytes that landed in RAM (the part beyond RAM's end is dropped, as in QEMU). */
  written: number;
  /** Bytes of the image or data. */
  size: number;
}

function bad(text: string, code: ErrorCode = ErrorCode.INVALID_PARAMETER): LivemigError {
  return new LivemigError(code, text);
}

/** qemu_strtou64(str, NULL, 0): decimal, 0x hex or 0 octal. */
function parseU64(name: string, s: string): bigint {
  const t = s.trim();
  let v: bigint | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = BigInt(t);
  else if (/^0[0-7]*$/.test(t)) v = BigInt(`0o${t.slice(1) || '0'}`);
  else if (/^[1-9][0-9]*$/.test(t)) v = BigInt(t);
  if (v === undefined || v >= 1n << 64n) throw bad(`Parameter '${name}' expects integer`);
  return v;
}

function parseUint(name: string, s: string, bits: 8 | 32): number {
  const v = parseU64(name, s);
  if (v >= 1n << BigInt(bits)) throw bad(`Parameter '${name}' expects uint${bits}_t`);
  return Number(v);
}

/** qapi_bool_parse's spellings. */
function parseBool(name: string, s: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(s)) return true;
  if (['off', 'no', 'false', 'n'].includes(s)) return false;
  throw bad(`Parameter '${name}' expects 'on' or 'off'`);
}

/** Parses `-device loader,...` properties with QEMU's defaults and texts. */
export function parseLoaderProps(props: Readonly<Record<string, string>>): LoaderProps {
  const p: LoaderProps = {
    addr: 0n,
    data: 0n,
    dataLen: 0,
    dataBe: false,
    cpuNum: CPU_NONE,
    forceRaw: false,
  };
  for (const [k, v] of Object.entries(props)) {
    if (IGNORED.has(k)) continue;
    if (!(PROPS as readonly string[]).includes(k)) throw bad(`Property 'loader.${k}' not found`);
    if (k === 'file') p.file = v;
    else if (k === 'addr') p.addr = parseU64(k, v);
    else if (k === 'data') p.data = parseU64(k, v);
    else if (k === 'data-len') p.dataLen = parseUint(k, v, 8);
    else if (k === 'cpu-num') p.cpuNum = parseUint(k, v, 32);
    else if (k === 'data-be') p.dataBe = parseBool(k, v);
    else p.forceRaw = parseBool(k, v);
  }
  return p;
}

/** QEMU's realize checks, in its order. Returns whether QEMU would set a PC. */
function checkArguments(p: LoaderProps): boolean {
  if (p.data !== 0n || p.dataLen !== 0 || p.dataBe) {
    if (p.file !== undefined) {
      throw bad('Specifying a file is not supported when loading memory values');
    }
    if (p.forceRaw) throw bad('Specifying force-raw is not supported when loading memory values');
    // data=0 is a valid value, so only data-len tells whether data was meant.
    if (p.dataLen === 0) throw bad('Both data and data-len must be specified');
    if (p.dataLen > 8) throw bad('data-len cannot be greater then 8 bytes');
    return false;
  }
  if (p.file !== undefined || p.forceRaw) return p.cpuNum !== CPU_NONE;
  if (p.addr !== 0n) {
    if (p.cpuNum === CPU_NONE) {
      throw bad('cpu_num must be specified when setting a program counter');
    }
    return true;
  }
  throw bad('please include valid arguments');
}

/** How many CPUs the machine has: NoneMachine says 0, TestVm has vCPU workers. */
function cpuCountOf(m: Machine): number {
  const o = m as unknown as { cpuCount?: unknown; vcpus?: { smp?: unknown } };
  if (typeof o.cpuCount === 'number') return o.cpuCount;
  return typeof o.vcpus?.smp === 'number' ? o.vcpus.smp : 0;
}

/** Writes `bytes` at guest physical `addr`, dropping what lies beyond RAM, marking pages dirty. */
function writeGuest(m: Machine, addr: bigint, bytes: Uint8Array): number {
  const ram = m.ram[0]!;
  const end = BigInt(ram.usedLength);
  if (addr >= end || bytes.length === 0) return 0;
  const a = Number(addr);
  const n = Math.min(bytes.length, ram.usedLength - a);
  ram.write(a, bytes.subarray(0, n));
  // Mark after the write (markDirty's rule) so a racing sync cannot miss it.
  for (let page = Math.floor(a / PAGE_SIZE); page * PAGE_SIZE < a + n; page++) {
    m.dirtyLog.mark(page);
  }
  return n;
}

/** The image formats QEMU tries before raw; livemig loads raw images only. */
function detectFormat(head: Uint8Array): string | undefined {
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'ELF';
  if (head[0] === 0x27 && head[1] === 0x05 && head[2] === 0x19 && head[3] === 0x56) {
    return 'U-Boot';
  }
  if (head[0] === 0x3a) return 'Intel HEX';
  return undefined;
}

async function loadImage(
  m: Machine,
  p: LoaderProps,
  file: string,
): Promise<{ written: number; size: number }> {
  const cannot = (cause?: unknown): LivemigError =>
    new LivemigError(ErrorCode.IO, `Cannot load specified image ${file}`, { cause });
  let bytes: Uint8Array;
  try {
    // get_image_size fails for a missing file; max_sz is the machine's RAM size.
    const st = await stat(file);
    if (!st.isFile() || st.size > m.ram[0]!.usedLength) throw cannot();
    bytes = await readFile(file);
  } catch (e) {
    throw e instanceof LivemigError ? e : cannot(e);
  }
  const format = p.forceRaw ? undefined : detectFormat(bytes);
  if (format !== undefined) {
    throw bad(
      `loader: ${format} image ${file} is not supported by livemig (use force-raw=on)`,
      ErrorCode.UNSUPPORTED,
    );
  }
  return { written: writeGuest(m, p.addr, bytes), size: bytes.length };
}

/** data/data-len: QEMU converts the u64 to guest (LE) or big endian and writes its first N bytes. */
function dataBytes(p: LoaderProps): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, p.data, !p.dataBe);
  return b.subarray(0, p.dataLen);
}

/**
 * Applies one `-device loader` to `machine` at start-up, as QEMU's realize plus
 * its reset-time write. Error texts are QEMU's, without the command-line prefix
 * QEMU adds; `id` (the qdev id) only labels the result.
 */
export async function applyLoaderDevice(
  machine: Machine,
  props: Readonly<Record<string, string>>,
  id?: string,
): Promise<LoaderResult> {
  const p = parseLoaderProps(props);
  const setPc = checkArguments(p);
  const cpus = cpuCountOf(machine);
  if (p.cpuNum !== CPU_NONE && p.cpuNum >= cpus) {
    throw bad(`Specified boot CPU#${p.cpuNum} is nonexistent`);
  }
  if (setPc) {
    throw bad('loader: setting a program counter is not supported', ErrorCode.UNSUPPORTED);
  }
  const base = { id, addr: Number(p.addr) };
  if (p.dataLen > 0) {
    // QEMU 8.1 writes through the first CPU's address space and dereferences
    // a NULL CPU on a machine without one (-M none), so refuse instead.
    if (cpus === 0) throw bad('loader: data= needs a machine with a CPU', ErrorCode.UNSUPPORTED);
    const bytes = dataBytes(p);
    return { ...base, written: writeGuest(machine, p.addr, bytes), size: bytes.length };
  }
  // force-raw alone passes QEMU's checks and loads nothing.
  if (p.file === undefined) return { ...base, written: 0, size: 0 };
  return { ...base, ...(await loadImage(machine, p, p.file)) };
}
