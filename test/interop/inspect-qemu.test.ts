// Interop: capture real QEMU 7.2 migration streams and check that `livemig inspect`
// decodes them into exactly what QEMU had in memory (compared with pmemsave).
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { firstDifference, hexdump } from './helpers/compare.js';
import { missingTools, mustHaveTools } from './helpers/env.js';
import { buildGuestImage } from './helpers/guest.js';
import { inspect, type DumpIndexEntry, type InspectReport } from './helpers/inspect.js';
import { migrateToFile, waitForSerial } from './helpers/migrate.js';
import { makeTempDir, removeTempDir, startQemu, stopAll, stopQemu } from './helpers/qemu.js';

const MiB = 1 << 20;
const PAGE = 4096;
const missing = missingTools();

if (missing !== undefined && mustHaveTools()) {
  test('QEMU interop prerequisites', () => assert.fail(`${missing}; LIVEMIG_REQUIRE_QEMU=1`));
}

describe('livemig inspect on streams written by real QEMU', { skip: missing }, () => {
  let dir = '';
  // Set LIVEMIG_INTEROP_KEEP=DIR to keep the captured streams and memory dumps.
  const keep = process.env.LIVEMIG_INTEROP_KEEP;

  before(async () => {
    dir = await makeTempDir('interop');
  });

  after(async () => {
    await stopAll();
    if (dir !== '') await removeTempDir(dir);
  });

  test('-M pc 128M running the dirty-pages guest, paused, then migrated', async () => {
    const image = await buildGuestImage(dir);
    const serial = join(dir, 'pc-serial.txt');
    const qemu = await startQemu(dir, [
      ...['-accel', 'tcg', '-machine', 'pc', '-m', '128M', '-nodefaults', '-display', 'none'],
      ...['-serial', `file:${serial}`, '-drive', `file=${image},format=raw,if=ide`],
    ]);
    await waitForSerial(serial, 'B', 5);
    await qemu.qmp.execute('stop');
    const pmem = join(dir, 'pc.pmem');
    await qemu.qmp.execute('pmemsave', { val: 0, size: 128 * MiB, filename: pmem });
    const mig = join(dir, 'pc.mig');
    await migrateToFile(qemu.qmp, mig);
    await stopQemu(qemu);
    await keepCopies(keep, [mig, pmem]);

    const dumpDir = join(dir, 'pc-dump');
    const report = await inspect(mig, dumpDir);
    assert.ok(report.configuration.machine.startsWith('pc-i440fx'), report.configuration.machine);
    assert.equal(report.eof, true);
    checkSectionLayout(report);

    const index = JSON.parse(
      await readFile(join(dumpDir, 'index.json'), 'utf8'),
    ) as DumpIndexEntry[];
    const entry = index.find((e) => e.idstr === 'pc.ram');
    assert.deepEqual([entry?.file, entry?.usedLength], ['pc.ram.bin', 128 * MiB]);
    const ram = await readFile(join(dumpDir, 'pc.ram.bin'));
    const expected = await readFile(pmem);
    const diff = firstDifference(ram, expected);
    assert.equal(
      diff,
      -1,
      `pc.ram.bin differs from pmemsave at 0x${diff.toString(16)}: ` +
        `${hexdump(ram, diff)} vs ${hexdump(expected, diff)}`,
    );
    checkGuestPattern(ram);

    const block = report.ram.blocks.find((b) => b.idstr === 'pc.ram');
    assert.ok(block, 'pc.ram in ram.blocks');
    assert.equal(block.usedLength, 128 * MiB);
    assert.ok(block.pages + block.zeroPages >= (128 * MiB) / PAGE, JSON.stringify(block));
  });

  test('-M none 64M with a -device loader blob at 1 MiB', async () => {
    const blob = makeBlob(5000);
    const blobFile = join(dir, 'blob.bin');
    await writeFile(blobFile, blob);
    const qemu = await startQemu(dir, [
      ...['-M', 'none', '-m', '64M', '-nodefaults', '-display', 'none', '-S'],
      ...['-device', `loader,file=${blobFile},addr=0x100000`],
    ]);
    const mig = join(dir, 'none.mig');
    await migrateToFile(qemu.qmp, mig);
    await stopQemu(qemu);
    await keepCopies(keep, [mig]);

    const dumpDir = join(dir, 'none-dump');
    const report = await inspect(mig, dumpDir);
    assert.equal(report.configuration.machine, 'none');
    assert.equal(report.eof, true);
    checkSectionLayout(report);
    assert.deepEqual(
      report.ram.blocks.map((b) => [b.idstr, b.usedLength]),
      [['ram', 64 * MiB]],
    );
    const ram = await readFile(join(dumpDir, 'ram.bin'));
    assert.equal(ram.length, 64 * MiB);
    assert.ok(ram.subarray(0x100000, 0x100000 + blob.length).equals(blob), 'blob at 1 MiB');
    assert.equal(
      ram.subarray(0, 0x100000).some((b) => b !== 0),
      false,
      'below the blob is zero',
    );

    assert.deepEqual(
      report.devices.map((d) => [d.idstr, d.instanceId, d.versionId]),
      [
        ['timer', 0, 2],
        ['globalstate', 0, 1],
      ],
    );
    const globalstate = report.devices[1];
    // QEMU started with -S and never run stores the runstate it was in: "prelaunch".
    assert.ok(
      globalstate?.fields,
      `globalstate without decoded fields: ${JSON.stringify(globalstate)}`,
    );
    assert.equal(fieldText(globalstate.fields.runstate), 'prelaunch');
  });
});

/** Structural checks that hold for any precopy stream QEMU 7.2 writes. */
function checkSectionLayout(report: InspectReport): void {
  const { sections } = report;
  assert.ok(sections.length > 0, 'no sections');
  for (let i = 1; i < sections.length; i++) {
    const prev = sections[i - 1]!;
    const cur = sections[i]!;
    assert.ok(
      prev.offset + prev.size <= cur.offset,
      `section ${i - 1} [${prev.offset}+${prev.size}] overlaps section ${i} at ${cur.offset}`,
    );
  }
  const last = sections[sections.length - 1]!;
  assert.ok(last.offset + last.size <= report.size, 'last section runs past the file');

  const first = sections[0]!;
  assert.deepEqual([first.type, first.idstr, first.versionId], ['start', 'ram', 4]);

  const started = new Set<number>();
  for (const s of sections) {
    if (s.type === 'start') started.add(s.sectionId);
    if (s.type === 'part' || s.type === 'end') {
      assert.ok(started.has(s.sectionId), `${s.type} at ${s.offset} for unstarted ${s.sectionId}`);
    }
  }

  // Every device QEMU describes in vmdesc is one FULL section, in the same order.
  assert.ok(report.vmdesc?.devices, 'vmdesc with devices');
  assert.deepEqual(
    sections.filter((s) => s.type === 'full').map((s) => [s.idstr, s.instanceId]),
    report.vmdesc.devices.map((d) => [d.name, d.instance_id]),
  );
}

/**
 * The guest increments the first byte of each page in [1 MiB, 100 MiB) in address
 * order, so a snapshot shows n+1 on a prefix of the pages and n on the rest (mod 256,
 * the byte wraps). Every other byte of those pages stays as the BIOS left it.
 */
function checkGuestPattern(ram: Buffer): void {
  assert.equal(hexdump(ram, 0x7dfe, 2), '55aa', 'boot sector signature at 0x7dfe');
  const firstBytes: number[] = [];
  for (let off = 1 * MiB; off < 100 * MiB; off += PAGE) firstBytes.push(ram[off]!);
  const high = firstBytes[0]!;
  const low = firstBytes[firstBytes.length - 1]!;
  assert.ok(high === low || high === ((low + 1) & 0xff), `first ${high}, last ${low}`);
  const drop = firstBytes.findIndex((b) => b !== high);
  const tail = drop < 0 ? [] : firstBytes.slice(drop);
  assert.ok(
    tail.every((b) => b === low),
    `page first bytes are not one pass prefix: ${JSON.stringify(firstBytes.slice(0, 8))}…`,
  );
  // Several passes ran (we waited for 5 'B'), so the pattern is not just zeroes.
  assert.ok(firstBytes.some((b) => b !== 0) || high === 0, 'guest never wrote');
}

/** Deterministic, non-repeating-looking bytes that no zero-page path could fake. */
function makeBlob(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x >>> 16) & 0xff || 1;
  }
  return out;
}

/**
 * The decoder may present a VMState buffer as text or as bytes; QEMU's runstate is
 * a NUL-padded C string inside a 100-byte buffer either way.
 */
function fieldText(value: unknown): string {
  // `inspect --json` prints byte arrays as hex strings.
  assert.equal(typeof value, 'string', `unexpected field encoding: ${JSON.stringify(value)}`);
  assert.match(value as string, /^([0-9a-f]{2})*$/);
  const bytes = Buffer.from(value as string, 'hex');
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul < 0 ? bytes.length : nul).toString('latin1');
}

async function keepCopies(keepDir: string | undefined, files: string[]): Promise<void> {
  if (keepDir === undefined || keepDir === '') return;
  await mkdir(keepDir, { recursive: true });
  for (const f of files) await copyFile(f, join(keepDir, f.slice(f.lastIndexOf('/') + 1)));
}
