/** The rendered page as text: its structure, self-containment and robustness. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, DEFAULT_TITLE } from '../../../src/report/render.js';
import { formatBytes, formatMs } from '../../../src/report/format.js';
import type { RunRecord } from '../../../src/report/run-record.js';
import { ACK_FIXTURE, NO_ACK_FIXTURE, embeddedRuns, failedRun, fixtureRun } from './fixtures.js';

const ack = (): RunRecord => fixtureRun(ACK_FIXTURE);
const noAck = (): RunRecord => fixtureRun(NO_ACK_FIXTURE);

/** The attribute-free opening tags' ids in document order. */
function ids(html: string): string[] {
  return [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
}

/** The page before its scripts: what the renderer wrote as HTML. */
function markup(html: string): string {
  return html.slice(0, html.indexOf('<script'));
}

/** The inline scripts' texts (not the JSON data block). */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

test('one run: a complete HTML document with every section and its stable ids', () => {
  const html = renderReport([ack()]);
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<\/html>\n$/);
  assert.match(html, new RegExp(`<title>${DEFAULT_TITLE}</title>`));
  assert.deepEqual(
    ids(html).filter((id) => !id.startsWith('livemig')),
    [
      'summary-section',
      'summary',
      'downtime',
      'downtime-0',
      'run-0',
      'config-section',
      'config',
      'verification-section',
      'verification',
    ],
  );
  assert.match(html, /<section class="run" id="run-0" data-run="0">[\s\S]*?<div class="timeline"/);
  // The data block, uPlot and our chart script, in that order (the script needs both).
  const data = html.indexOf('id="livemig-runs"');
  const [uplot, ours] = scripts(html);
  assert.ok(data > 0 && uplot !== undefined && ours !== undefined);
  assert.match(uplot, /var uPlot=/);
  assert.ok(html.indexOf(uplot) > data && html.indexOf(ours) > html.indexOf(uplot));
  assert.match(ours, /livemig-runs/);
});

test('the page is self-contained: no URL, no external resource, and a CSP that forbids any', () => {
  const html = renderReport([ack(), noAck()]);
  assert.doesNotMatch(html, /[a-z][a-z0-9+.-]*:\/\//i, 'no scheme://');
  assert.doesNotMatch(html, /\s(src|href|action|srcset|poster)\s*=/i, 'no src/href attributes');
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /@import/i);
  assert.doesNotMatch(html, /url\(\s*['"]?(?!data:)/i, 'CSS url() only for data:');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  // uPlot's stylesheet and our own are both inline.
  assert.match(html, /<style>\.uplot, \.uplot \*/);
});

test('the chart script is valid JavaScript that depends on nothing but its argument', () => {
  const [, ours] = scripts(renderReport([ack()]));
  assert.ok(ours !== undefined);
  // Parses (new Function compiles without running) ...
  assert.doesNotThrow(() => new Function(ours));
  // ... and is one self-invoking function: nothing from the Node module leaked in.
  assert.match(ours, /^\(function drawTimelines\(style\) \{[\s\S]*\}\)\(\{"series":/);
  assert.doesNotMatch(ours, /\bimport\b|\brequire\(/);
});

test('the summary, downtime and setup show the record’s numbers, formatted', () => {
  const r = ack();
  const html = renderReport([r]);
  const summary = /<table id="summary"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  for (const [key, text] of [
    ['status', 'completed'],
    ['total', '2,915 ms'],
    ['setup', '11 ms'],
    ['downtime', '15 ms'],
    ['passes', '8'],
    ['transferred', formatBytes(r.summary.transferredBytes)],
    ['throughput', '1,057 Mbit/s'],
    ['zero-pages', '48,731'],
    ['normal-pages', '27,925'],
    ['ack', '2,893 ms'],
  ] as const) {
    assert.match(
      summary,
      new RegExp(
        `<tr[^>]*data-key="${key}"><th[^>]*>[^<]+</th><td data-run="0">(<span[^>]*>)?${text}<`,
      ),
      key,
    );
  }
  assert.doesNotMatch(summary, /data-key="error"/, 'no error row when no run failed');
  const downtime = /<div class="downtime-run" id="downtime-0"[\s\S]*?<\/ol>/.exec(html)?.[0] ?? '';
  assert.equal([...downtime.matchAll(/<div class="part"/g)].length, 4);
  for (const p of r.downtime.parts)
    assert.ok(
      downtime.includes(`${p.name}</span> <span class="part-ms">${formatMs(p.ms)}<`),
      p.name,
    );
  assert.match(downtime, /<b class="reported">15 ms<\/b>/);
  assert.match(downtime, /<b class="guest-visible">16 ms<\/b>/);
  assert.match(
    html,
    /data-key="cap-switchover-ack"><th[^>]*>switchover-ack<\/th><td data-run="0"><span class="on">on</,
  );
  assert.match(html, /data-key="param-downtime-limit">[\s\S]*?300 <span class="hint">\(300 ms\)/);
  assert.match(html, /data-key="initdata">[\s\S]*?256 MiB/);
  assert.match(html, /tcp:127\.0\.0\.1:4444/);
  assert.match(html, /2025-06-12T09:41:27\.512Z/);
  assert.match(html, /<li>RAM: 256 MiB identical \(65,536 pages\)<\/li>/);
  assert.match(html, /data-key="ram">[\s\S]*?<span class="check pass">✓ pass</);
});

test('two runs: side-by-side columns, both timelines, downtime bars on one scale', () => {
  const html = renderReport([ack(), noAck()], { title: 'ACK or not' });
  assert.match(html, /<title>ACK or not<\/title>/);
  assert.match(html, /<h1>ACK or not<\/h1>/);
  for (const table of ['summary', 'config', 'verification']) {
    const t = new RegExp(`<table id="${table}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
    assert.match(
      t,
      /<th scope="col" class="run-col" data-run="0">switchover-ack<\/th><th scope="col" class="run-col" data-run="1">no switchover-ack<\/th>/,
      table,
    );
    // Every body row has one cell per run.
    for (const row of t.matchAll(/<tr(?! class="group")[^>]*>(?:(?!<\/tr>)[\s\S])*<\/tr>/g)) {
      if (row[0].includes('<thead>') || row[0].includes('scope="col"')) continue;
      assert.equal([...row[0].matchAll(/<td /g)].length, 2, row[0]);
    }
  }
  assert.match(html, /id="run-0"[\s\S]*id="run-1"/);
  assert.match(
    html,
    /data-key="downtime"><th[^>]*>downtime<\/th><td data-run="0">15 ms<\/td><td data-run="1">1,411 ms</,
  );
  assert.match(
    html,
    /data-key="ack"><th[^>]*>[^<]*<\/th><td data-run="0">2,893 ms<\/td><td data-run="1">n\/a</,
  );
  // The longer downtime (9+2+1400+1 ms) spans the full width; the other is to scale.
  const widths = (i: number): number[] => {
    const block = new RegExp(`id="downtime-${i}"[\\s\\S]*?</ol>`).exec(html)?.[0] ?? '';
    return [...block.matchAll(/class="part"[^>]*width:([\d.]+)%/g)].map((m) => Number(m[1]));
  };
  const sum = (a: number[]): number => a.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(sum(widths(1)) - 100) < 0.01, String(widths(1)));
  assert.ok(Math.abs(sum(widths(0)) - (16 / 1412) * 100) < 0.01, String(widths(0)));
  assert.ok(widths(1)[2]! > 99 * (widths(1)[0]! / 9), 'load and preparation dominates');
  assert.match(html, /the full width is 1,412 ms/);
  // Both records are embedded, unchanged.
  assert.deepEqual(embeddedRuns(html), [ack(), noAck()]);
});

test('a failed run with nothing measured renders, showing n/a and its error', () => {
  const html = renderReport([failedRun()]);
  const summary = /<table id="summary"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  for (const key of ['total', 'setup', 'downtime', 'passes', 'transferred', 'throughput', 'ack']) {
    assert.match(
      summary,
      new RegExp(`data-key="${key}"><th[^>]*>[^<]+</th><td data-run="0">n/a</td>`),
      key,
    );
  }
  assert.match(summary, /<span class="status bad">failed<\/span>/);
  assert.match(
    summary,
    /data-key="error"><th[^>]*>error<\/th><td data-run="0">Failed to connect to &#39;127\.0\.0\.1:1&#39;: Connection refused</,
  );
  assert.match(
    html,
    /<div class="timeline empty" data-run="0"><p class="na">n\/a: no samples recorded/,
  );
  assert.match(html, /n\/a: downtime parts were not traced/);
  assert.match(html, /<b class="reported">n\/a<\/b>/);
  assert.match(html, /n\/a: no events recorded/);
  assert.match(html, /data-key="initdata">[\s\S]*?none/);
  assert.doesNotMatch(markup(html), /NaN|undefined|Infinity/);
});

test('a failed run next to a good one keeps the good one’s scale and columns', () => {
  const html = renderReport([failedRun(), ack()]);
  assert.match(
    html,
    /data-key="error"><th[^>]*>error<\/th><td data-run="0">Failed[^<]*<\/td><td data-run="1"><\/td>/,
  );
  assert.match(
    html,
    /data-key="cap-switchover-ack"><th[^>]*>[^<]*<\/th><td data-run="0"><span class="na">not set<\/span><\/td><td data-run="1"><span class="on">on/,
  );
  assert.doesNotMatch(markup(html), /NaN|undefined|Infinity/);
});

test('odd but valid records render: one sample, unknown part names, zero downtime', () => {
  const r = ack();
  r.samples = r.samples.slice(0, 1);
  r.events = [];
  r.downtime = { reportedMs: 0, guestVisibleMs: 0, parts: [{ name: 'everything', ms: 0 }] };
  const html = renderReport([r]);
  assert.match(html, /n\/a: downtime parts were not traced/, 'a zero scale has no bar to draw');
  assert.doesNotMatch(markup(html), /NaN|Infinity/);
  assert.match(renderReport([]), /n\/a: no runs to show/);
});
