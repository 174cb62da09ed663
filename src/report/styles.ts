/** The report's stylesheet: a light, print-friendly page, readable at 1200 px. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa;
  --ok: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header .meta { color: var(--muted); margin: 0; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 10px; }
.na { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); font-weight: 600; }
tbody th { font-weight: 500; color: var(--muted); white-space: nowrap; width: 220px; }
tr.num td { text-align: right; }
table.compare td { min-width: 160px; }
#summary { width: auto; min-width: 60%; }
#config, #verification { table-layout: fixed; }
#config thead th:first-child, #verification thead th:first-child { width: 220px; }
#summary td { min-width: 220px; }
tr.group th { background: var(--bg-alt); color: var(--fg); font-weight: 600; padding-top: 10px; }
tr.warn td { color: var(--bad); }
.status.ok, .check.pass, .on { color: var(--ok); font-weight: 600; }
.status.bad, .check.fail { color: var(--bad); font-weight: 600; }
.off { color: var(--muted); }
.hint { color: var(--muted); }
ul.details { margin: 0; padding-left: 18px; }
.downtime-run { margin: 14px 0 18px; }
.downtime-head { display: flex; justify-content: space-between; align-items: baseline; gap: 16px; }
.run-label { font-weight: 600; }
.downtime-numbers { color: var(--muted); }
.downtime-numbers b { color: var(--fg); }
.downtime-row { display: flex; align-items: center; gap: 10px; margin: 6px 0; }
.downtime-bar { flex: 1; display: flex; align-items: center; height: 28px; background: var(--bg-alt);
  border: 1px solid var(--line); border-radius: 4px; overflow: hidden; }
.downtime-bar .part { flex: none; height: 100%; min-width: 3px; border-right: 1px solid #fff; }
.bar-total { width: 90px; text-align: right; font-size: 14px; font-weight: 600; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.downtime-bar.empty { justify-content: flex-start; padding: 0 10px; }
.downtime-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 20px; margin: 0; padding: 0;
  font-size: 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; }
.part-ms { font-variant-numeric: tabular-nums; font-weight: 600; }
.timeline { min-height: 120px; }
.timeline.empty { display: flex; align-items: center; justify-content: center; background: var(--bg-alt);
  border: 1px dashed var(--line); }
.chart-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 8px 0;
  font-size: 13px; color: var(--muted); }
.chart-legend .vline { display: inline-block; height: 13px; margin-right: 6px; vertical-align: -2px; }
.chart-legend b { color: var(--fg); font-weight: 600; }
details.events { margin-top: 8px; font-size: 14px; }
details.events summary { cursor: pointer; color: var(--muted); }
.events-table td.num { text-align: right; width: 110px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;
