/** `livemig inspect FILE`: analyse a QEMU-format migration stream. */
import { inspectFile, InspectSession } from '../inspect/inspect-file.js';
import type { StreamReport } from '../inspect/report.js';
import { ProtocolError } from '../errors.js';
import { parseCommandLine, usageError } from './command-line.js';
import { formatReport } from './format-report.js';
import { toJson } from './json.js';
import { terminalSafe, terminalSafeLine } from './terminal-safe.js';

export const INSPECT_HELP = `Usage: livemig inspect FILE [options]

Analyse a QEMU-format migration stream (as written by "migrate exec:cat > FILE").
FILE may be - to read standard input (device sections are then not decoded,
since the vmdesc that describes them comes last).

Options:
  --json            print the report as one JSON object
  --dump-ram DIR    write each RAM block's final contents to DIR/<block>.bin,
                    plus DIR/index.json (if the stream is malformed: its
                    contents up to the error, and exit status 1)
  --no-devices      do not decode device sections through the vmdesc
  -h, --help        show this help
`;

async function inspectStdin(dumpRam: string | undefined): Promise<StreamReport> {
  const session = new InspectSession(dumpRam ? { dumpRam } : {});
  for await (const chunk of process.stdin) session.push(chunk as Buffer);
  return session.end();
}

export async function inspectMain(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    'inspect',
    argv,
    {
      json: { type: 'boolean' },
      'dump-ram': { type: 'string' },
      'no-devices': { type: 'boolean' },
    },
    INSPECT_HELP,
  );
  if (typeof args === 'number') return args;
  if (args.positionals.length !== 1) {
    return usageError('inspect', 'expected exactly one FILE (see --help)');
  }
  const file = args.positionals[0]!;
  const dumpRam = args.values['dump-ram'];
  let report: StreamReport;
  try {
    report =
      file === '-'
        ? await inspectStdin(dumpRam)
        : inspectFile(file, {
            ...(dumpRam ? { dumpRam } : {}),
            decodeDevices: !args.values['no-devices'],
          });
  } catch (e) {
    if (e instanceof ProtocolError) {
      const at = e.offset === undefined ? '' : ` at byte ${e.offset}`;
      process.stderr.write(
        `livemig inspect: ${file}: error${at}: ${terminalSafeLine(e.message)}\n`,
      );
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code && err.syscall) {
      process.stderr.write(`livemig inspect: ${file}: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
  if (args.values.json) {
    process.stdout.write(toJson({ file, ...report }) + '\n');
  } else {
    process.stdout.write(terminalSafe(formatReport(file, report)));
  }
  return 0;
}
