import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import {
  VmdescDocument,
  decodeVMState,
  encodeVMState,
  timerVMState,
} from '../../../src/protocol/vmstate/index.js';
import type { StreamRecord } from '../../../src/protocol/records.js';
import { globalStateEntry } from '../../../src/migration/global-state.js';
import { CpuTimers } from '../../../src/vm/cpu-timers.js';
import {
  NONE_MACHINE_FULL_ORDER,
  NONE_MACHINE_SECTION_IDS,
  createNoneMachine,
} from '../../../src/vm/none-machine.js';
import type { NoneMachine, NoneMachineOptions } from '../../../src/vm/none-machine.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'livemig-none-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url)));

const records = decodeStream(fixture('qemu-7.2-none-64M.mig'));

type DeviceBytes = Extract<StreamRecord, { kind: 'device-bytes' }>;
function payload(idstr: string): DeviceBytes {
  const r = records.find(
    (x): x is DeviceBytes => x.kind === 'device-bytes' && x.section.idstr === idstr,
  );
  assert.ok(r, `fixture has no ${idstr} payload`);
  return r;
}

async function withVm(
  opts: Partial<NoneMachineOptions>,
  fn: (vm: NoneMachine, events: [string, unknown][]) => Promise<void>,
): Promise<void> {
  const events: [string, unknown][] = [];
  const vm = await createNoneMachine({
    ramSize: 64 * MiB,
    ...opts,
    onEvent: (n, d) => events.push([n, d]),
  });
  try {
    await fn(vm, events);
  } finally {
    await vm.quit();
  }
}

describe('none machine', () => {
  it('has one RAM block "ram" of the given size at address 0, no CPU, only the timer device', async () => {
    await withVm({ startPaused: true }, async (vm) => {
      assert.equal(vm.type, 'none');
      assert.equal(vm.ram.length, 1);
      assert.equal(vm.ram[0]!.idstr, 'ram');
      assert.equal(vm.ram[0]!.usedLength, 64 * MiB);
      assert.equal(vm.dirtyLog.pageCount, (64 * MiB) / 4096);
      assert.equal(vm.cpuCount, 0);
      const devs = vm.devices();
      assert.deepEqual(
        devs.map((d) => [d.idstr, d.instanceId, d.vmsd.name, d.vmsd.versionId]),
        [['timer', 0, 'timer', 2]],
      );
    });
  });

  it('refuses a machine without RAM', async () => {
    await assert.rejects(createNoneMachine({ ramSize: 0 }), { code: ErrorCode.INVALID_PARAMETER });
  });

  it('starts running without -S, prelaunch with -S, inmigrate with -incoming', async () => {
    await withVm({}, async (vm, events) => {
      assert.deepEqual(vm.status(), { running: true, singlestep: false, status: 'running' });
      assert.deepEqual(events, [['RESUME', undefined]]);
    });
    await withVm({ startPaused: true }, async (vm, events) => {
      assert.deepEqual(vm.status(), { running: false, singlestep: false, status: 'prelaunch' });
      assert.equal(vm.autostart, false);
      assert.deepEqual(events, []);
    });
    await withVm({ incoming: true }, async (vm) => {
      assert.equal(vm.status().status, 'inmigrate');
      assert.equal(vm.autostart, true);
      await vm.stop(); // clears autostart, stays inmigrate
      assert.equal(vm.autostart, false);
      await vm.cont();
      assert.equal(vm.autostart, true);
      assert.equal(vm.status().status, 'inmigrate');
    });
  });

  it('stop / cont / vmStop / quit follow QEMU and drive the guest clock', async () => {
    let now = 1_000n;
    const clock = (): bigint => now;
    await withVm({ startPaused: true, clock }, async (vm, events) => {
      assert.deepEqual(vm.timers.save(), { cpu_ticks_offset: 0n, cpu_clock_offset: 0n });
      await vm.cont();
      assert.equal(vm.status().status, 'running');
      now += 500n;
      assert.equal(vm.timers.clock(), 500n);
      await vm.stop();
      assert.equal(vm.status().status, 'paused');
      // Stopped: the offsets hold the time the guest ran.
      assert.deepEqual(vm.timers.save(), { cpu_ticks_offset: 500n, cpu_clock_offset: 500n });
      now += 10_000n;
      await vm.stop(); // no-op when not running
      assert.equal(vm.timers.clock(), 500n);
      await vm.cont();
      await vm.vmStop('finish-migrate');
      await assert.rejects(vm.cont(), { message: 'Migration is not finalized yet' });
      await vm.vmStop('postmigrate');
      assert.deepEqual(
        events.map(([n]) => n),
        ['RESUME', 'STOP', 'RESUME', 'STOP'],
      );
      await vm.quit();
      await vm.quit();
      assert.deepEqual(events.at(-1), ['SHUTDOWN', { guest: false, reason: 'host-qmp-quit' }]);
      await assert.rejects(vm.start(), { code: ErrorCode.BAD_STATE });
    });
  });

  it('a running machine that quits ends in shutdown; cont then needs a reset', async () => {
    await withVm({}, async (vm) => {
      await vm.quit('host-signal');
      assert.equal(vm.status().status, 'shutdown');
      await assert.rejects(vm.cont(), { message: 'Resetting the Virtual Machine is required' });
    });
  });

  it('pmemsave reads RAM at physical 0 and zeros beyond; memsave has no CPU', async () => {
    await withVm({ startPaused: true, ramSize: 1 * MiB }, async (vm) => {
      vm.ram[0]!.write(0xff000, new Uint8Array([1, 2, 3, 4]));
      const f = join(dir, 'pmem.bin');
      await vm.pmemsave(0xff000, 8192, f);
      const got = readFileSync(f);
      assert.equal(got.length, 8192);
      assert.deepEqual([...got.subarray(0, 5)], [1, 2, 3, 4, 0]);
      assert.ok(got.subarray(4096).every((b) => b === 0));
      await assert.rejects(vm.memsave(0, 16, join(dir, 'mem.bin')), {
        code: ErrorCode.INVALID_PARAMETER,
        message: "Parameter 'cpu-index' expects a CPU number",
      });
    });
  });

  it('pmemsave to a name with U+0000 writes the file QEMU writes (0xC0 0x80 in its place)', async () => {
    await withVm({ startPaused: true, ramSize: 1 * MiB }, async (vm) => {
      await vm.pmemsave(0, 16, join(dir, 'nul\u0000.bin'));
      const name = Buffer.concat([
        Buffer.from('nul'),
        Buffer.from([0xc0, 0x80]),
        Buffer.from('.bin'),
      ]);
      const files = readdirSync(dir, { encoding: 'buffer' });
      assert.ok(
        files.some((f) => f.equals(name)),
        files.map((f) => f.toString('hex')).join(' '),
      );
    });
  });

  it('a pmemsave that arrives after quit fails without touching the file', async () => {
    await withVm({ startPaused: true, ramSize: 1 * MiB }, async (vm) => {
      const f = join(dir, 'kept.bin');
      writeFileSync(f, 'keep me');
      await vm.quit();
      await assert.rejects(vm.pmemsave(0, 16, f), { code: ErrorCode.IO });
      assert.equal(readFileSync(f, 'utf8'), 'keep me');
    });
  });

  it('timer loads a v2 value and keeps cpu_clock_offset for a v1 one', () => {
    const t = new CpuTimers(() => 0n);
    t.load({ cpu_ticks_offset: 7n, cpu_clock_offset: 9n });
    assert.deepEqual(t.save(), { cpu_ticks_offset: 7n, cpu_clock_offset: 9n });
    t.load({ cpu_ticks_offset: 3n });
    assert.deepEqual(t.save(), { cpu_ticks_offset: 3n, cpu_clock_offset: 9n });
  });
});

describe('none machine: wire identity with QEMU 7.2 (qemu-7.2-none-64M.mig)', () => {
  it('section ids and FULL order match the fixture', () => {
    const sections = records.filter(
      (r): r is Extract<StreamRecord, { kind: 'section' }> => r.kind === 'section',
    );
    for (const s of sections) {
      assert.equal(
        s.sectionId,
        NONE_MACHINE_SECTION_IDS[s.idstr as keyof typeof NONE_MACHINE_SECTION_IDS],
        s.idstr,
      );
    }
    assert.deepEqual(
      sections.filter((s) => s.type === 'full').map((s) => s.idstr),
      [...NONE_MACHINE_FULL_ORDER],
    );
    assert.deepEqual(
      sections.filter((s) => s.type === 'full').map((s) => [s.instanceId, s.versionId]),
      [
        [0, 2],
        [0, 1],
      ],
    );
  });

  it('timer payload: values decoded from the fixture re-encode byte for byte', async () => {
    const fx = payload('timer');
    const value = decodeVMState(new ByteReader(fx.data), timerVMState, 2, { wholePayload: true });
    await withVm({ incoming: true }, async (vm) => {
      const dev = vm.devices()[0]!;
      dev.load(value);
      const w = new ByteWriter();
      encodeVMState(w, dev.vmsd, dev.save());
      assert.deepEqual(w.finish(), fx.data);
    });
  });

  it('timer payload layout: be64 ticks, 8 unused zero bytes, be64 clock', () => {
    const t = new CpuTimers(() => 0n);
    t.load({ cpu_ticks_offset: 0x0102030405060708n, cpu_clock_offset: -2n });
    const w = new ByteWriter();
    encodeVMState(w, timerVMState, t.save());
    assert.equal(
      Buffer.from(w.finish()).toString('hex'),
      '0102030405060708' + '0000000000000000' + 'fffffffffffffffe',
    );
  });

  it('timer payload of a never-started (-S) machine equals QEMU prelaunch bytes', async () => {
    await withVm({ startPaused: true }, async (vm) => {
      const dev = vm.devices()[0]!;
      const w = new ByteWriter();
      encodeVMState(w, dev.vmsd, dev.save());
      assert.deepEqual(w.finish(), payload('timer').data);
    });
  });

  it('globalstate payload for "prelaunch" and the vmdesc device entries equal QEMU', async () => {
    await withVm({ startPaused: true }, async (vm) => {
      const gs = globalStateEntry({
        sectionId: NONE_MACHINE_SECTION_IDS.globalstate,
        runstate: () => vm.runstate.state,
      });
      const doc = new VmdescDocument(4096);
      const devs = [...vm.devices(), gs.vmstate!];
      const got: Uint8Array[] = [];
      for (const d of devs) {
        const w = new ByteWriter();
        doc.addDevice(w, d.idstr, d.instanceId, d.vmsd, d.save());
        got.push(w.finish());
      }
      assert.deepEqual(got[0], payload('timer').data);
      assert.deepEqual(got[1], payload('globalstate').data);
      const vmdesc = records.find((r) => r.kind === 'vmdesc');
      assert.ok(vmdesc?.kind === 'vmdesc');
      assert.deepEqual(JSON.parse(doc.finish()), vmdesc.value);
      assert.equal(doc.finish(), vmdesc.json);
    });
  });
});
