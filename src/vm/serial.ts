/**
 * The test VM's serial port: bytes from vCPUs (via a SerialRing) to a chardev
 * backend, `file:PATH` (append, like QEMU's `-serial file:`), `stdio` or `none`.
 * Its device state is the number of characters written, so a migrated guest's
 * count continues on the destination.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ErrorCode, LivemigError } from '../errors.js';
import { defineVMState, field } from '../protocol/vmstate/index.js';
import type { VMStateDescription, VMStateValue } from '../protocol/vmstate/index.js';
import { SerialRing, createSerialRing } from './serial-ring.js';

export type SerialBackendSpec = 'none' | 'stdio' | `file:${string}`;

/**
 * Named "testvm-serial", not QEMU's "serial": QEMU's 16550A description has a
 * register layout this device does not have, and a QEMU peer should reject the
 * section by name rather than misread it.
 */
export const serialVMState: VMStateDescription = defineVMState({
  name: 'testvm-serial',
  versionId: 1,
  minimumVersionId: 1,
  fields: [field.uint64('chars_written')],
});

interface Backend {
  write(bytes: Uint8Array): void;
  close(): void;
}

function openBackend(spec: string): Backend {
  if (spec === 'none') return { write: () => {}, close: () => {} };
  if (spec === 'stdio') return { write: (b) => void process.stdout.write(b), close: () => {} };
  if (spec.startsWith('file:') && spec.length > 5) {
    const path = spec.slice(5);
    let fd: number;
    try {
      fd = openSync(path, 'a');
    } catch (e) {
      throw new LivemigError(ErrorCode.IO, `Could not open '${path}': ${(e as Error).message}`, {
        cause: e,
      });
    }
    return {
      write: (b) => {
        for (let off = 0; off < b.length;) off += writeSync(fd, b, off);
      },
      close: () => closeSync(fd),
    };
  }
  throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Unsupported serial backend '${spec}'`);
}

/** How often queued guest bytes reach the backend while nothing else drains them. */
const DRAIN_INTERVAL_MS = 10;

export class SerialDevice {
  readonly ring: SerialRing;
  #chars = 0n;
  #backend: Backend;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(spec: SerialBackendSpec | string = 'none') {
    this.#backend = openBackend(spec);
    this.ring = new SerialRing(createSerialRing());
    this.#timer = setInterval(() => this.flush(), DRAIN_INTERVAL_MS);
    // The VM's workers keep the process alive; the serial poller must not.
    this.#timer.unref();
  }

  /** Moves queued guest bytes to the backend; returns them (tests, logs). */
  flush(): Uint8Array {
    const bytes = this.ring.drain();
    if (bytes.length > 0) {
      this.#chars += BigInt(bytes.length);
      this.#backend.write(bytes);
    }
    return bytes;
  }

  /** Characters the guest has written to the port so far. */
  get charsWritten(): bigint {
    this.flush();
    return this.#chars;
  }

  saveState(): VMStateValue {
    this.flush();
    return { chars_written: this.#chars };
  }

  loadState(v: VMStateValue): void {
    const n = v.chars_written;
    if (typeof n !== 'bigint') {
      throw new LivemigError(ErrorCode.INVALID_PARAMETER, 'testvm-serial: chars_written missing');
    }
    this.flush();
    this.#chars = n;
  }

  close(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
    this.#backend.close();
  }
}
