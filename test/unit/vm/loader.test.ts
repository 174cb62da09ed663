import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../../src/errors.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import { applyLoaderDevice, parseLoaderProps } from '../../../src/vm/devices/loader.js';
import type { Machine } from '../../../src/vm/machine.js';
import { createNoneMachine } from '../../../src/vm/none-machine.js';
import type { NoneMachine } from '../../../src/vm/none-machine.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'livemig-loader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixturePath = (name: string): string =>
  fileURLToPath(new URL(`../../../../test/fixtures/${name}`, import.meta.url));
const BLOB = fixturePath('loader-blob.bin');

async function withNone(fn: (vm: NoneMachine) => Promise<void>, ramSize = 64 * MiB): Promise<void> {
  const vm = await createNoneMachine({ ramSize, startPaused: true });
  try {
    await fn(vm);
  } finally {
    await vm.quit();
  }
}

/** A machine with one CPU, for the data= path (only the CPU count differs). */
function withCpu(vm: NoneMachine): Machine {
  return Object.assign(Object.create(vm) as NoneMachine, { cpuCount: 1 });
}

describe('generic loader', () => {
  it('puts loader-blob.bin at 0x100000 exactly as QEMU did (qemu-7.2-none-loader.mig)', async () => {
    await withNone(async (vm) => {
      const res = await applyLoaderDevice(vm, { file: BLOB, addr: '0x100000' }, 'ld0');
      assert.deepEqual(res, { id: 'ld0', addr: 0x100000, written: 6000, size: 6000 });
      const blob = new Uint8Array(readFileSync(BLOB));
      assert.deepEqual(vm.ram[0]!.read(0x100000, 6000), blob);
      assert.equal(vm.ram[0]!.read(0xfffff, 1)[0], 0);
      assert.equal(vm.ram[0]!.read(0x100000 + 6000, 1)[0], 0);
      // The dirty pages are the two the blob spans, as QEMU's stream has them.
      const dirty: number[] = [];
      vm.dirtyLog.sync().forEach((p) => dirty.push(p));
      assert.deepEqual(dirty, [0x100, 0x101]);
      // And guest RAM equals the RAM in QEMU's stream, page for page.
      const recs = decodeStream(
        new Uint8Array(readFileSync(fixturePath('qemu-7.2-none-loader.mig'))),
      );
      let pages = 0;
      for (const r of recs) {
        if (r.kind === 'ram-page') {
          assert.deepEqual(vm.ram[0]!.read(r.addr, 4096), r.data);
          pages++;
        } else if (r.kind === 'ram-zero') {
          assert.ok(vm.ram[0]!.page(r.addr).every((b) => b === 0));
        }
      }
      assert.equal(pages, 2);
    });
  });

  it('accepts force-raw and decimal / octal addresses (qemu_strtou64 base 0)', async () => {
    await withNone(async (vm) => {
      await applyLoaderDevice(vm, { file: BLOB, addr: '8192', 'force-raw': 'on' });
      assert.equal(vm.ram[0]!.read(8192, 1)[0], 11);
      assert.equal(parseLoaderProps({ addr: '010' }).addr, 8n);
      assert.equal(parseLoaderProps({ addr: '0' }).addr, 0n);
    });
  });

  it('drops the part of an image beyond the end of RAM, as address_space_write_rom does', async () => {
    await withNone(async (vm) => {
      const res = await applyLoaderDevice(vm, { file: BLOB, addr: String(MiB - 1000) });
      assert.deepEqual([res.written, res.size], [1000, 6000]);
      assert.equal(vm.ram[0]!.read(MiB - 1000, 1)[0], 11);
      const past = await applyLoaderDevice(vm, { file: BLOB, addr: '0x200000' });
      assert.equal(past.written, 0);
    }, MiB);
  });

  it("fails with QEMU's text for a missing file or an image larger than RAM", async () => {
    await withNone(async (vm) => {
      const missing = join(dir, 'nope.bin');
      await assert.rejects(applyLoaderDevice(vm, { file: missing, addr: '0' }), {
        message: `Cannot load specified image ${missing}`,
      });
      const big = join(dir, 'big.bin');
      writeFileSync(big, new Uint8Array(2 * 4096 + 1).fill(1));
      await assert.rejects(applyLoaderDevice(vm, { file: big, addr: '0' }), {
        message: `Cannot load specified image ${big}`,
      });
      await assert.rejects(applyLoaderDevice(vm, { file: dir, addr: '0' }), {
        message: `Cannot load specified image ${dir}`,
      });
    }, 2 * 4096);
  });

  it("checks its arguments in QEMU's order with QEMU's texts", async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'please include valid arguments'],
      [{ addr: '0' }, 'please include valid arguments'],
      [{ addr: '0x1000' }, 'cpu_num must be specified when setting a program counter'],
      [{ data: '1', file: BLOB }, 'Specifying a file is not supported when loading memory values'],
      [
        { 'data-len': '1', 'force-raw': 'on' },
        'Specifying force-raw is not supported when loading memory values',
      ],
      [{ data: '1' }, 'Both data and data-len must be specified'],
      [{ data: '1', 'data-len': '9' }, 'data-len cannot be greater then 8 bytes'],
      [{ file: BLOB, 'cpu-num': '0' }, 'Specified boot CPU#0 is nonexistent'],
      [{ addr: '0x1000', 'cpu-num': '0' }, 'Specified boot CPU#0 is nonexistent'],
      [{ foo: '1' }, "Property 'loader.foo' not found"],
      [{ addr: 'zz' }, "Parameter 'addr' expects integer"],
      [{ 'data-len': '256' }, "Parameter 'data-len' expects uint8_t"],
      [{ 'force-raw': 'maybe' }, "Parameter 'force-raw' expects 'on' or 'off'"],
    ];
    await withNone(async (vm) => {
      for (const [props, message] of cases) {
        await assert.rejects(applyLoaderDevice(vm, props), { message }, JSON.stringify(props));
      }
    });
  });

  it('refuses images QEMU would parse as ELF unless force-raw', async () => {
    await withNone(async (vm) => {
      const elf = join(dir, 'x.elf');
      writeFileSync(elf, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
      await assert.rejects(applyLoaderDevice(vm, { file: elf, addr: '0' }), {
        code: ErrorCode.UNSUPPORTED,
      });
      await applyLoaderDevice(vm, { file: elf, addr: '0', 'force-raw': 'on' });
      assert.equal(vm.ram[0]!.read(0, 1)[0], 0x7f);
    });
  });

  it('data/data-len: refused without a CPU (QEMU 8.1 would crash), written LE or BE with one', async () => {
    await withNone(async (vm) => {
      const props = { addr: '0x2000', data: '0x1122334455667788', 'data-len': '4' };
      await assert.rejects(applyLoaderDevice(vm, props), { code: ErrorCode.UNSUPPORTED });
      const m = withCpu(vm);
      await applyLoaderDevice(m, props);
      assert.deepEqual([...vm.ram[0]!.read(0x2000, 5)], [0x88, 0x77, 0x66, 0x55, 0]);
      // data-be converts the whole u64 and writes its first data-len bytes (QEMU's quirk).
      await applyLoaderDevice(m, { ...props, 'data-be': 'on' });
      assert.deepEqual([...vm.ram[0]!.read(0x2000, 4)], [0x11, 0x22, 0x33, 0x44]);
      await assert.rejects(applyLoaderDevice(m, { file: BLOB, 'cpu-num': '0' }), {
        code: ErrorCode.UNSUPPORTED,
      });
    });
  });
});
