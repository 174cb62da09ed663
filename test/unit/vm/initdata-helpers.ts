/** Drives initdata devices directly (no engine): payloads in, payloads out. */
import { ByteReader, NeedMoreData } from '../../../src/protocol/bytes.js';
import type { SectionKind } from '../../../src/protocol/sections.js';
import { StreamWriter } from '../../../src/protocol/stream-writer.js';
import type { LoadContext } from '../../../src/migration/savevm/entries.js';
import {
  type InitDataDevice,
  createInitDataEntry,
} from '../../../src/vm/devices/initdata/index.js';
import {
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT,
  VFIO_MIG_FLAG_END_OF_STATE,
} from '../../../src/vm/devices/initdata/format.js';

export interface Payload {
  kind: SectionKind;
  bytes: Uint8Array;
}

export class FakeClock {
  ms = 0;
  readonly now = (): number => this.ms;
}

export function makeDevice(
  role: 'source' | 'destination',
  size: number,
  extra: { dirtyRate?: number; clock?: FakeClock; id?: string } = {},
): InitDataDevice {
  return createInitDataEntry({
    id: extra.id ?? 'nic0',
    size,
    role,
    sectionId: 3,
    instanceId: 0,
    dirtyRate: extra.dirtyRate ?? 0,
    clock: (extra.clock ?? new FakeClock()).now,
  }).device;
}

export interface TestLoadCtx extends LoadContext {
  /** What the device asked the stream to wait for. */
  holds: Promise<void>[];
  approvals: number;
  failures: Error[];
  /** preparedBytes of the device at each approval. */
  preparedAtApproval: number[];
}

export function loadCtx(switchoverAck: boolean, dev?: InitDataDevice): TestLoadCtx {
  const c: TestLoadCtx = {
    switchoverAck,
    holds: [],
    approvals: 0,
    failures: [],
    preparedAtApproval: [],
    approveSwitchover() {
      c.approvals++;
      c.preparedAtApproval.push(dev?.preparedBytes ?? -1);
    },
    fail(e: Error) {
      c.failures.push(e);
    },
    holdInput(ready: Promise<void>) {
      c.holds.push(ready);
    },
  };
  return c;
}

/** The terminating marker of a PART/END payload. */
export function lastMarker(p: Payload): bigint {
  return new DataView(p.bytes.buffer, p.bytes.byteOffset).getBigUint64(p.bytes.byteLength - 8);
}

export const isInitDataSent = (p: Payload): boolean =>
  p.kind === 'part' && lastMarker(p) === VFIO_MIG_FLAG_DEV_INIT_DATA_SENT;
export const EOS = VFIO_MIG_FLAG_END_OF_STATE;

/**
 * Runs a whole source side: START, PARTs until the initial data is sent and
 * nothing is pending (plus `extraRounds`), END. `tick` advances the clock
 * before each PART.
 */
export function runSource(
  src: InitDataDevice,
  o: { ack: boolean; budget: number; extraRounds?: number; tick?: () => void; maxRounds?: number },
): Payload[] {
  const ctx = { switchoverAck: o.ack };
  const w = new StreamWriter(4096);
  src.saveSetup(w, ctx);
  const out: Payload[] = [{ kind: 'start', bytes: w.takeBytes() }];
  let extra = o.extraRounds ?? 0;
  for (let i = 0; i < (o.maxRounds ?? 10_000); i++) {
    o.tick?.();
    const idle = src.saveIterate(w, ctx, o.budget);
    out.push({ kind: 'part', bytes: w.takeBytes() });
    if (idle && (src.initialDataSent || !o.ack) && extra-- <= 0) break;
  }
  src.saveComplete(w, ctx);
  out.push({ kind: 'end', bytes: w.takeBytes() });
  return out;
}

export function feed(dst: InitDataDevice, payloads: readonly Payload[], ctx: LoadContext): void {
  for (const p of payloads) dst.loadState(new ByteReader(p.bytes), 1, p.kind, ctx);
}

/** Feeds a payload one byte more at a time, retrying on NeedMoreData; returns the retries. */
export function feedByteByByte(dst: InitDataDevice, p: Payload, ctx: LoadContext): number {
  for (let end = 0; end <= p.bytes.byteLength; end++) {
    try {
      dst.loadState(new ByteReader(p.bytes, 0, end), 1, p.kind, ctx);
      if (end !== p.bytes.byteLength) throw new Error(`payload accepted at ${end} bytes`);
      return end;
    } catch (e) {
      if (!(e instanceof NeedMoreData)) throw e;
    }
  }
  throw new Error('payload never accepted');
}
