// One shape for both migration peers, real QEMU and `livemig run`, so a test can be
// written once and run in either direction. Both are driven through the interop
// QmpClient (it collects events), and both are started on `-M none -m 64M`.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLivemig } from '../../e2e/helpers/livemig-process.js';
import { startQemu, stopQemu } from './qemu.js';
import { QmpClient, type Json, type QmpEvent } from './qmp.js';

export type PeerKind = 'qemu' | 'livemig';

export interface Peer {
  readonly kind: PeerKind;
  readonly qmp: QmpClient;
  stderr(): string;
  stop(): Promise<void>;
}

export type JsonObject = Record<string, Json>;

/** The -M none machine both sides run; QEMU additionally gets -nodefaults -display none. */
export function machineArgs(kind: PeerKind, ramSize = '64M'): string[] {
  return kind === 'qemu'
    ? ['-M', 'none', '-m', ramSize, '-nodefaults', '-display', 'none']
    : ['-machine', 'none', '-m', ramSize];
}

/** Starts `kind` in a fresh subdirectory `dir/name` with the machine args plus `extra`. */
export async function startPeer(
  kind: PeerKind,
  dir: string,
  name: string,
  extra: string[],
): Promise<Peer> {
  const own = join(dir, name);
  await mkdir(own, { recursive: true });
  const args = [...machineArgs(kind), ...extra];
  if (kind === 'qemu') {
    const q = await startQemu(own, args);
    return { kind, qmp: q.qmp, stderr: q.stderr, stop: () => stopQemu(q) };
  }
  const p = await startLivemig(args, { dir: own });
  const qmp = await QmpClient.open(p.qmpPath);
  return {
    kind,
    qmp,
    stderr: p.stderr,
    stop: async () => {
      const graceful = qmp.execute('quit').catch(() => undefined);
      const done = await Promise.race([p.exited.then(() => true), sleep(3000).then(() => false)]);
      void graceful;
      qmp.close();
      if (!done) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    },
  };
}

export async function setCapabilities(peer: Peer, caps: Record<string, boolean>): Promise<void> {
  const capabilities = Object.entries(caps).map(([capability, state]) => ({ capability, state }));
  await peer.qmp.execute('migrate-set-capabilities', { capabilities });
}

export async function queryMigrate(peer: Peer): Promise<JsonObject> {
  return (await peer.qmp.execute('query-migrate')) as JsonObject;
}

export async function runState(peer: Peer): Promise<string> {
  const s = (await peer.qmp.execute('query-status')) as JsonObject;
  return String(s.status);
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Polls query-migrate until it reports a final status (returned, whatever it is). */
export async function waitMigrationEnd(peer: Peer, timeoutMs = 20_000): Promise<JsonObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await queryMigrate(peer);
    if (typeof info.status === 'string' && FINAL.has(info.status)) return info;
    if (Date.now() > deadline) {
      throw new Error(`${peer.kind}: migration not finished: ${JSON.stringify(info)}`);
    }
    await sleep(25);
  }
}

/** Waits until the peer has sent a MIGRATION event with a final status. */
export async function waitFinalEvent(peer: Peer, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!migrationStatuses(peer.qmp.events).some((s) => FINAL.has(s))) {
    if (Date.now() > deadline) {
      throw new Error(
        `${peer.kind}: no final MIGRATION event; got ${JSON.stringify(peer.qmp.events)}`,
      );
    }
    await sleep(20);
  }
}

/** The statuses of the MIGRATION events, in order. */
export function migrationStatuses(events: QmpEvent[]): string[] {
  return events
    .filter((e) => e.event === 'MIGRATION')
    .map((e) => String((e.data as JsonObject | undefined)?.status));
}

/** The pass numbers of the MIGRATION_PASS events, in order. */
export function migrationPasses(events: QmpEvent[]): number[] {
  return events
    .filter((e) => e.event === 'MIGRATION_PASS')
    .map((e) => Number((e.data as JsonObject | undefined)?.pass));
}

/** Event names (MIGRATION with its status) other than MIGRATION_PASS and SHUTDOWN. */
export function eventSequence(events: QmpEvent[]): string[] {
  return events
    .filter((e) => e.event !== 'MIGRATION_PASS' && e.event !== 'SHUTDOWN')
    .map((e) =>
      e.event === 'MIGRATION' ? `MIGRATION ${String((e.data as JsonObject).status)}` : e.event,
    );
}

/** pmemsave of [addr, addr+size) into `file`, read back. */
export async function pmem(peer: Peer, file: string, addr: number, size: number): Promise<Buffer> {
  await peer.qmp.execute('pmemsave', { val: addr, size, filename: file });
  return readFile(file);
}
