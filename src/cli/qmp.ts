/** `livemig qmp SOCKET [COMMAND [ARGS]]`: a QMP shell, or one command for scripts. */
import { parseCommandLine } from './command-line.js';
import { QmpClient } from '../qmp/client/client.js';
import { QmpError } from '../qmp/client/errors.js';
import { CommandSyntaxError, formatJson, parseKeyValues, parseRawRequest } from './qmp-parse.js';
import { defaultHistoryFile, runShell } from './qmp-shell.js';

export const QMP_HELP = `Usage: livemig qmp SOCKET [COMMAND [ARGS]] [options]

Talk QMP to QEMU or livemig. SOCKET is a unix socket path, unix:PATH or
tcp:HOST:PORT.

Without COMMAND: an interactive shell like QEMU's qmp-shell. Type
  cmd key=value key2=value2
where values are JSON when they parse as JSON (numbers, true/false, arrays,
objects, e.g. capabilities=[{"capability":"events","state":true}]) and strings
otherwise; a.b=1 nests. A raw request {"execute": ..., "arguments": {...}} works
too. Events are printed as they arrive. Ctrl-D leaves the shell; "quit" is
QMP's quit command (QEMU exits). History: ~/.livemig_qmp_history.

With COMMAND: run it once and print its "return" value as JSON. ARGS is one
JSON object or key=value words as above. Exit status: 0 on success, 1 on an
error reply ("CLASS: desc" on stderr) or a connection failure, 2 on bad usage.
A QEMU QMP socket serves one client at a time: while another client is
connected, this waits (up to --timeout) for the greeting.

Options:
  --timeout MS   give up on connecting or on the command after MS ms
                 (default 10000; 0 waits forever for the command)
  -h, --help     show this help
`;

function fail(message: string, code: number): number {
  process.stderr.write(`livemig qmp: ${message}\n`);
  return code;
}

function commandArgs(words: string[]): Record<string, unknown> | undefined {
  if (words.length === 0) return undefined;
  const first = words[0]!.trimStart();
  if (words.length === 1 && first.startsWith('{')) {
    return parseRawRequest(`{"execute":"x","arguments":${first}}`).arguments ?? {};
  }
  return parseKeyValues(words);
}

export async function qmpMain(argv: string[]): Promise<number> {
  const args = parseCommandLine('qmp', argv, { timeout: { type: 'string' } }, QMP_HELP);
  if (typeof args === 'number') return args;
  const [socket, command, ...rest] = args.positionals;
  if (socket === undefined) return fail('expected a SOCKET (see --help)', 2);
  const timeout = args.values.timeout === undefined ? 10_000 : Number(args.values.timeout);
  if (!Number.isInteger(timeout) || timeout < 0)
    return fail(`--timeout expects a number of milliseconds, got '${args.values.timeout}'`, 2);

  let cmdArgs: Record<string, unknown> | undefined;
  try {
    cmdArgs = commandArgs(rest);
  } catch (e) {
    if (e instanceof CommandSyntaxError) return fail(`bad arguments: ${e.message}`, 2);
    throw e;
  }

  let client: QmpClient;
  try {
    client = await QmpClient.connect(socket, { timeoutMs: timeout === 0 ? 10_000 : timeout });
  } catch (e) {
    return fail((e as Error).message, 1);
  }

  if (command === undefined) {
    return runShell(client, {
      input: process.stdin,
      output: process.stdout,
      errors: process.stderr,
      terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
      historyFile: defaultHistoryFile(),
    });
  }

  try {
    const ret = await client.executeRaw(command, cmdArgs, {
      timeoutMs: timeout === 0 ? undefined : timeout,
    });
    process.stdout.write(formatJson(ret) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof QmpError) {
      process.stderr.write(`${e.errorClass}: ${e.desc}\n`);
      return 1;
    }
    return fail((e as Error).message, 1);
  } finally {
    await client.close();
  }
}
