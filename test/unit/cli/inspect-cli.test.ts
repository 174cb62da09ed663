/** `livemig inspect` as a user runs it: a real process, real files, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = path.join(repo, 'dist/src/cli/main.js');
const fixture = (name: string): string => path.join(repo, 'test/fixtures', name);

function livemig(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('inspect prints the header, sections, RAM statistics and devices of a QEMU stream', () => {
  const r = livemig('inspect', fixture('qemu-7.2-none-64M.mig'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /header: QEVM, version 3/);
  assert.match(r.stdout, /configuration: machine 'none'/);
  assert.match(r.stdout, /start\s+2\s+ram\s+0\s+4/);
  assert.match(r.stdout, /full\s+\d+\s+globalstate\s+0\s+1/);
  assert.match(r.stdout, /ram\s+64 MiB\s+0\s+16,384\s+0/);
  assert.match(r.stdout, /EOF: yes; vmdesc: yes/);
});

test('inspect --json gives a machine-readable report', () => {
  const r = livemig('inspect', '--json', fixture('qemu-7.2-none-loader.mig'));
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    size: number;
    configuration: { machine: string };
    sections: Array<{ type: string; idstr: string; size: number; offset: number }>;
    ram: { blocks: Array<{ idstr: string; pages: number; zeroPages: number; usedLength: number }> };
    eof: boolean;
  };
  assert.equal(j.size, 156463);
  assert.equal(j.configuration.machine, 'none');
  assert.deepEqual(
    j.ram.blocks.map((b) => [b.idstr, b.usedLength, b.pages, b.zeroPages]),
    [['ram', 64 << 20, 2, 16382]],
  );
  assert.deepEqual(
    j.sections.filter((s) => s.type === 'full').map((s) => s.idstr),
    ['timer', 'globalstate'],
  );
  // Sections are contiguous runs of the file: each ends where a later record starts.
  for (let i = 1; i < j.sections.length; i++) {
    const prev = j.sections[i - 1]!;
    assert.ok(prev.offset + prev.size <= j.sections[i]!.offset);
  }
  assert.equal(j.eof, true);
});

test('inspect --dump-ram writes each block; the loader blob is where QEMU put it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-dump-'));
  try {
    const r = livemig('inspect', fixture('qemu-7.2-none-loader.mig'), '--dump-ram', dir);
    assert.equal(r.code, 0, r.stderr);
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as unknown;
    assert.deepEqual(index, [{ idstr: 'ram', file: 'ram.bin', usedLength: 64 << 20 }]);
    const ram = readFileSync(path.join(dir, 'ram.bin'));
    const blob = readFileSync(fixture('loader-blob.bin'));
    assert.equal(ram.length, 64 << 20);
    assert.deepEqual(ram.subarray(0x100000, 0x100000 + blob.length), blob);
    assert.equal(
      ram.subarray(0, 0x100000).some((b) => b !== 0),
      false,
    );
    assert.equal(
      ram.subarray(0x100000 + blob.length).some((b) => b !== 0),
      false,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated or corrupt file exits 1 with one line naming the offset and what was expected', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-bad-'));
  try {
    const whole = readFileSync(fixture('qemu-7.2-none-64M.mig'));
    const cut = path.join(dir, 'cut.mig');
    writeFileSync(cut, whole.subarray(0, 1000));
    let r = livemig('inspect', cut);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `livemig inspect: ${cut}: error at byte 1000: Truncated stream: expected a RAM record (2 more byte(s) needed)\n`,
    );
    const bad = path.join(dir, 'bad.mig');
    const corrupt = Buffer.from(whole);
    corrupt[0x3e] = 0x7f; // the START section's footer byte
    writeFileSync(bad, corrupt);
    r = livemig('inspect', bad);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `livemig inspect: ${bad}: error at byte 62: Missing section footer for ram\n`,
    );
    r = livemig('inspect', path.join(dir, 'missing.mig'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2; --help and --version exit 0', () => {
  assert.equal(livemig('inspect').code, 2);
  assert.equal(livemig('inspect', '--bogus', 'x').code, 2);
  assert.equal(livemig('frobnicate').code, 2);
  const help = livemig('inspect', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dump-ram DIR/);
  assert.equal(livemig('--help').code, 0);
  assert.match(livemig('--version').stdout, /^livemig \d+\.\d+\.\d+\n$/);
});

test('text from the stream is printed with its control characters escaped', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-esc-'));
  try {
    const bytes = readFileSync(fixture('qemu-7.2-none-64M.mig'));
    // The configuration's machine name, "none" (4 bytes), becomes ESC [ 3 1.
    const at = bytes.indexOf(Buffer.from('\x07\x00\x00\x00\x04none', 'latin1'));
    assert.ok(at > 0);
    Buffer.from('\x1b[31', 'latin1').copy(bytes, at + 5);
    const file = path.join(dir, 'esc.mig');
    writeFileSync(file, bytes);
    const r = livemig('inspect', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration: machine '\\x1b\[31'/);
    assert.ok(!r.stdout.includes('\x1b'), 'no raw ESC on stdout');
    const j = JSON.parse(livemig('inspect', '--json', file).stdout) as {
      configuration: { machine: string };
    };
    assert.equal(j.configuration.machine, '\x1b[31', 'JSON keeps the real value');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--dump-ram on a stream that turns out corrupt keeps what came before the error, with its index', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-dump-bad-'));
  try {
    const bytes = readFileSync(fixture('qemu-7.2-none-loader.mig'));
    // The FULL section of 'timer' comes after all RAM: its type byte becomes 0x55.
    const name = bytes.indexOf(Buffer.from('\x05timer', 'latin1'));
    assert.ok(name > 0);
    bytes[name - 5] = 0x55;
    const file = path.join(dir, 'bad.mig');
    writeFileSync(file, bytes);
    const out = path.join(dir, 'ram');
    const r = livemig('inspect', file, '--dump-ram', out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unknown savevm section type 85/);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as unknown;
    assert.deepEqual(index, [{ idstr: 'ram', file: 'ram.bin', usedLength: 64 << 20 }]);
    const blob = readFileSync(fixture('loader-blob.bin'));
    const ram = readFileSync(path.join(out, 'ram.bin'));
    assert.deepEqual(ram.subarray(0x100000, 0x100000 + blob.length), blob);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage: -h prints the help (exit 0); an unknown option or a missing FILE exits 2 with one line', () => {
  const help = livemig('inspect', '-h');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: livemig inspect FILE \[options\]/);
  const bogus = livemig('inspect', '--bogus', 'x');
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /^livemig inspect: Unknown option '--bogus'.*\(see --help\)\n$/);
  const none = livemig('inspect');
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'livemig inspect: expected exactly one FILE (see --help)\n');
});
