/**
 * The HTML report of one or more live migrations: a single self-contained page
 * (styles, uPlot, data and our chart script all inline, no URL anywhere) that a
 * browser shows offline. Everything except the charts is rendered here as plain
 * HTML, so the numbers are text a reader can copy and a test can find.
 */
import { uplotAssets } from './assets.js';
import { chartScript } from './chart-script.js';
import { CHART_STYLE } from './chart-style.js';
import { configTable } from './config-table.js';
import { downtimeSection } from './downtime-bars.js';
import { embedJson, escapeHtml, inlineScriptText, inlineStyleText } from './html.js';
import type { RunRecord } from './run-record.js';
import { REPORT_CSS } from './styles.js';
import { summaryTable } from './summary-table.js';
import { runSection } from './timeline.js';
import { verificationTable } from './verification-table.js';

export interface RenderOptions {
  /** The page title and heading; by default it names the runs. */
  title?: string;
}

export const DEFAULT_TITLE = 'livemig live migration report';

/**
 * Everything the page may load: nothing. Inline scripts and styles are the
 * whole page, so a report can never reach the network, even if a record's text
 * tried to.
 */
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

function subtitle(runs: RunRecord[]): string {
  if (runs.length === 0) return 'No runs.';
  const versions = [...new Set(runs.map((r) => r.livemigVersion))].join(', ');
  const names = runs.map((r) => `“${r.label}”`).join(' vs ');
  return `${runs.length === 1 ? '1 run' : `${runs.length} runs`}: ${names}. livemig ${versions}.`;
}

export function renderReport(runs: RunRecord[], opts: RenderOptions = {}): string {
  const title = opts.title ?? DEFAULT_TITLE;
  const uplot = uplotAssets();
  const body =
    runs.length === 0
      ? '<p class="na">n/a: no runs to show.</p>'
      : `<section id="summary-section">
<h2>Summary</h2>
${summaryTable(runs)}
</section>
${downtimeSection(runs)}
${runs.map((r, i) => runSection(r, i)).join('\n')}
<section id="config-section">
<h2>Setup, capabilities and parameters</h2>
${configTable(runs)}
</section>
<section id="verification-section">
<h2>Verification</h2>
${verificationTable(runs)}
</section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="livemig report">
<title>${escapeHtml(title)}</title>
<style>${inlineStyleText(uplot.css)}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(subtitle(runs))}</p>
</header>
${body}
<footer>Rendered by livemig report. Charts by uPlot ${escapeHtml(uplot.version)} (MIT License, Leon Sorokin), included in this page.</footer>
</main>
<script type="application/json" id="livemig-runs">${embedJson(runs)}</script>
<script>${inlineScriptText(uplot.js)}</script>
<script>${chartScript(CHART_STYLE)}</script>
</body>
</html>
`;
}
