/**
 * The common start of livemig's own subcommands: their arguments through
 * node's parseArgs plus -h/--help, a usage error printed as one line with exit
 * status 2, the help with status 0. inspect, report, qmp and sample-stream take
 * parseCommandLine's result as it is; migrate and demo validate further in
 * their option modules (throwing UsageError) and start with optionsOrExit.
 * (`livemig run` follows QEMU's option syntax instead.)
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

/** Bad usage found while validating options; optionsOrExit prints it. */
export class UsageError extends Error {}

/** parseArgs for options without positionals (plus -h/--help); its errors become UsageErrors. */
export function parseOptions<const O extends Options>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION }>> {
  try {
    return parseArgs<{ args: string[]; options: O & typeof HELP_OPTION }>({
      args: argv,
      options: { ...options, ...HELP_OPTION },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs an option parser that returns undefined for --help and throws
 * UsageError on bad usage; gives its options, or the exit status when the
 * command is already done (help shown: 0, bad usage printed: 2).
 */
export function optionsOrExit<T extends object>(
  name: string,
  parse: () => T | undefined,
  help: string,
): T | number {
  let opts: T | undefined;
  try {
    opts = parse();
  } catch (e) {
    if (e instanceof UsageError) return usageError(name, `${e.message} (see --help)`);
    throw e;
  }
  if (opts === undefined) {
    process.stdout.write(help);
    return 0;
  }
  return opts;
}

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
