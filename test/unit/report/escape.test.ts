/** Text from a record can never escape its context: not the HTML, not the JSON data block. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedJson, escapeHtml, inlineScriptText } from '../../../src/report/html.js';
import { renderReport } from '../../../src/report/render.js';
import type { RunRecord } from '../../../src/report/run-record.js';
import { ACK_FIXTURE, embeddedRuns, fixtureRun } from './fixtures.js';

const HOSTILE =
  '</script><script>window.pwned=1</script><img src=x onerror="alert(1)"> & \u2028\u2029 <!--';

test('escapeHtml escapes the five characters that matter in text and attributes', () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&amp;</a>`),
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
  );
  assert.equal(escapeHtml('plain text, 256 MiB'), 'plain text, 256 MiB');
});

test('embedJson leaves no <, >, & or line separator, and parses back to the same value', () => {
  const value = { label: HOSTILE, n: [1, 2.5], nested: { s: '<>&' } };
  const json = embedJson(value);
  assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
  assert.match(json, /\\u003c\/script\\u003e/);
  assert.deepEqual(JSON.parse(json), value);
});

test('inlined JavaScript cannot close its script element', () => {
  assert.equal(
    inlineScriptText('var s = "</script>"; var r = /<\\/SCRIPT/;'),
    'var s = "<\\/script>"; var r = /<\\/SCRIPT/;',
  );
  // The rewrite keeps the meaning of a string literal.
  assert.equal(new Function(`return ${inlineScriptText('"a</script>b"')}`)(), 'a</script>b');
});

test('a hostile label, detail and error stay text everywhere on the page', () => {
  const r: RunRecord = fixtureRun(ACK_FIXTURE);
  r.label = HOSTILE;
  r.verification.details.push(HOSTILE);
  r.summary.errorDesc = HOSTILE;
  r.events.push({ tMs: 5, kind: 'status', side: 'source', detail: HOSTILE });
  r.setup.parameters['x-weird'] = HOSTILE;
  r.setup.capabilities[HOSTILE] = true;
  const html = renderReport([r], { title: HOSTILE });
  // Exactly our three scripts: the JSON block, uPlot and the chart script.
  assert.equal([...html.matchAll(/<script\b/gi)].length, 3);
  assert.equal([...html.matchAll(/<\/script>/gi)].length, 3);
  assert.doesNotMatch(html, /<img\b/i);
  assert.doesNotMatch(html, /<!--/);
  assert.ok(
    html.includes(
      '&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp;',
    ),
  );
  // The data block still holds the record exactly.
  assert.deepEqual(embeddedRuns(html), [JSON.parse(JSON.stringify(r))]);
});
