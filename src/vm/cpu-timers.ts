/**
 * QEMU's TimersState as far as migration sees it (softmmu/cpu-timers.c,
 * VMState "timer" v2): cpu_ticks_offset and cpu_clock_offset.
 *
 * The two offsets flip meaning with the run state, exactly as in QEMU:
 * while the guest clock is stopped they hold the ticks / nanoseconds the guest
 * has run so far; cpu_enable_ticks subtracts "now" from them when the VM
 * starts and cpu_disable_ticks adds it back when it stops. QEMU saves the raw
 * fields with no pre_save, which is only meaningful because migration saves
 * after the VM has stopped; so does this. A guest that never ran sends 0, 0
 * (test/fixtures/qemu-7.2-none-*.mig).
 *
 * Host ticks are QEMU's cpu_get_host_ticks (the TSC on x86); this uses the
 * monotonic nanosecond clock for both, i.e. a 1 GHz "TSC".
 */
import type { VMStateValue } from '../protocol/vmstate/index.js';

export type HostClock = () => bigint;

export const monotonicNs: HostClock = () => process.hrtime.bigint();

export class CpuTimers {
  #ticksOffset = 0n;
  #clockOffset = 0n;
  #enabled = false;
  readonly #now: HostClock;

  constructor(now: HostClock = monotonicNs) {
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** QEMU's cpu_enable_ticks (vm_start). */
  enable(): void {
    if (this.#enabled) return;
    const now = this.#now();
    this.#ticksOffset -= now;
    this.#clockOffset -= now;
    this.#enabled = true;
  }

  /** QEMU's cpu_disable_ticks (do_vm_stop). */
  disable(): void {
    if (!this.#enabled) return;
    const now = this.#now();
    this.#ticksOffset += now;
    this.#clockOffset += now;
    this.#enabled = false;
  }

  /** Guest virtual clock in ns (QEMU's cpu_get_clock). */
  clock(): bigint {
    return this.#enabled ? this.#clockOffset + this.#now() : this.#clockOffset;
  }

  /** The "timer" VMState value: the raw fields, as QEMU saves them. */
  save(): VMStateValue {
    return { cpu_ticks_offset: this.#ticksOffset, cpu_clock_offset: this.#clockOffset };
  }

  /** Loads a "timer" value; a v1 stream has no cpu_clock_offset and leaves it alone. */
  load(v: VMStateValue): void {
    if (typeof v.cpu_ticks_offset === 'bigint') this.#ticksOffset = v.cpu_ticks_offset;
    if (typeof v.cpu_clock_offset === 'bigint') this.#clockOffset = v.cpu_clock_offset;
  }
}
