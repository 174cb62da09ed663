// `npm start`: until the live-migration engine exists, write a sample stream with
// livemig's own encoders and inspect it, dumping its RAM and checking the dump.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../dist/src/cli/main.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livemig-start-'));
try {
  const file = path.join(dir, 'sample.mig');
  console.log(`$ livemig sample-stream ${file} --ram 64M`);
  let code = await main(['sample-stream', file, '--ram', '64M']);
  if (code === 0) {
    console.log(`$ livemig inspect ${file} --dump-ram ${dir}/ram\n`);
    code = await main(['inspect', file, '--dump-ram', path.join(dir, 'ram')]);
  }
  if (code === 0) {
    const ram = readFileSync(path.join(dir, 'ram', 'pc.ram.bin'));
    const counts = [0, 0, 0, 0];
    for (let off = 1 << 20; off < ram.length; off += 4096)
      counts[ram[off]] = (counts[ram[off]] ?? 0) + 1;
    console.log(
      `RAM dump: ${ram.length} bytes; pages by pass counter: 1 -> ${counts[1]}, 2 -> ${counts[2]}, 3 -> ${counts[3]}`,
    );
  }
  process.exitCode = code;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
