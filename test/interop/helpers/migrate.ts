// QMP steps shared by the interop tests: wait for guest progress, migrate to a file.
import { access, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Json, QmpClient } from './qmp.js';

/** Waits until `file` holds at least `count` copies of `ch` (the guest's progress marks). */
export async function waitForSerial(
  file: string,
  ch: string,
  count: number,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'latin1').catch(() => '');
    const seen = text.split(ch).length - 1;
    if (seen >= count) return seen;
    if (Date.now() > deadline) {
      throw new Error(`serial ${file}: ${seen} x '${ch}' after ${timeoutMs} ms, wanted ${count}`);
    }
    await sleep(50);
  }
}

/**
 * Migrates to `file` through QEMU's exec: transport (a shell runs `cat > file`)
 * and polls query-migrate until it is completed; any other final state throws.
 * "completed" can be reported while cat is still draining the pipe, so the shell
 * also creates `file.done` once cat has exited, and we wait for that too.
 */
export async function migrateToFile(
  qmp: QmpClient,
  file: string,
  timeoutMs = 60_000,
): Promise<Record<string, Json>> {
  if (/['\\]/.test(file)) throw new Error(`path not safe for a shell command: ${file}`);
  const done = `${file}.done`;
  await qmp.execute('migrate', { uri: `exec:cat > '${file}' && touch '${done}'` });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await qmp.execute('query-migrate')) as Record<string, Json>;
    if (info.status === 'completed') {
      await waitForFile(done, deadline);
      return info;
    }
    if (info.status === 'failed' || info.status === 'cancelled') {
      throw new Error(`migration ${String(info.status)}: ${JSON.stringify(info)}`);
    }
    if (Date.now() > deadline) throw new Error(`migration not done: ${JSON.stringify(info)}`);
    await sleep(50);
  }
}

/** Note: the writer's end closes when QEMU cleans up the migration, shortly after "completed". */
async function waitForFile(path: string, deadline: number): Promise<void> {
  for (;;) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`${path} never appeared`);
    await sleep(20);
  }
}
