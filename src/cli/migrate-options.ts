/** `livemig migrate`: help text and option parsing (bad usage → exit code 2). */
import { parseOptions, UsageError } from './command-line.js';
import { parseValue } from './qmp-parse.js';
import { parseSize } from '../qemu-strtosz.js';

export const MIGRATE_HELP = `Usage: livemig migrate --from SRC_QMP --to DST_QMP [options]

Migrate a running VM (QEMU or livemig run) from the source to the destination,
both controlled through their QMP sockets (unix path, unix:PATH, tcp:HOST:PORT).

Steps: the capabilities go to both sides (plus "events", which the progress
display listens to); every parameter goes to the source, and the ones the
destination also reads (multifd-*, decompress-threads, tls-creds, tls-authz,
announce-*, block-bitmap-mapping) go to the destination too. Then the
destination: if query-migrate shows it listening (socket-address), the source
connects there (or to --uri when given); otherwise migrate-incoming is run on
it (it must have been started with -incoming defer) with --uri, by default
tcp:127.0.0.1:0 (the destination picks a free port, read back from
query-migrate). Finally "migrate" runs on the source.

Without --wait the command returns (0) once the migration is in setup or
active; follow it with "livemig qmp SRC_QMP query-migrate". With --wait it
shows the progress until the end (a redrawn block on a terminal, one line per
interval otherwise), then a summary. Ctrl-C (SIGINT, or SIGTERM) while
waiting runs migrate_cancel, waits for the source to settle and reports the
source VM's run state; a second Ctrl-C exits at once.

Exit status: 0 completed (or started, without --wait), 1 failed, cancelled or
a QMP error, 2 bad usage.

Options:
  --from QMP          the source's QMP socket (required)
  --to QMP            the destination's QMP socket (required)
  --uri URI           migration URI (tcp:HOST:PORT, unix:PATH, ...)
  --caps LIST         capabilities to turn on, comma-separated (NAME or
                      NAME=on|off), e.g. return-path,switchover-ack; repeatable
  --param NAME=VALUE  a migration parameter, e.g. downtime-limit=300 (ms),
                      max-bandwidth=100M (bytes/s); repeatable
  --wait              follow the migration to its end (progress and summary)
  --interval MS       progress refresh period (default 1000; 500 on a terminal)
  --timeout MS        give up connecting to a QMP socket after MS ms (default 10000)
  -h, --help          show this help
`;

/** Parameters the destination reads too (QEMU: multifd/TLS/announce happen there). */
export const DESTINATION_PARAMS = new Set([
  'multifd-channels',
  'multifd-compression',
  'multifd-zlib-level',
  'multifd-zstd-level',
  'decompress-threads',
  'tls-creds',
  'tls-authz',
  'block-bitmap-mapping',
  'announce-initial',
  'announce-max',
  'announce-rounds',
  'announce-step',
]);

export interface MigrateOptions {
  from: string;
  to: string;
  uri: string | undefined;
  caps: Map<string, boolean>;
  params: Record<string, unknown>;
  wait: boolean;
  intervalMs: number | undefined;
  timeoutMs: number;
}

function parseCaps(lists: string[]): Map<string, boolean> {
  const caps = new Map<string, boolean>();
  for (const item of lists.flatMap((l) => l.split(','))) {
    const [name, state = 'on', extra] = item.trim().split('=');
    if (!name || extra !== undefined || !/^[a-z0-9-]+$/.test(name))
      throw new UsageError(`bad capability '${item}'`);
    if (!['on', 'off', 'true', 'false'].includes(state))
      throw new UsageError(`capability ${name}: expected on or off, got '${state}'`);
    caps.set(name, state === 'on' || state === 'true');
  }
  return caps;
}

/** VALUE as JSON when it parses (300, true, "x", {...}), else a size (100M), else a string. */
function paramValue(text: string): unknown {
  const v = parseValue(text);
  if (typeof v !== 'string') return v;
  return parseSize(v) ?? v;
}

function parseParams(words: string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects NAME=VALUE, got '${w}'`);
    params[w.slice(0, eq)] = paramValue(w.slice(eq + 1));
  }
  return params;
}

function milliseconds(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} expects a number of milliseconds, got '${text}'`);
  return n;
}

/** The options, or undefined for --help; throws UsageError on bad usage. */
export function parseMigrateArgs(argv: string[]): MigrateOptions | undefined {
  const args = parseOptions(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    uri: { type: 'string' },
    caps: { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    wait: { type: 'boolean' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
  });
  const v = args.values;
  if (v.help) return undefined;
  if (v.from === undefined || v.to === undefined)
    throw new UsageError('both --from SRC_QMP and --to DST_QMP are required');
  if (v.uri === '') throw new UsageError('--uri must not be empty');
  return {
    from: v.from,
    to: v.to,
    uri: v.uri,
    caps: parseCaps(v.caps ?? []),
    params: parseParams(v.param ?? []),
    wait: v.wait ?? false,
    intervalMs: milliseconds('interval', v.interval, 50),
    timeoutMs: milliseconds('timeout', v.timeout, 1) ?? 10_000,
  };
}
