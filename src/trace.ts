/**
 * Trace points with QEMU's trace names, switched on by LIVEMIG_TRACE: a
 * comma-separated list of glob patterns (`*` matches anything; a leading `-`
 * excludes), e.g. LIVEMIG_TRACE='migrate_*,loadvm_*,-migrate_pending*'.
 * One line per event on stderr: a timestamp in ms, the process id, the name
 * and its arguments. The timestamp is the process's monotonic clock shifted to
 * the Unix epoch (performance.timeOrigin + now()), so lines from a source and a
 * destination process line up on one time axis (the demo's downtime breakdown).
 */
import { performance } from 'node:perf_hooks';

interface Rule {
  re: RegExp;
  exclude: boolean;
}

function compile(spec: string | undefined): Rule[] {
  if (!spec) return [];
  return spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const exclude = p.startsWith('-');
      const glob = exclude ? p.slice(1) : p;
      const re = new RegExp(
        '^' + glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$',
      );
      return { re, exclude };
    });
}

let rules = compile(process.env.LIVEMIG_TRACE);
const cache = new Map<string, boolean>();
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

/** For tests: set the pattern and where lines go. */
export function configureTrace(spec: string | undefined, out?: (line: string) => void): void {
  rules = compile(spec);
  cache.clear();
  if (out) sink = out;
}

export function traceEnabled(name: string): boolean {
  let on = cache.get(name);
  if (on === undefined) {
    on = false;
    for (const r of rules) if (r.re.test(name)) on = !r.exclude;
    cache.set(name, on);
  }
  return on;
}

/** Emits trace point `name` with `args` (formatted only when enabled). */
export function trace(name: string, args?: Record<string, unknown> | string): void {
  if (rules.length === 0 || !traceEnabled(name)) return;
  const text =
    args === undefined
      ? ''
      : typeof args === 'string'
        ? ' ' + args
        : ' ' +
          Object.entries(args)
            .map(([k, v]) => `${k}=${typeof v === 'bigint' ? v.toString() : String(v)}`)
            .join(' ');
  sink(`${(performance.timeOrigin + performance.now()).toFixed(3)} ${process.pid} ${name}${text}`);
}

/**
 * QEMU's vmstate_downtime_checkpoint (9.0): named moments of the downtime
 * window ("src-downtime-start", "dst-precopy-loadvm-completed", ...). With
 * the epoch-based timestamps they split the downtime into its parts.
 */
export function downtimeCheckpoint(checkpoint: string): void {
  trace('vmstate_downtime_checkpoint', checkpoint);
}
