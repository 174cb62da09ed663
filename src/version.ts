/** livemig's version, from package.json (read once). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function livemigVersion(): string {
  if (cached === undefined) {
    // dist/src/version.js → package.json three levels up.
    const pkg = fileURLToPath(new URL('../../package.json', import.meta.url));
    cached = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  }
  return cached;
}

/** The version QMP reports: livemig speaks QEMU 8.1's QMP. */
export const QMP_QEMU_VERSION = { major: 8, minor: 1, micro: 0 } as const;
