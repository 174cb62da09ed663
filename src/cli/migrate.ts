/** `livemig migrate --from SRC --to DST [--wait]`: an operator's migration, like virsh migrate. */
import { QmpClient } from '../qmp/client/client.js';
import { optionsOrExit } from './command-line.js';
import type { MigrationInfo } from '../qmp/client/types.js';
import { FollowControl, followMigration, type FollowResult } from './migrate-follow.js';
import { MIGRATE_HELP, parseMigrateArgs, type MigrateOptions } from './migrate-options.js';
import { ProgressRenderer, type Output } from './migrate-progress.js';
import { MigrateError, prepareMigration } from './migrate-setup.js';
import { formatSummary } from './migrate-summary.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fail(message: string, code: number): number {
  process.stderr.write(`livemig migrate: ${message}\n`);
  return code;
}

async function connect(side: string, address: string, timeoutMs: number): Promise<QmpClient> {
  try {
    return await QmpClient.connect(address, { timeoutMs, commandTimeoutMs: 30_000 });
  } catch (e) {
    throw new MigrateError(`${side}: ${(e as Error).message}`);
  }
}

/** Without --wait: returns once the source reports the migration under way (or over). */
async function waitStarted(src: QmpClient): Promise<MigrationInfo> {
  for (let i = 0; ; i++) {
    const info = await src.execute('query-migrate');
    if (info.status !== undefined && info.status !== 'none') return info;
    if (i > 100) throw new MigrateError('source: the migration did not start');
    await sleep(20);
  }
}

/** "completed, running": the destination's incoming status once settled, and its run state. */
async function destinationState(dst: QmpClient): Promise<string> {
  try {
    let info: MigrationInfo = {};
    for (let i = 0; i < 50; i++) {
      info = await dst.execute('query-migrate', undefined, { timeoutMs: 2000 });
      if (info.status === 'completed' || info.status === 'failed') break;
      await sleep(100);
    }
    const st = await dst.execute('query-status', undefined, { timeoutMs: 2000 });
    return `${info.status ?? 'none'}, ${st.status}`;
  } catch (e) {
    return `unreachable (${(e as Error).message})`;
  }
}

async function runStateOf(c: QmpClient): Promise<string> {
  try {
    const st = await c.execute('query-status', undefined, { timeoutMs: 5000 });
    return st.status;
  } catch (e) {
    return `unknown (${(e as Error).message})`;
  }
}

async function followToEnd(
  src: QmpClient,
  dst: QmpClient,
  opts: MigrateOptions,
  startedAt: number,
  out: Output,
): Promise<number> {
  const renderer = new ProgressRenderer(out);
  const ctl = new FollowControl(src, renderer);
  let firstSignalAt: number | undefined;
  const onSignal = (): void => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      ctl.cancel();
      return;
    }
    // A second Ctrl-C is the way out if the source never settles. Copies arriving at
    // once (timeout(1) or a shell signals the process and its group) do not count.
    if (Date.now() - firstSignalAt < 500) return;
    process.stderr.write('livemig migrate: interrupted again, exiting without waiting\n');
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let res: FollowResult;
  try {
    res = await followMigration(src, ctl, {
      startedAt,
      intervalMs: opts.intervalMs ?? (renderer.tty ? 500 : 1000),
      switchoverAck: opts.caps.get('switchover-ack') === true,
      renderer,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const status = res.info.status;
  out.write(
    '\n' +
      formatSummary({
        ...res,
        wallMs: Date.now() - startedAt,
        switchoverAck: opts.caps.get('switchover-ack') === true,
        sourceRunState: await runStateOf(src),
        destination: status === 'completed' ? await destinationState(dst) : undefined,
      }),
  );
  if (status === 'completed') return 0;
  if (status === 'cancelled') {
    process.stderr.write(
      `livemig migrate: migration cancelled; the source VM is ${await runStateOf(src)}\n`,
    );
  } else {
    process.stderr.write(
      `livemig migrate: migration failed: ${res.info['error-desc'] ?? 'no error reported'}\n`,
    );
  }
  return 1;
}

async function migrate(opts: MigrateOptions, out: Output): Promise<number> {
  const src = await connect('source', opts.from, opts.timeoutMs);
  let dst: QmpClient | undefined;
  try {
    dst = await connect('destination', opts.to, opts.timeoutMs);
    const uri = await prepareMigration(src, dst, opts);
    const startedAt = Date.now();
    try {
      await src.execute('migrate', { uri });
    } catch (e) {
      throw new MigrateError(`source: migrate ${uri}: ${(e as Error).message}`);
    }
    out.write(`Migrating ${opts.from} -> ${opts.to} over ${uri}\n`);
    if (opts.wait) return await followToEnd(src, dst, opts, startedAt, out);
    const info = await waitStarted(src);
    if (info.status === 'failed') {
      return fail(`migration failed: ${info['error-desc'] ?? 'no error reported'}`, 1);
    }
    out.write(`Migration ${info.status}; follow it with: livemig qmp ${opts.from} query-migrate\n`);
    return 0;
  } finally {
    await Promise.all([src.close(), dst?.close()]);
  }
}

export async function migrateMain(argv: string[], out: Output = process.stdout): Promise<number> {
  const opts = optionsOrExit('migrate', () => parseMigrateArgs(argv), MIGRATE_HELP);
  if (typeof opts === 'number') return opts;
  // A closed pipe (| head) must not kill the command mid-migration: keep following, quietly.
  const onOutError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
  };
  process.stdout.on('error', onOutError);
  try {
    return await migrate(opts, out);
  } catch (e) {
    if (e instanceof MigrateError) return fail(e.message, 1);
    return fail((e as Error).message, 1);
  } finally {
    process.stdout.off('error', onOutError);
  }
}
