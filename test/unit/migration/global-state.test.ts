import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import {
  decodeVMState,
  encodeVMState,
  globalStateValue,
  globalStateVMState,
} from '../../../src/protocol/vmstate/index.js';
import {
  GlobalStateRecord,
  checkReceivedRunstate,
  globalStateEntry,
  globalStateNeeded,
  runstateAfterIncoming,
} from '../../../src/migration/global-state.js';

const fixture = new Uint8Array(
  readFileSync(new URL('../../../../test/fixtures/qemu-7.2-none-64M.mig', import.meta.url)),
);

/** A globalstate payload with `bytes` as its runstate buffer. */
function raw(bytes: Uint8Array): Uint8Array {
  const buf = new Uint8Array(100);
  buf.set(bytes.subarray(0, 100));
  const w = new ByteWriter();
  encodeVMState(w, globalStateVMState, { size: 0, runstate: buf });
  return w.finish();
}

function decode(payload: Uint8Array): Record<string, unknown> {
  return decodeVMState(new ByteReader(payload), globalStateVMState, 1, { wholePayload: true });
}

describe('globalstate entry', () => {
  it('is idstr "globalstate", instance 0, v1, VMState only, with the given section id', () => {
    const e = globalStateEntry({ sectionId: 4, runstate: () => 'running' });
    assert.deepEqual(
      [e.idstr, e.instanceId, e.versionId, e.sectionId, e.live, e.vmstate?.vmsd.name],
      ['globalstate', 0, 1, 4, undefined, 'globalstate'],
    );
  });

  it('saves the run state given at save time; "prelaunch" matches QEMU\'s bytes', () => {
    let state = 'running';
    const e = globalStateEntry({ sectionId: 4, runstate: () => state });
    const enc = (): Uint8Array => {
      const w = new ByteWriter();
      encodeVMState(w, globalStateVMState, e.vmstate!.save());
      return w.finish();
    };
    const running = enc();
    assert.equal(running.length, 104);
    assert.deepEqual([...running.subarray(0, 4)], [0, 0, 0, 8]); // strlen + NUL
    state = 'prelaunch';
    const rec = decodeStream(fixture).find(
      (r) => r.kind === 'device-bytes' && r.section.idstr === 'globalstate',
    );
    assert.ok(rec?.kind === 'device-bytes');
    assert.deepEqual(enc(), rec.data);
  });

  it('records what the destination received: running, paused, prelaunch', () => {
    for (const s of ['running', 'paused', 'prelaunch']) {
      const record = new GlobalStateRecord();
      const e = globalStateEntry({ sectionId: 4, runstate: () => 'x', record });
      assert.equal(record.received, undefined);
      e.vmstate!.load(decode(raw(new TextEncoder().encode(s))));
      assert.equal(record.received, s);
      record.reset();
      assert.equal(record.received, undefined);
    }
  });

  it('loads the fixture\'s section as "prelaunch"', () => {
    const rec = decodeStream(fixture).find(
      (r) => r.kind === 'device-bytes' && r.section.idstr === 'globalstate',
    );
    assert.ok(rec?.kind === 'device-bytes');
    const record = new GlobalStateRecord();
    record.load(decode(rec.data));
    assert.equal(record.received, 'prelaunch');
  });

  it("rejects garbage with qapi_enum_parse's text, and records nothing", () => {
    const record = new GlobalStateRecord();
    assert.throws(() => record.load(decode(raw(new TextEncoder().encode('garbage')))), {
      code: ErrorCode.PROTOCOL_VMSTATE,
      message: 'invalid parameter value: garbage',
    });
    assert.throws(() => record.load(decode(raw(new Uint8Array(0)))), {
      message: 'invalid parameter value: ',
    });
    // No NUL in 100 bytes: QEMU forces byte 99 to NUL, so the name is 99 chars.
    assert.throws(() => checkReceivedRunstate(decode(raw(new Uint8Array(100).fill(0x61)))), {
      message: `invalid parameter value: ${'a'.repeat(99)}`,
    });
    assert.equal(record.received, undefined);
  });

  it('accepts every QEMU run state but refuses the ones livemig does not model', () => {
    assert.equal(checkReceivedRunstate(globalStateValue('suspended')), 'suspended');
    assert.throws(() => new GlobalStateRecord().load(globalStateValue('suspended')), {
      code: ErrorCode.UNSUPPORTED,
    });
  });

  it('needed: always with store-global-state, else only for states other than running/paused', () => {
    assert.equal(globalStateNeeded(true, 'running'), true);
    assert.equal(globalStateNeeded(false, 'running'), false);
    assert.equal(globalStateNeeded(false, 'paused'), false);
    assert.equal(globalStateNeeded(false, 'prelaunch'), true);
  });
});

describe('runstateAfterIncoming (QEMU 8.1 process_incoming_migration_bh)', () => {
  it('running or nothing received: start with autostart, else paused', () => {
    for (const received of ['running', undefined]) {
      assert.equal(runstateAfterIncoming({ received, autostart: true }), 'start');
      assert.equal(runstateAfterIncoming({ received, autostart: false }), 'paused');
    }
  });

  it('any other state is taken as is, whatever autostart says', () => {
    for (const autostart of [true, false]) {
      assert.equal(runstateAfterIncoming({ received: 'paused', autostart }), 'paused');
      assert.equal(runstateAfterIncoming({ received: 'prelaunch', autostart }), 'prelaunch');
      assert.equal(runstateAfterIncoming({ received: 'postmigrate', autostart }), 'postmigrate');
    }
  });

  it('a state livemig cannot enter is refused', () => {
    assert.throws(() => runstateAfterIncoming({ received: 'garbage', autostart: true }), {
      code: ErrorCode.UNSUPPORTED,
    });
  });
});
