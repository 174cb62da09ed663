/**
 * `livemig migrate` before the `migrate` command: capabilities and parameters
 * on both sides, and a destination that listens (found listening, or told to
 * with migrate-incoming).
 */
import type { QmpClient } from '../qmp/client/client.js';
import type { MigrationInfo, SocketAddress } from '../qmp/client/types.js';
import { DESTINATION_PARAMS, type MigrateOptions } from './migrate-options.js';

/** An error reported as "livemig migrate: MESSAGE" with exit code 1. */
export class MigrateError extends Error {}

const RUNNING = new Set([
  'setup',
  'active',
  'pre-switchover',
  'device',
  'cancelling',
  'wait-unplug',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover',
]);

async function step<T>(side: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new MigrateError(`${side}: ${what}: ${(e as Error).message}`);
  }
}

/** The capabilities as sent: "events" is always on, since the progress loop waits on MIGRATION. */
export function capabilityList(opts: MigrateOptions): { capability: string; state: boolean }[] {
  const caps = new Map([['events', true], ...opts.caps]);
  return [...caps].map(([capability, state]) => ({ capability, state }));
}

/** A URI the source can connect to, from the destination's socket-address. */
export function uriFromSocketAddress(a: SocketAddress, dstQmp: string): string | undefined {
  if (a.type === 'unix') return `unix:${a.path}`;
  if (a.type === 'vsock') return `vsock:${a.cid}:${a.port}`;
  if (a.type !== 'inet') return undefined;
  let host = a.host;
  // A wildcard listener: connect where we reached the destination's QMP, else loopback.
  if (host === '0.0.0.0' || host === '::' || host === '') {
    const m = /^tcp:(.+):\d+/.exec(dstQmp);
    host = m?.[1] ?? '127.0.0.1';
  }
  return host.includes(':') && !host.startsWith('[')
    ? `tcp:[${host}]:${a.port}`
    : `tcp:${host}:${a.port}`;
}

/** Sets everything up and returns the URI to pass to `migrate`. */
export async function prepareMigration(
  src: QmpClient,
  dst: QmpClient,
  opts: MigrateOptions,
): Promise<string> {
  const srcInfo = await step('source', 'query-migrate', () => src.execute('query-migrate'));
  if (srcInfo.status !== undefined && RUNNING.has(srcInfo.status))
    throw new MigrateError(`source: a migration is already running (${srcInfo.status})`);
  const dstInfo: MigrationInfo = await step('destination', 'query-migrate', () =>
    dst.execute('query-migrate'),
  );
  if (dstInfo.status !== undefined && RUNNING.has(dstInfo.status))
    throw new MigrateError(`destination: an incoming migration is already ${dstInfo.status}`);

  // Capabilities must match on both sides (QEMU checks some, e.g. return-path, on the wire).
  const capabilities = capabilityList(opts);
  for (const [side, c] of [
    ['source', src],
    ['destination', dst],
  ] as const) {
    await step(side, 'migrate-set-capabilities', () =>
      c.executeRaw('migrate-set-capabilities', { capabilities }),
    );
  }
  if (Object.keys(opts.params).length > 0) {
    await step('source', 'migrate-set-parameters', () =>
      src.executeRaw('migrate-set-parameters', opts.params),
    );
    const dstParams = Object.fromEntries(
      Object.entries(opts.params).filter(([k]) => DESTINATION_PARAMS.has(k)),
    );
    if (Object.keys(dstParams).length > 0) {
      await step('destination', 'migrate-set-parameters', () =>
        dst.executeRaw('migrate-set-parameters', dstParams),
      );
    }
  }

  const listening = dstInfo['socket-address']?.[0];
  if (listening !== undefined) {
    if (opts.uri !== undefined) return opts.uri;
    const uri = uriFromSocketAddress(listening, opts.to);
    if (uri === undefined)
      throw new MigrateError(`destination listens on ${JSON.stringify(listening)}: give --uri`);
    return uri;
  }
  // Port 0: the destination picks a free port itself (no bind-release race), read back below.
  const uri = opts.uri ?? 'tcp:127.0.0.1:0';
  await step('destination', `migrate-incoming ${uri}`, () =>
    dst.execute('migrate-incoming', { uri }),
  );
  if (!/:0$/.test(uri)) return uri;
  const after = await step('destination', 'query-migrate', () => dst.execute('query-migrate'));
  const bound = after['socket-address']?.[0];
  const real = bound && uriFromSocketAddress(bound, opts.to);
  if (!real) throw new MigrateError(`destination: no socket-address after listening on ${uri}`);
  return real;
}
