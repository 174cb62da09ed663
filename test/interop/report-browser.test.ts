// The HTML report in a real browser (saved records, and a real demo run): the page opened from a file, offline, must
// draw its charts without errors and show the record's numbers as text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatMbps,
  formatMs,
} from '../../src/report/format.js';
import { renderReport } from '../../src/report/render.js';
import type { RunRecord } from '../../src/report/run-record.js';
import { CHROMIUM_LAUNCH, missingChromium } from './helpers/chromium.js';
import { mustHaveTools, repoRoot } from './helpers/env.js';
// The unit tests' fixture helpers: the same saved records, found the same way.
import { ACK_FIXTURE, NO_ACK_FIXTURE, failedRun, fixtureRun } from '../unit/report/fixtures.js';

const missing = missingChromium();

if (missing !== undefined && mustHaveTools()) {
  test('Chromium prerequisite', () => assert.fail(`${missing}; LIVEMIG_REQUIRE_QEMU=1`));
}

/**
 * Runs in the page: the canvas's size and how many of its pixels are drawn
 * (neither transparent nor white), and how many are close to `rgb`.
 */
const CANVAS_PIXELS = `(args) => {
  const canvas = document.querySelector(args.selector);
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  const near = {};
  for (const name of Object.keys(args.colours)) near[name] = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
    if (a === 0 || (r > 245 && g > 245 && b > 245)) continue;
    drawn++;
    for (const [name, c] of Object.entries(args.colours)) {
      if (a > 200 && Math.abs(r - c[0]) < 40 && Math.abs(g - c[1]) < 40 && Math.abs(b - c[2]) < 40) near[name]++;
    }
  }
  return { width: canvas.width, height: canvas.height, drawn, near };
}`;

interface CanvasPixels {
  width: number;
  height: number;
  drawn: number;
  near: Record<string, number>;
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [n >> 16, (n >> 8) & 0xff, n & 0xff];
}

/** Everything that goes wrong in a page: errors, failed loads, any request not for the file itself. */
function watch(page: Page, pageUrl: string): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (r.url() !== pageUrl && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
  });
  return problems;
}

describe('the HTML report in headless Chromium', { skip: missing }, () => {
  let browser: Browser;
  let dir = '';
  const shots = process.env.LIVEMIG_SCREENSHOT_DIR ?? tmpdir();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livemig-report-browser-'));
    browser = await chromium.launch(CHROMIUM_LAUNCH);
  });

  after(async () => {
    await browser?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Render, write to a file, open it from a file: URL, wait for the charts. */
  async function open(
    runs: RunRecord[],
    name: string,
    title?: string,
  ): Promise<{ page: Page; problems: string[] }> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderReport(runs, title === undefined ? {} : { title }));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(file).href;
    const problems = watch(page, url);
    await page.goto(url);
    await page.waitForSelector('body[data-charts="ready"]');
    return { page, problems };
  }

  test('two runs: timelines drawn with markers, downtime and numbers visible, no errors', async (t) => {
    const runs = [fixtureRun(ACK_FIXTURE), fixtureRun(NO_ACK_FIXTURE)];
    const { page, problems } = await open(runs, 'two-runs');

    for (const [i, run] of runs.entries()) {
      const canvas = page.locator(`#run-${i} .timeline canvas`).first();
      const box = await canvas.boundingBox();
      assert.ok(
        box !== null && box.width > 600 && box.height > 200,
        `run ${i} canvas box ${JSON.stringify(box)}`,
      );
      const px = (await page.evaluate(
        `(${CANVAS_PIXELS})(${JSON.stringify({
          selector: `#run-${i} .timeline canvas`,
          colours: { stop: rgb('#d62728'), ack: rgb('#7b3fb5'), remaining: rgb('#4e79a7') },
        })})`,
      )) as CanvasPixels;
      assert.ok(px.width > 0 && px.height > 0);
      assert.ok(px.drawn > 2000, `run ${i}: only ${px.drawn} drawn pixels`);
      assert.ok(px.near.remaining! > 200, `run ${i}: remaining-RAM line: ${px.near.remaining}`);
      assert.ok(px.near.stop! > 20, `run ${i}: stop marker: ${px.near.stop}`);
      if (i === 0) assert.ok(px.near.ack! > 20, `ACK marker: ${px.near.ack}`);
      const markers = run.events.filter((e) => e.kind !== 'status').length;
      assert.equal(await page.getAttribute(`#run-${i} .timeline`, 'data-markers'), String(markers));

      // The downtime parts: four visible segments, and their numbers as text.
      const parts = page.locator(`#downtime-${i} .downtime-bar .part`);
      assert.equal(await parts.count(), 4);
      for (let k = 0; k < 4; k++) {
        const b = await parts.nth(k).boundingBox();
        assert.ok(b !== null && b.width > 0 && b.height > 0, `run ${i} part ${k}`);
      }
      const downtimeText = await page.locator(`#downtime-${i}`).innerText();
      for (const p of run.downtime.parts) {
        assert.ok(
          downtimeText.includes(p.name) && downtimeText.includes(formatMs(p.ms)),
          `${p.name} ${p.ms}`,
        );
      }
      assert.ok(downtimeText.includes(formatMs(run.downtime.reportedMs)));
      assert.ok(downtimeText.includes(formatMs(run.downtime.guestVisibleMs)));

      // The summary column of this run.
      const column = (await page.locator(`#summary td[data-run="${i}"]`).allInnerTexts()).join(
        '\n',
      );
      for (const expected of [
        run.summary.status,
        formatDuration(run.summary.totalMs),
        formatMs(run.summary.setupMs),
        formatMs(run.summary.downtimeMs),
        formatCount(run.summary.passes),
        formatBytes(run.summary.transferredBytes),
        formatMbps(run.summary.throughputMbps),
        formatCount(run.summary.zeroPages),
        formatCount(run.summary.normalPages),
        formatMs(run.summary.ackMs),
      ]) {
        assert.ok(
          column.split('\n').includes(expected),
          `run ${i} summary lacks "${expected}" in ${JSON.stringify(column)}`,
        );
      }
    }
    // One scale: the 1,412 ms bar is far wider than the 16 ms one.
    const width = async (i: number): Promise<number> => {
      const boxes = await Promise.all(
        (await page.locator(`#downtime-${i} .part`).all()).map((p) => p.boundingBox()),
      );
      return boxes.reduce((s, b) => s + (b?.width ?? 0), 0);
    };
    assert.ok((await width(1)) > 20 * (await width(0)));

    const config = await page.locator('#config').innerText();
    for (const text of [
      'switchover-ack',
      'tcp:127.0.0.1:4444',
      '256 MiB',
      '2025-06-12T09:41:27.512Z',
      '0.1.0',
    ]) {
      assert.ok(config.includes(text), text);
    }
    const verification = await page.locator('#verification').innerText();
    assert.ok(verification.includes('RAM: 256 MiB identical (65,536 pages)'));
    assert.ok(verification.includes('✓ pass'));

    mkdirSync(shots, { recursive: true });
    const shot = join(shots, 'livemig-report-two-runs.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a failed run and a hostile label: n/a shown, the label stays text, no errors', async (t) => {
    const hostile =
      '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    const good = fixtureRun(ACK_FIXTURE);
    good.label = hostile;
    const { page, problems } = await open([failedRun(), good], 'failed-and-hostile', hostile);

    assert.equal(await page.evaluate('window.pwned'), undefined);
    assert.equal(await page.locator('h1').innerText(), hostile);
    assert.equal(await page.title(), hostile);
    assert.equal(await page.locator('img').count(), 0);
    assert.ok(await page.locator('#run-0 .timeline.empty').isVisible());
    assert.match(await page.locator('#run-0 .timeline').innerText(), /n\/a: no samples recorded/);
    assert.equal(await page.locator('#run-0 .timeline canvas').count(), 0);
    assert.ok((await page.locator('#run-1 .timeline canvas').count()) > 0);
    assert.match(
      await page.locator('#downtime-0').innerText(),
      /n\/a: downtime parts were not traced/,
    );
    const failedColumn = await page.locator('#summary td[data-run="0"]').allInnerTexts();
    assert.ok(failedColumn.filter((c) => c === 'n/a').length >= 8, JSON.stringify(failedColumn));
    assert.ok(failedColumn.some((c) => c.includes('Connection refused')));

    mkdirSync(shots, { recursive: true });
    const shot = join(shots, 'livemig-report-failed-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("the report of a real demo run shows that run's numbers", async (t) => {
    const report = join(dir, 'demo.html');
    const json = join(dir, 'demo.json');
    const r = spawnSync(
      process.execPath,
      [
        join(repoRoot(), 'dist/src/cli/main.js'),
        'demo',
        '--ram',
        '32M',
        '--initdata',
        '16M',
        '--report',
        report,
        '--json',
        json,
      ],
      { encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [run] = JSON.parse(readFileSync(json, 'utf8')) as RunRecord[];
    assert.ok(run !== undefined && run.summary.status === 'completed');
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(report).href;
    const problems = watch(page, url);
    await page.goto(url);
    await page.waitForSelector('body[data-charts="ready"]');

    const px = (await page.evaluate(
      `(${CANVAS_PIXELS})(${JSON.stringify({ selector: '#run-0 .timeline canvas', colours: {} })})`,
    )) as CanvasPixels;
    assert.ok(px.drawn > 2000, `only ${px.drawn} drawn pixels`);
    const column = (await page.locator('#summary td[data-run="0"]').allInnerTexts()).join('\n');
    for (const expected of [
      'completed',
      formatMs(run.summary.downtimeMs),
      formatCount(run.summary.passes),
      formatBytes(run.summary.transferredBytes),
      formatMs(run.summary.ackMs),
    ]) {
      assert.ok(column.includes(expected), `summary lacks "${expected}" in ${column}`);
    }
    const downtime = await page.locator('#downtime-0').innerText();
    for (const p of run.downtime.parts) assert.ok(downtime.includes(formatMs(p.ms)), p.name);
    const verification = await page.locator('#verification').innerText();
    for (const d of run.verification.details) assert.ok(verification.includes(d), d);

    mkdirSync(shots, { recursive: true });
    const shot = join(shots, 'livemig-report-demo-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
