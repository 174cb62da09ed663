/** The sample stream exercises every encoder; inspecting it must restore its RAM exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { writeSampleStream } from '../../../src/demo/sample-stream.js';
import { inspectFile } from '../../../src/inspect/inspect-file.js';

test('sample-stream then inspect --dump-ram restores the RAM, XBZRLE pages included', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livemig-sample-'));
  try {
    const file = path.join(dir, 's.mig');
    assert.equal(await main(['sample-stream', file, '--ram', '4M']), 0);
    const report = inspectFile(file, { dumpRam: path.join(dir, 'ram') });
    const [block] = report.ram.blocks;
    assert.ok(block);
    assert.equal(block.xbzrlePages, 384);
    assert.deepEqual(
      report.devices.map((d) => d.idstr),
      ['timer', 'serial', 'globalstate'],
    );
    const dumped = readFileSync(path.join(dir, 'ram', 'pc.ram.bin'));
    const { ram } = writeSampleStream({ ramSize: 4 << 20 });
    assert.ok(Buffer.from(ram).equals(dumped));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample-stream refuses a bad size', async () => {
  assert.equal(await main(['sample-stream', '/nonexistent/x', '--ram', '1K']), 2);
  assert.equal(await main(['sample-stream']), 2);
});
