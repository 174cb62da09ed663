/**
 * QMP pmemsave / memsave over a RAM block mapped at guest physical address 0.
 * Texts follow QEMU 8.1 (softmmu/cpus.c qmp_pmemsave, qmp_memsave). The test VM
 * has no MMU, so a virtual address is the physical one.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, LivemigError } from '../errors.js';
import type { RamBlock } from './ram-block.js';

/** QEMU copies through a 1 KiB buffer; memsave fails at the first chunk it cannot map. */
const QEMU_CHUNK = 1024;
const COPY_CHUNK = 1 << 20;

const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EEXIST: 'File exists',
};

/**
 * The path QEMU opens: its JSON parser stores U+0000 as modified UTF-8
 * (0xC0 0x80), so a "\u0000" in a QMP filename names a file rather than
 * ending the C string early.
 */
function qemuPath(filename: string): string | Buffer {
  if (!filename.includes('\0')) return filename;
  const utf8 = Buffer.from(filename, 'utf8');
  const out: number[] = [];
  for (const b of utf8) {
    if (b === 0) out.push(0xc0, 0x80);
    else out.push(b);
  }
  return Buffer.from(out);
}

async function openForSave(filename: string): Promise<FileHandle> {
  try {
    return await open(qemuPath(filename), 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    // error_setg_file_open: "Could not open '%s': %s" with strerror(errno).
    const reason = STRERROR[code] ?? (e as Error).message;
    throw new LivemigError(ErrorCode.IO, `Could not open '${filename}': ${reason}`, { cause: e });
  }
}

function ioError(e: unknown): LivemigError {
  return new LivemigError(ErrorCode.IO, 'An IO error has occurred', { cause: e });
}

function invalidRange(addr: number, size: number): LivemigError {
  const hex = BigInt.asUintN(64, BigInt(addr)).toString(16).padStart(16, '0');
  return new LivemigError(
    ErrorCode.INVALID_PARAMETER,
    `Invalid addr 0x${hex}/size ${size} specified`,
  );
}

/**
 * Writes guest bytes [addr, addr+len) to `fh`, zeros beyond the end of RAM.
 * Stops between chunks once `signal` is aborted (the process is quitting).
 */
async function copyOut(
  fh: FileHandle,
  ram: RamBlock,
  addr: number,
  len: number,
  signal?: AbortSignal,
): Promise<void> {
  const buf = new Uint8Array(Math.min(COPY_CHUNK, Math.max(len, 1)));
  for (let done = 0; done < len;) {
    if (signal?.aborted) throw ioError(signal.reason);
    const n = Math.min(buf.length, len - done);
    const a = addr + done;
    const inRam = Math.max(0, Math.min(n, ram.usedLength - a));
    // Copy out first: the guest keeps writing, and a non-shared buffer is what fs wants.
    if (inRam > 0) ram.read(a, inRam, buf);
    // Beyond RAM nothing is mapped; QEMU's unassigned-memory read yields zeros.
    buf.fill(0, inRam, n);
    try {
      await fh.write(buf, 0, n);
    } catch (e) {
      throw ioError(e);
    }
    done += n;
  }
}

function checkArgs(addr: number, size: number): void {
  if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(size) || addr < 0 || size < 0) {
    // QEMU takes int64s and misbehaves on negative ones; refuse them with memsave's text.
    throw invalidRange(addr, size);
  }
}

/** pmemsave: physical memory to a file; unmapped addresses read as zeros, like QEMU's. */
export async function pmemsave(
  ram: RamBlock,
  addr: number,
  size: number,
  filename: string,
  signal?: AbortSignal,
): Promise<void> {
  checkArgs(addr, size);
  // Not even opened (which truncates the file) once the process is quitting.
  if (signal?.aborted) throw ioError(signal.reason);
  const fh = await openForSave(filename);
  try {
    await copyOut(fh, ram, addr, size, signal);
  } finally {
    await fh.close();
  }
}

/**
 * memsave: virtual memory of CPU `cpuIndex` to a file. An address with no mapping
 * fails with QEMU's text after the mapped 1 KiB chunks before it were written,
 * as QEMU's loop does.
 */
export async function memsave(
  ram: RamBlock,
  cpuCount: number,
  addr: number,
  size: number,
  filename: string,
  cpuIndex = 0,
  signal?: AbortSignal,
): Promise<void> {
  if (!Number.isInteger(cpuIndex) || cpuIndex < 0 || cpuIndex >= cpuCount) {
    throw new LivemigError(
      ErrorCode.INVALID_PARAMETER,
      "Parameter 'cpu-index' expects a CPU number",
    );
  }
  checkArgs(addr, size);
  // Not even opened (which truncates the file) once the process is quitting.
  if (signal?.aborted) throw ioError(signal.reason);
  const fh = await openForSave(filename);
  try {
    const end = addr + size;
    if (end <= ram.usedLength) {
      await copyOut(fh, ram, addr, size, signal);
      return;
    }
    const good = Math.max(0, Math.floor((ram.usedLength - addr) / QEMU_CHUNK) * QEMU_CHUNK);
    await copyOut(fh, ram, addr, good, signal);
    throw invalidRange(addr, size);
  } finally {
    await fh.close();
  }
}
