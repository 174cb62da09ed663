// Builds the dirty-pages boot disk from test/interop/guest/dirty-pages.asm.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NASM, repoRoot } from './env.js';

const run = promisify(execFile);

export const GUEST_SOURCE = join(repoRoot(), 'test', 'interop', 'guest', 'dirty-pages.asm');
const IMAGE_SIZE = 1 << 20;

/** Assembles the boot sector into `dir` and returns a 1 MiB raw image (sector at LBA 0). */
export async function buildGuestImage(dir: string): Promise<string> {
  const bin = join(dir, 'dirty-pages.bin');
  await run(NASM, ['-f', 'bin', '-o', bin, GUEST_SOURCE]);
  const sector = await readFile(bin);
  if (sector.length !== 512) throw new Error(`boot sector is ${sector.length} bytes, not 512`);
  // A whole 1 MiB disk so the IDE geometry is ordinary; everything after LBA 0 is zero.
  const image = Buffer.alloc(IMAGE_SIZE);
  sector.copy(image, 0);
  const img = join(dir, 'dirty-pages.img');
  await writeFile(img, image);
  return img;
}
