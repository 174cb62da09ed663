/**
 * `livemig migrate --wait`: polls the source's query-migrate until the
 * migration ends, drawing the progress, and cancels on request. Polling (not
 * events alone) drives it because only query-migrate carries the counters; a
 * MIGRATION event only wakes the loop early so short states are not missed.
 */
import type { QmpClient } from '../qmp/client/client.js';
import type { MigrationInfo, MigrationStats } from '../qmp/client/types.js';
import { ackState, type ProgressRenderer } from './migrate-progress.js';
import { MigrateError } from './migrate-setup.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export interface FollowResult {
  info: MigrationInfo;
  ram: MigrationStats | undefined;
  /** ms after `startedAt` when the source's STOP event arrived (the switchover). */
  stopMs: number | undefined;
  cancelRequested: boolean;
}

export interface FollowOptions {
  startedAt: number;
  /** How often the progress is drawn. */
  intervalMs: number;
  switchoverAck: boolean;
  renderer: ProgressRenderer;
  /** Poll query-migrate this often (default: intervalMs); the demo samples finer than it draws. */
  pollMs?: number;
  /** Every query-migrate reply, with ms since startedAt. */
  onSample?: (info: MigrationInfo, elapsedMs: number) => void;
}

/** Handle for the signal handler: cancel() asks the source to cancel, once. */
export class FollowControl {
  cancelRequested = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly src: QmpClient,
    private readonly renderer: ProgressRenderer,
  ) {}

  cancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.renderer.note('Interrupted: cancelling the migration (migrate_cancel)...');
    this.src.execute('migrate_cancel', undefined, { timeoutMs: 10_000 }).then(
      () => this.wake(),
      (e: unknown) => this.renderer.note(`migrate_cancel failed: ${(e as Error).message}`),
    );
  }

  wake(): void {
    this.#wake?.();
  }

  /** Resolves after `ms` or at the next wake(), whichever is first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

export async function followMigration(
  src: QmpClient,
  ctl: FollowControl,
  opts: FollowOptions,
): Promise<FollowResult> {
  let stopMs: number | undefined;
  const watcher = new AbortController();
  // STOP needs no capability; it is the first visible moment of the switchover.
  void (async () => {
    for await (const ev of src.events({ signal: watcher.signal })) {
      if (ev.event === 'STOP' && stopMs === undefined) stopMs = Date.now() - opts.startedAt;
      if (ev.event === 'MIGRATION') ctl.wake();
    }
  })().catch(() => undefined);

  let ram: MigrationStats | undefined;
  let setupTime: MigrationInfo['setup-time'];
  let drawnAt = -Infinity;
  let drawnStatus: string | undefined;
  try {
    for (;;) {
      let info: MigrationInfo;
      try {
        info = await src.execute('query-migrate', undefined, { timeoutMs: 10_000 });
      } catch (e) {
        throw new MigrateError(`source: query-migrate: ${(e as Error).message}`);
      }
      if (info.ram !== undefined) ram = info.ram;
      // failed/cancelled replies carry only the status: keep what was seen while active.
      setupTime = info['setup-time'] ?? setupTime;
      const status = info.status;
      const elapsedMs = Date.now() - opts.startedAt;
      opts.onSample?.(info, elapsedMs);
      const final = status !== undefined && FINAL.has(status);
      // Drawn every intervalMs, and at once when the status changes.
      if (final || status !== drawnStatus || elapsedMs - drawnAt >= opts.intervalMs) {
        drawnAt = elapsedMs;
        drawnStatus = status;
        opts.renderer.update({
          elapsedMs,
          info,
          ram,
          ack: opts.switchoverAck ? ackState(status, stopMs !== undefined) : undefined,
        });
      }
      if (final) {
        if (setupTime !== undefined) info = { ...info, 'setup-time': setupTime };
        return { info, ram, stopMs, cancelRequested: ctl.cancelRequested };
      }
      await ctl.sleep(opts.pollMs ?? opts.intervalMs);
    }
  } finally {
    watcher.abort();
  }
}
