/** `livemig demo`: help text and option parsing (bad usage → exit code 2). */
import { parseOptions, UsageError } from './command-line.js';
import { parseSize } from '../qemu-strtosz.js';

export const DEMO_HELP = `Usage: livemig demo [options]

A live migration on this machine, start to finish: starts a source and a
destination "livemig run" (testvm with the chosen workload and an initdata
device, QMP on unix sockets in a temporary directory), migrates the running
guest over loopback TCP with return-path and switchover-ack, shows the
progress, then checks that the destination's memory and device state are
intact and that the guest runs there. It prints a summary and writes an HTML
report (timeline, downtime breakdown, parameters), then stops both VMs.

The initdata device models a passthrough device whose initial data must be
prepared on the destination before it can run (QEMU 8.1's switchover-ack use
case). With switchover-ack the source keeps iterating until the destination
says it is ready; with --no-switchover-ack that preparation falls into the
downtime. --compare runs both, one after the other, into one report.

Exit status: 0 migrated and verified, 1 failed (migration or verification),
2 bad usage.

Options:
  --ram SIZE             guest RAM (default 256M)
  --workload NAME        ab (default), random, fill or idle
  --dirty-rate N         cap the guest's page writes per second (default 20000,
                         a busy guest; QEMU's TCG ab guest does 17538048;
                         0 = unthrottled)
  --initdata SIZE        initdata device state (default 256M; 0 = no device)
  --no-switchover-ack    migrate with return-path only
  --compare              run with and then without switchover-ack; one report
  --downtime-limit MS    downtime-limit parameter (default 300)
  --max-bandwidth BYTES  max-bandwidth parameter, e.g. 1G (default 100G)
  --report PATH          where to write the HTML report
                         (default ./livemig-demo-report.html)
  --json PATH            also save the run records (for livemig report)
  --keep                 leave both VMs running and print their QMP sockets
  --interval MS          progress refresh period (default 1000; 500 on a terminal)
  -h, --help             show this help
`;

export interface DemoOptions {
  ramBytes: number;
  workload: 'ab' | 'random' | 'fill' | 'idle';
  dirtyRate: number;
  initdataBytes: number;
  /** The variants to run, in order: true = with switchover-ack. */
  variants: boolean[];
  downtimeLimitMs: number;
  maxBandwidth: number;
  reportPath: string;
  jsonPath: string | undefined;
  keep: boolean;
  intervalMs: number | undefined;
}

const WORKLOADS = ['ab', 'random', 'fill', 'idle'] as const;

function size(name: string, text: string | undefined, fallback: number, page: boolean): number {
  if (text === undefined) return fallback;
  const v = parseSize(text);
  if (v === undefined) throw new UsageError(`--${name}: bad size '${text}'`);
  if (page && v % 4096 !== 0) throw new UsageError(`--${name} must be a multiple of 4K`);
  return v;
}

function integer(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} expects an integer >= ${min}, got '${text}'`);
  return n;
}

/** The options, or undefined for --help; throws UsageError on bad usage. */
export function parseDemoArgs(argv: string[]): DemoOptions | undefined {
  const args = parseOptions(argv, {
    ram: { type: 'string' },
    workload: { type: 'string' },
    'dirty-rate': { type: 'string' },
    initdata: { type: 'string' },
    'no-switchover-ack': { type: 'boolean' },
    compare: { type: 'boolean' },
    'downtime-limit': { type: 'string' },
    'max-bandwidth': { type: 'string' },
    report: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
    interval: { type: 'string' },
  });
  const v = args.values;
  if (v.help) return undefined;
  const workload = v.workload ?? 'ab';
  if (!(WORKLOADS as readonly string[]).includes(workload))
    throw new UsageError(`--workload: expected one of ${WORKLOADS.join(', ')}, got '${workload}'`);
  const ramBytes = size('ram', v.ram, 256 << 20, true);
  if (ramBytes < 2 << 20) throw new UsageError('--ram must be at least 2M');
  if (v.compare && v['no-switchover-ack'])
    throw new UsageError('--compare already runs without switchover-ack; drop --no-switchover-ack');
  if (v.keep && v.compare) throw new UsageError('--keep keeps one pair of VMs: not with --compare');
  if (v.report === '' || v.json === '') throw new UsageError('an output path must not be empty');
  return {
    ramBytes,
    workload: workload as DemoOptions['workload'],
    dirtyRate: integer('dirty-rate', v['dirty-rate'], 20_000, 0),
    initdataBytes: size('initdata', v.initdata, 256 << 20, true),
    variants: v.compare ? [true, false] : [!v['no-switchover-ack']],
    downtimeLimitMs: integer('downtime-limit', v['downtime-limit'], 300, 1),
    maxBandwidth: size('max-bandwidth', v['max-bandwidth'], 100 * 2 ** 30, false),
    reportPath: v.report ?? 'livemig-demo-report.html',
    jsonPath: v.json,
    keep: v.keep ?? false,
    intervalMs: v.interval === undefined ? undefined : integer('interval', v.interval, 0, 50),
  };
}
