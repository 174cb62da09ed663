#!/usr/bin/env node
/**
 * The `livemig` command: one module per subcommand, this file only dispatches.
 * Subcommands are imported when chosen, so a `livemig run` process does not
 * carry the inspector's or the report's code (its memory counts, issue 4).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { livemigVersion } from '../version.js';

export const HELP = `Usage: livemig COMMAND [options]

Live migration of running virtual machines, compatible with QEMU's migration
stream and QMP.

Commands:
  demo [options]      a live migration on this machine, verified, with an HTML report
  run [options]       run a VM, controlled through QMP like QEMU (see livemig run --help)
  inspect FILE        analyse a QEMU-format migration stream (see livemig inspect --help)
  qmp SOCKET [CMD]    QMP shell, or run one QMP command (see livemig qmp --help)
  migrate [options]   migrate a running VM between two QMP sockets (see migrate --help)
  report RUN.json...  render saved demo runs into one HTML report (see report --help)
  sample-stream FILE  write a QEMU-format stream of a synthetic VM (see --help)

Options:
  -h, --help          show this help
  -V, --version       show the version
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'demo':
      return (await import('./demo.js')).demoMain(rest);
    case 'inspect':
      return (await import('./inspect.js')).inspectMain(rest);
    case 'run':
      return (await import('./run.js')).runMain(rest);
    case 'qmp':
      return (await import('./qmp.js')).qmpMain(rest);
    case 'migrate':
      return (await import('./migrate.js')).migrateMain(rest);
    case 'report':
      return (await import('./report.js')).reportMain(rest);
    case 'sample-stream':
      return (await import('./sample-stream.js')).sampleStreamMain(rest);
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case '-V':
    case '--version':
      process.stdout.write(`livemig ${livemigVersion()}\n`);
      return 0;
    case undefined:
      process.stderr.write(HELP);
      return 2;
    default:
      process.stderr.write(`livemig: unknown command '${cmd}' (see livemig --help)\n`);
      return 2;
  }
}

// Run only when executed (directly or through the npm bin symlink), not when imported.
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2));
}
