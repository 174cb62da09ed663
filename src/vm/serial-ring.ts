/**
 * A tiny multi-producer, single-consumer byte ring in a SharedArrayBuffer: vCPU
 * workers put serial bytes in, the main thread drains them into the backend.
 * Chosen over postMessage so that the main thread can drain synchronously once
 * the vCPUs are parked: after stop(), every byte the guest wrote is accounted
 * for, which the serial device's state (chars written) depends on.
 */

const HEAD = 0;
const TAIL = 1;
const LOCK = 2;
const HEADER_BYTES = 16;
export const SERIAL_RING_SIZE = 1 << 16;

export function createSerialRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + SERIAL_RING_SIZE);
}

export class SerialRing {
  readonly buffer: SharedArrayBuffer;
  readonly #ctl: Int32Array;
  readonly #data: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#ctl = new Int32Array(buffer, 0, 4);
    this.#data = new Uint8Array(buffer, HEADER_BYTES, SERIAL_RING_SIZE);
  }

  /**
   * Producer side. Returns false when the ring is full (the consumer is 64 KiB
   * behind); the caller decides whether to retry. A few bytes per pass never
   * contend, so a spin lock is enough.
   */
  tryPut(byte: number): boolean {
    const c = this.#ctl;
    while (Atomics.compareExchange(c, LOCK, 0, 1) !== 0);
    const head = Atomics.load(c, HEAD);
    const ok = ((head - Atomics.load(c, TAIL)) | 0) < SERIAL_RING_SIZE;
    if (ok) {
      this.#data[head & (SERIAL_RING_SIZE - 1)] = byte;
      Atomics.store(c, HEAD, (head + 1) | 0);
    }
    Atomics.store(c, LOCK, 0);
    return ok;
  }

  /** Consumer side: everything put so far, oldest first (empty array if nothing). */
  drain(): Uint8Array {
    const c = this.#ctl;
    const head = Atomics.load(c, HEAD);
    const tail = Atomics.load(c, TAIL);
    const n = (head - tail) | 0;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#data[(tail + i) & (SERIAL_RING_SIZE - 1)]!;
    Atomics.store(c, TAIL, head);
    return out;
  }
}
