import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';
import { ByteReader } from '../../../src/protocol/bytes.js';
import type { SectionKind } from '../../../src/protocol/sections.js';
import { ByteWriter } from '../../../src/protocol/bytes.js';
import {
  VFIO_MIG_FLAG_DEV_CONFIG_STATE as CONFIG,
  VFIO_MIG_FLAG_DEV_DATA_STATE as DATA,
  VFIO_MIG_FLAG_DEV_INIT_DATA_SENT as INIT_SENT,
  VFIO_MIG_FLAG_DEV_SETUP_STATE as SETUP,
  VFIO_MIG_FLAG_END_OF_STATE as EOS,
  checksum,
} from '../../../src/vm/devices/initdata/format.js';
import { loadCtx, makeDevice } from './initdata-helpers.js';

const SIZE = 64 * 1024;

interface Ext {
  offset: number;
  length: number;
  sum?: number;
  data?: Uint8Array;
}

/** A DATA_STATE blob with the given extents (data defaults to a filled block run). */
function blob(w: ByteWriter, exts: Ext[], sizeOverride?: number): void {
  const body = new ByteWriter();
  for (const e of exts) {
    const data = e.data ?? new Uint8Array(e.length).fill(7);
    body
      .u64(e.offset)
      .u32(e.length)
      .u32(e.sum ?? checksum(data))
      .bytes(data);
  }
  const b = body.finish();
  w.u64(DATA)
    .u64(sizeOverride ?? b.byteLength)
    .bytes(b);
}

function payload(build: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  build(w);
  return w.finish();
}

function rejects(
  bytes: Uint8Array,
  kind: SectionKind,
  re: RegExp,
  o: { ack?: boolean; code?: string } = {},
): void {
  const dst = makeDevice('destination', SIZE);
  const ctx = loadCtx(o.ack ?? true, dst);
  assert.throws(
    () => dst.loadState(new ByteReader(bytes), 1, kind, ctx),
    (e: unknown) =>
      e instanceof ProtocolError &&
      e.code === (o.code ?? ErrorCode.PROTOCOL_SECTION) &&
      re.test(e.message) &&
      e.name !== 'NeedMoreData',
  );
  assert.equal(ctx.approvals, 0);
  dst.loadCleanup();
}

describe('initdata device: malformed payloads and errors', () => {
  it('marker errors (QEMU vfio_load_state wording)', () => {
    rejects(
      payload((w) => w.u64(0x1234n)),
      'part',
      /^nic0: Unknown tag 0x1234$/,
    );
    rejects(
      payload((w) => w.u64(CONFIG).u64(EOS)),
      'part',
      /Unknown tag 0xffffffffef100002/,
    );
    rejects(
      payload((w) => w.u64(SETUP).u64(SETUP)),
      'start',
      /SETUP STATE: EOS not found/,
    );
    rejects(
      payload((w) => w.u64(EOS)),
      'start',
      /expected SETUP_STATE/,
    );
    rejects(
      payload((w) => w.u64(SETUP).u64(EOS)),
      'full',
      /no FULL section/,
    );
    rejects(
      payload((w) => w.u64(INIT_SENT)),
      'end',
      /INIT_DATA_SENT in an END section/,
    );
  });

  it('INIT_DATA_SENT with the destination capability off fails the load', () => {
    rejects(
      payload((w) => w.u64(INIT_SENT)),
      'part',
      /^nic0: Received INIT_DATA_SENT but switchover ack is not used$/,
      { ack: false },
    );
  });

  it('a second INIT_DATA_SENT is a duplicate approval', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    const p = payload((w) => w.u64(INIT_SENT));
    dst.loadState(new ByteReader(p), 1, 'part', ctx);
    assert.equal(ctx.approvals, 1);
    assert.throws(
      () => dst.loadState(new ByteReader(p), 1, 'part', ctx),
      /approve_switchover failed/,
    );
    assert.equal(ctx.approvals, 1);
  });

  it('data size and extent checks', () => {
    const big = payload((w) => w.u64(DATA).u64((1 << 20) + 1));
    rejects(big, 'part', /above the limit/, { code: ErrorCode.PROTOCOL_LIMIT });
    const out = (e: Ext[]): Uint8Array => payload((w) => (blob(w, e), w.u64(EOS)));
    rejects(out([{ offset: SIZE, length: 4096 }]), 'part', /outside the state/);
    rejects(out([{ offset: SIZE - 4096, length: 8192 }]), 'part', /outside the state/);
    rejects(out([{ offset: 100, length: 4096 }]), 'part', /multiple of 4096/);
    rejects(out([{ offset: 0, length: 0 }]), 'part', /multiple of 4096/);
    rejects(out([{ offset: 0, length: 4000 }]), 'part', /multiple of 4096/);
    // A blob whose size leaves a partial extent header, or cuts the extent's data.
    const data = new Uint8Array(4096);
    const short = payload((w) => blob(w, [{ offset: 0, length: 4096, data }], 4096 + 16 - 1));
    rejects(short, 'part', /runs past the end/);
    const stub = payload((w) => w.u64(DATA).u64(8).u64(0).u64(EOS));
    rejects(stub, 'part', /extent header truncated/);
    // END sections get the same checks.
    rejects(out([{ offset: 2 ** 40, length: 4096 }]), 'end', /outside the state/);
  });

  it('a rejected payload changes nothing; a truncated one asks for more data', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    const good = payload((w) => (blob(w, [{ offset: 0, length: 4096 }]), w.u64(EOS)));
    assert.throws(
      () => dst.loadState(new ByteReader(good, 0, good.length - 1), 1, 'part', ctx),
      (e: Error) => e.name === 'NeedMoreData',
    );
    const bad = payload((w) => (blob(w, [{ offset: 0, length: 4096 }]), w.u64(0x99n)));
    assert.throws(() => dst.loadState(new ByteReader(bad), 1, 'part', ctx), /Unknown tag 0x99/);
    await dst.loadComplete();
    assert.equal(dst.preparedBytes, 0);
    dst.loadState(new ByteReader(good), 1, 'part', ctx);
    await dst.loadComplete();
    assert.equal(dst.preparedBytes, 4096);
    dst.loadCleanup();
  });

  it('a checksum mismatch found by the worker reaches ctx.fail and loadComplete', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    const bytes = payload(
      (w) => (blob(w, [{ offset: 8192, length: 4096, sum: 0xdead }]), w.u64(INIT_SENT)),
    );
    dst.loadState(new ByteReader(bytes), 1, 'part', ctx);
    await assert.rejects(dst.loadComplete(), /checksum mismatch in extent at offset 0x2000/);
    assert.equal(ctx.failures.length, 1);
    assert.equal((ctx.failures[0] as ProtocolError).code, ErrorCode.PROTOCOL_SECTION);
    assert.equal(ctx.approvals, 0, 'no approval after a failed preparation');
    dst.loadCleanup();
  });

  it('an approveSwitchover failure is reported through ctx.fail', async () => {
    const dst = makeDevice('destination', SIZE);
    const ctx = loadCtx(true, dst);
    ctx.approveSwitchover = () => {
      throw new Error('no return path');
    };
    const bytes = payload((w) => (blob(w, [{ offset: 0, length: 4096 }]), w.u64(INIT_SENT)));
    dst.loadState(new ByteReader(bytes), 1, 'part', ctx);
    await assert.rejects(dst.loadComplete(), /no return path/);
    assert.match(ctx.failures[0]!.message, /no return path/);
    dst.loadCleanup();
  });
});
