/** `livemig sample-stream FILE`: write a QEMU-format stream of a synthetic VM. */
import { closeSync, openSync, writevSync } from 'node:fs';
import { parseCommandLine, usageError } from './command-line.js';
import { writeSampleStream } from '../demo/sample-stream.js';
import { parseSize } from '../qemu-strtosz.js';

export const SAMPLE_HELP = `Usage: livemig sample-stream FILE [--ram SIZE]

Write the migration stream of a small synthetic VM, in QEMU's format, with
livemig's own encoders: something to try "livemig inspect" on.

Options:
  --ram SIZE    guest RAM, e.g. 64M (default) or 1G
  -h, --help    show this help
`;

export function sampleStreamMain(argv: string[]): number {
  const args = parseCommandLine('sample-stream', argv, { ram: { type: 'string' } }, SAMPLE_HELP);
  if (typeof args === 'number') return args;
  const file = args.positionals[0];
  if (args.positionals.length !== 1 || file === undefined) {
    return usageError('sample-stream', 'expected exactly one FILE (see --help)');
  }
  const ramSize = args.values.ram === undefined ? 64 << 20 : parseSize(args.values.ram);
  if (ramSize === undefined || ramSize < 2 << 20 || ramSize % 4096 !== 0) {
    return usageError('sample-stream', `bad --ram '${args.values.ram}' (at least 2M)`);
  }
  const { chunks } = writeSampleStream({ ramSize });
  const fd = openSync(file, 'w');
  try {
    // writev takes at most IOV_MAX buffers per call.
    for (let i = 0; i < chunks.length; i += 1024) writevSync(fd, chunks.slice(i, i + 1024));
  } finally {
    closeSync(fd);
  }
  return 0;
}
