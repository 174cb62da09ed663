/**
 * The common start of livemig's own subcommands (inspect, report, qmp,
 * sample-stream): their arguments through node's parseArgs plus -h/--help, a
 * usage error printed as one line with exit status 2, the help with status 0.
 * (`livemig run` follows QEMU's option syntax instead; migrate and demo
 * validate further and report through their option modules.)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type Config<O extends Options> = {
  args: string[];
  allowPositionals: true;
  options: O & typeof HELP_OPTION;
};

/** What parseArgs returns for these options. */
export type CommandLine<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** Prints `livemig NAME: MESSAGE` on stderr and gives the exit status for bad usage. */
export function usageError(name: string, message: string): number {
  process.stderr.write(`livemig ${name}: ${message}\n`);
  return 2;
}

/**
 * Parses `argv` for subcommand `name`. Returns the parsed command line, or
 * the exit status when the command is already done (help shown, bad usage).
 */
export function parseCommandLine<const O extends Options>(
  name: string,
  argv: string[],
  options: O,
  help: string,
): CommandLine<O> | number {
  let line: CommandLine<O>;
  try {
    line = parseArgs<Config<O>>({
      args: argv,
      allowPositionals: true,
      options: { ...options, ...HELP_OPTION },
    });
  } catch (e) {
    return usageError(name, `${(e as Error).message} (see --help)`);
  }
  if ((line.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return 0;
  }
  return line;
}
