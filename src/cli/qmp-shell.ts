/**
 * The interactive side of `livemig qmp`: a readline loop in the spirit of QEMU's
 * qmp-shell. Events are printed as they arrive; Ctrl-D leaves the shell (the VM
 * keeps running), while `quit` is QMP's own command: QEMU exits and the shell
 * ends when the connection closes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { QmpClient } from '../qmp/client/client.js';
import { QmpError } from '../qmp/client/errors.js';
import type { QmpEvent } from '../qmp/client/types.js';
import { CommandSyntaxError, formatJson, parseCommandLine } from './qmp-parse.js';

export const HISTORY_LIMIT = 1000;

export interface ShellIo {
  input: Readable;
  output: Writable;
  /** Messages about failures; defaults to `output`. */
  errors?: Writable;
  /** Use readline's terminal mode (prompt, line editing, history keys). */
  terminal: boolean;
  /** History file; undefined disables history. */
  historyFile: string | undefined;
}

export function defaultHistoryFile(): string {
  return join(homedir(), '.livemig_qmp_history');
}

/** History lines, newest first (readline's order). A missing file is an empty history. */
export function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    return lines.slice(-HISTORY_LIMIT).reverse();
  } catch {
    return [];
  }
}

/** Writes the newest HISTORY_LIMIT entries, oldest first; history is a convenience, so errors are ignored. */
export function saveHistory(file: string, newestFirst: readonly string[]): void {
  try {
    const lines = newestFirst.slice(0, HISTORY_LIMIT).reverse();
    writeFileSync(file, lines.length === 0 ? '' : lines.join('\n') + '\n', { mode: 0o600 });
  } catch {
    // Read-only home or similar: the shell works without history.
  }
}

/** Adds a line at the front of a newest-first history, without duplicates. */
export function remember(hist: string[], line: string): void {
  const l = line.trim();
  if (l === '') return;
  const i = hist.indexOf(l);
  if (i >= 0) hist.splice(i, 1);
  hist.unshift(l);
  if (hist.length > HISTORY_LIMIT) hist.length = HISTORY_LIMIT;
}

export function formatEvent(ev: QmpEvent): string {
  const t = `${ev.timestamp.seconds}.${String(ev.timestamp.microseconds).padStart(6, '0')}`;
  const data = Object.keys(ev.data).length === 0 ? '' : ` ${formatJson(ev.data)}`;
  return `[${t}] event ${ev.event}${data}`;
}

/** Runs the shell until end of input or until the connection ends; returns the exit code. */
export async function runShell(client: QmpClient, io: ShellIo): Promise<number> {
  const errors = io.errors ?? io.output;
  const history = io.historyFile !== undefined ? loadHistory(io.historyFile) : [];
  // Our own copy: readline keeps no history when not on a terminal.
  const hist = [...history];
  const rl = createInterface({
    input: io.input,
    output: io.output,
    terminal: io.terminal,
    history,
    historySize: HISTORY_LIMIT,
    removeHistoryDuplicates: true,
    prompt: '(QMP) ',
  });
  const v = client.greeting.QMP.version.qemu;
  io.output.write(`Connected to QMP server version ${v.major}.${v.minor}.${v.micro}\n`);
  io.output.write('Type a command (cmd key=value ... or a JSON request); Ctrl-D leaves.\n');

  const print = (text: string): void => {
    // Keep the user's half-typed line intact around asynchronous output.
    if (io.terminal) io.output.write('\r\x1b[K');
    io.output.write(text + '\n');
    if (io.terminal) rl.prompt(true);
  };

  let lost: string | undefined;
  let quitSent = false;
  let leaving = false;
  const events = (async () => {
    for await (const ev of client.events()) print(formatEvent(ev));
    // The iterator ends when the connection does; stop reading input then.
    if (!leaving) {
      if (!quitSent) lost = 'connection closed by the server';
      rl.close();
    }
  })();
  rl.on('SIGINT', () => rl.close());

  rl.prompt();
  for await (const line of rl) {
    remember(hist, line);
    let cmd;
    try {
      cmd = parseCommandLine(line);
    } catch (e) {
      if (!(e instanceof CommandSyntaxError)) throw e;
      errors.write(`syntax error: ${e.message}\n`);
    }
    if (cmd !== undefined) {
      if (cmd.execute === 'quit') quitSent = true;
      try {
        print(formatJson(await client.executeRaw(cmd.execute, cmd.arguments)));
      } catch (e) {
        if (e instanceof QmpError) errors.write(`${e.errorClass}: ${e.desc}\n`);
        else {
          lost = (e as Error).message;
          break;
        }
      }
    }
    if (!client.connected) break;
    rl.prompt();
  }
  leaving = true;
  rl.close();
  if (io.historyFile !== undefined) saveHistory(io.historyFile, hist);
  await client.close();
  await events;
  if (lost !== undefined && !quitSent) {
    errors.write(`livemig qmp: ${lost}\n`);
    return 1;
  }
  return 0;
}
