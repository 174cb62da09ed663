/** `livemig report RUN.json ...`: render saved run records as one HTML page. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderReport } from '../report/render.js';
import type { RunRecord } from '../report/run-record.js';
import { parseRunRecords, RunRecordError } from '../report/validate.js';
import { parseCommandLine, usageError } from './command-line.js';

export const REPORT_HELP = `Usage: livemig report RUN.json [RUN2.json ...] [options]

Render saved live-migration run records (as written by livemig demo) as one
self-contained HTML page: timelines, downtime bars, a summary table side by
side, capabilities, parameters and verification. The page needs no network.
A file may hold one record or an array of records; runs appear in order.

Options:
  -o, --output FILE   write the page to FILE (default: livemig-report.html)
      --title TEXT    the page title
  -h, --help          show this help
`;

export const DEFAULT_REPORT_FILE = 'livemig-report.html';

/** A problem with an input file, already phrased as the one line the user sees. */
class InputError extends Error {}

/** The records in one file; anything wrong with the file becomes an InputError. */
function readRuns(file: string): RunRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== undefined) throw new InputError(`${file}: ${err.message}`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON: ${(e as Error).message}`);
  }
  try {
    return parseRunRecords(json);
  } catch (e) {
    if (e instanceof RunRecordError)
      throw new InputError(`${file}: not a run record: ${e.message}`);
    throw e;
  }
}

export async function reportMain(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    'report',
    argv,
    { output: { type: 'string', short: 'o' }, title: { type: 'string' } },
    REPORT_HELP,
  );
  if (typeof args === 'number') return args;
  if (args.positionals.length === 0) {
    return usageError('report', 'expected at least one RUN.json (see --help)');
  }
  const output = resolve(args.values.output ?? DEFAULT_REPORT_FILE);
  const runs: RunRecord[] = [];
  try {
    for (const file of args.positionals) runs.push(...readRuns(file));
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`livemig report: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const title = args.values.title;
  const html = renderReport(runs, title === undefined ? {} : { title });
  try {
    writeFileSync(output, html);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === undefined) throw e;
    process.stderr.write(`livemig report: cannot write ${output}: ${err.message}\n`);
    return 1;
  }
  process.stdout.write(`${output}\n`);
  return 0;
}
