/** `livemig report` as a user runs it: a real process, real files, one-line errors, exit codes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ACK_FIXTURE, NO_ACK_FIXTURE, embeddedRuns, fixtureJson, fixturePath } from './fixtures.js';

// main.ts wires the subcommand; this test runs reportMain itself in a child process.
const reportModule = new URL('../../../src/cli/report.js', import.meta.url).href;
const runner = `const { reportMain } = await import(process.argv[1]);
process.exitCode = await reportMain(process.argv.slice(2));`;

const work = mkdtempSync(path.join(tmpdir(), 'livemig-report-'));
after(() => rmSync(work, { recursive: true, force: true }));

function report(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', runner, reportModule, ...args],
    { encoding: 'utf8', cwd: work },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = path.join(work, name);
  writeFileSync(p, text);
  return p;
}

test('--help prints the usage and exits 0', () => {
  const r = report('--help');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: livemig report RUN\.json \[RUN2\.json \.\.\.\] \[options\]/);
  assert.match(r.stdout, /-o, --output FILE/);
  assert.equal(report('-h').stdout, r.stdout);
});

test('bad usage exits 2 with one line', () => {
  for (const args of [[], ['--frobnicate', fixturePath(ACK_FIXTURE)], ['-o']]) {
    const r = report(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^livemig report: .+\n$/);
    assert.equal(r.stdout, '');
  }
  assert.match(report().stderr, /expected at least one RUN\.json/);
});

test('bad input exits 1 with one line naming the file and the problem', () => {
  const cases: [string, RegExp][] = [
    [path.join(work, 'missing.json'), /missing\.json: ENOENT: no such file or directory/],
    [file('broken.json', '{"version": 1,'), /broken\.json: not JSON: /],
    [
      file('v2.json', '{"version": 2}'),
      /v2\.json: not a run record: version: unsupported run record version 2/,
    ],
    [
      file('other.json', '{"name": "x"}'),
      /other\.json: not a run record: version: missing; not a livemig run record/,
    ],
    [
      file(
        'bad-sample.json',
        JSON.stringify({ ...(fixtureJson(ACK_FIXTURE) as object), samples: [{}] }),
      ),
      /bad-sample\.json: not a run record: samples\[0\]\.tMs: expected a number/,
    ],
    [work, /EISDIR/],
  ];
  for (const [input, message] of cases) {
    const r = report(input);
    assert.equal(r.code, 1, `${input}: ${r.stderr}`);
    assert.match(r.stderr, /^livemig report: [^\n]+\n$/);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('an unwritable output exits 1', () => {
  const r = report(fixturePath(ACK_FIXTURE), '-o', path.join(work, 'no-such-dir', 'r.html'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^livemig report: cannot write .*r\.html: ENOENT/);
});

test('by default the page goes to livemig-report.html in the working directory; the path is printed', () => {
  const r = report(fixturePath(ACK_FIXTURE));
  assert.equal(r.code, 0, r.stderr);
  const out = path.join(work, 'livemig-report.html');
  assert.equal(r.stdout, `${out}\n`);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<title>livemig live migration report<\/title>/);
  assert.deepEqual(embeddedRuns(html), [fixtureJson(ACK_FIXTURE)]);
});

test('several files (one holding an array) make one page, in order, with -o and --title', () => {
  const pair = file(
    'pair.json',
    JSON.stringify([fixtureJson(NO_ACK_FIXTURE), fixtureJson(ACK_FIXTURE)]),
  );
  const r = report(
    fixturePath(ACK_FIXTURE),
    pair,
    '--output',
    'out/../cmp.html',
    '--title',
    'A & B',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${path.join(work, 'cmp.html')}\n`);
  const html = readFileSync(path.join(work, 'cmp.html'), 'utf8');
  assert.match(html, /<title>A &amp; B<\/title>/);
  assert.deepEqual(
    (embeddedRuns(html) as { label: string }[]).map((x) => x.label),
    ['switchover-ack', 'no switchover-ack', 'switchover-ack'],
  );
});
