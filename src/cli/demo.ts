/** `livemig demo`: a live migration on this machine, verified, with an HTML report. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoRun, runLabel } from '../demo/demo-run.js';
import { renderReport } from '../report/render.js';
import type { RunRecord } from '../report/run-record.js';
import { DEMO_HELP, parseDemoArgs, type DemoOptions } from './demo-options.js';
import { optionsOrExit } from './command-line.js';
import type { Output } from './migrate-progress.js';

function fail(message: string, code: number): number {
  process.stderr.write(`livemig demo: ${message}\n`);
  return code;
}

function writeFile(file: string, text: string): string {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
}

/** "switchover-ack: downtime 12 ms; no switchover-ack: 1430 ms (119x)". */
function comparison(records: RunRecord[]): string | undefined {
  if (records.length < 2) return undefined;
  const parts = records.map((r) => {
    const d = r.downtime.guestVisibleMs ?? r.summary.downtimeMs;
    return { label: r.label, d };
  });
  const [a, b] = parts;
  if (a?.d === undefined || b?.d === undefined) return undefined;
  const ratio = a.d > 0 ? ` (${(b.d / a.d).toFixed(1)}x)` : '';
  return (
    `Guest-visible downtime: ${a.label} ${a.d.toFixed(1)} ms, ` +
    `${b.label} ${b.d.toFixed(1)} ms${ratio}\n`
  );
}

async function demo(opts: DemoOptions, out: Output): Promise<number> {
  const records: RunRecord[] = [];
  let ok = true;
  for (const [i, switchoverAck] of opts.variants.entries()) {
    if (opts.variants.length > 1)
      out.write(`\n== Run ${i + 1} of ${opts.variants.length}: ${runLabel(switchoverAck)} ==\n`);
    const r = await demoRun({ ...opts, switchoverAck }, out);
    records.push(r.record);
    ok &&= r.ok;
    if (r.record.summary.status !== 'completed') break;
  }
  out.write('\n');
  const cmp = comparison(records);
  if (cmp) out.write(cmp);
  const report = writeFile(opts.reportPath, renderReport(records));
  out.write(`Report: ${report}\n`);
  if (opts.jsonPath !== undefined) {
    const json = writeFile(opts.jsonPath, JSON.stringify(records, null, 2) + '\n');
    out.write(`Run records: ${json} (re-render with: livemig report ${opts.jsonPath})\n`);
  }
  if (!ok) return fail('the migration did not complete and verify', 1);
  out.write('Demo passed: the guest was migrated live and verified on the destination.\n');
  return 0;
}

export async function demoMain(argv: string[], out: Output = process.stdout): Promise<number> {
  const opts = optionsOrExit('demo', () => parseDemoArgs(argv), DEMO_HELP);
  if (typeof opts === 'number') return opts;
  // Outside a migration (which cancels on Ctrl-C itself) a signal ends the demo;
  // exiting runs the hook that kills the VMs it started.
  const onSignal = (): void => {
    if (process.listenerCount('SIGINT') > 1) return;
    process.stderr.write('livemig demo: interrupted; stopping the VMs\n');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await demo(opts, out);
  } catch (e) {
    return fail((e as Error).message, 1);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
