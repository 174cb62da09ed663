// Locating external tools and the repository, shared by the interop tests.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const QEMU = 'qemu-system-x86_64';
export const NASM = 'nasm';

/** Absolute path of `cmd` found on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Why the interop tests cannot run here, or undefined when they can. Whether that
 * means "skip" or "fail" is the caller's business (see mustHaveTools).
 */
export function missingTools(): string | undefined {
  const missing = [QEMU, NASM].filter((t) => which(t) === undefined);
  return missing.length === 0 ? undefined : `interop tests need ${missing.join(' and ')} on PATH`;
}

/**
 * CI sets LIVEMIG_REQUIRE_QEMU=1 after installing the tools; there a missing tool
 * must be a failure, otherwise the suite would silently "pass" by skipping.
 */
export function mustHaveTools(): boolean {
  return process.env.LIVEMIG_REQUIRE_QEMU === '1';
}

/**
 * The repository root: the nearest ancestor of this module holding package.json
 * (compiled tests live in <repo>/dist/test/interop/helpers). A private build outside
 * the repo falls back to the working directory.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
