/** The lint rule that keeps src/protocol/ pure really fires (and only there). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

async function lint(code: string, file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintText(code, { filePath: `${repo}${file}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

test('src/protocol/ may not import sockets, files, timers or threads', async () => {
  for (const mod of ['node:net', 'node:fs', 'fs', 'node:worker_threads', 'node:timers']) {
    const rules = await lint(`import x from '${mod}';\nexport const y = x;\n`, 'src/protocol/x.ts');
    assert.ok(rules.includes('no-restricted-imports'), `${mod}: ${rules.join(',')}`);
  }
  const timers = await lint('export const t = setTimeout(() => {}, 1);\n', 'src/protocol/x.ts');
  assert.ok(timers.includes('no-restricted-globals'));
});

test('other layers may', async () => {
  const rules = await lint("import net from 'node:net';\nexport const y = net;\n", 'src/cli/x.ts');
  assert.deepEqual(rules, []);
});
