/**
 * The process's migration state (QEMU's MigrationState and
 * MigrationIncomingState): at most one outgoing and one incoming migration,
 * the checks `migrate` and `migrate-incoming` make, and query-migrate.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { parseMigrateUri } from '../transport/index.js';
import { trace } from '../trace.js';
import type { Machine } from '../vm/machine.js';
import { prefaultInBackground, type Prefault } from '../vm/prefault.js';
import { GlobalStateRecord, globalStateEntry, runstateAfterIncoming } from './global-state.js';
import { IncomingMigration } from './incoming.js';
import type { MigrationOptions } from './options.js';
import { OutgoingMigration } from './outgoing.js';
import { RamSaver } from './ram-saver.js';
import { RamStats } from './ram-stats.js';
import type { SaveStateEntry } from './savevm/entries.js';
import { isRunningStatus } from './status.js';

/** Section ids as QEMU assigns them for -M none (timer 0, ram 2, globalstate 4); other machines follow. */
const RAM_SECTION_ID = 2;
const FIRST_DEVICE_SECTION_ID = 5;

export interface ManagerDeps {
  machine: Machine;
  options: MigrationOptions;
  uuid?: Uint8Array;
  emit(name: string, data?: Record<string, unknown>): void;
  /** Live devices beyond RAM (e.g. -device initdata), fresh for each migration. */
  liveEntries?(role: 'source' | 'destination', firstSectionId: number): SaveStateEntry[];
  /** Whether the process was started with -incoming. */
  incomingConfigured: boolean;
  /** The incoming migration ended; on failure QEMU prints the error and exits with 1. */
  onIncomingFinished(result: 'completed' | 'failed', error?: Error): void;
}

export class MigrationManager {
  readonly #deps: ManagerDeps;
  #outgoing: OutgoingMigration | undefined;
  #incoming: IncomingMigration | undefined;
  #prefault: Prefault | undefined;

  constructor(deps: ManagerDeps) {
    this.#deps = deps;
    deps.options.onChange = () => this.#outgoing?.parametersChanged();
    if (deps.incomingConfigured) {
      // A destination faults its RAM in while it waits for the source: first
      // touches cost 11–35 µs per page here and would otherwise throttle the stream.
      const block = deps.machine.ram[0]!;
      trace('ram_prefault_start', { size: block.usedLength });
      this.#prefault = prefaultInBackground(block);
      this.#prefault.done.then(
        () => trace('ram_prefault_done', { size: block.usedLength }),
        () => undefined,
      );
    }
  }

  get outgoing(): OutgoingMigration | undefined {
    return this.#outgoing;
  }

  get incoming(): IncomingMigration | undefined {
    return this.#incoming;
  }

  /** QEMU's migration_is_running, either direction. */
  inProgress(): boolean {
    const out = this.#outgoing?.status.status;
    const inc = this.#incoming?.status.status;
    return (out !== undefined && isRunningStatus(out)) || inc === 'active';
  }

  incomingStarted(): boolean {
    return this.#incoming !== undefined;
  }

  /** The state entries of this machine, in section order. */
  #entries(
    role: 'source' | 'destination',
    stats: RamStats | undefined,
    record?: GlobalStateRecord,
  ): SaveStateEntry[] {
    const { machine, options } = this.#deps;
    const devices = machine.devices();
    const entries: SaveStateEntry[] = [];
    let id = FIRST_DEVICE_SECTION_ID;
    for (const d of devices) {
      // QEMU registers the timers first (-M none: section 0).
      const sectionId = d.idstr === 'timer' ? 0 : id++;
      entries.push({
        idstr: d.idstr,
        instanceId: d.instanceId,
        versionId: d.vmsd.versionId,
        sectionId,
        vmstate: d,
      });
    }
    const block = machine.ram[0]!;
    const ramStats = stats ?? new RamStats(block.usedLength);
    const ram: SaveStateEntry = {
      idstr: 'ram',
      instanceId: 0,
      versionId: 4,
      sectionId: RAM_SECTION_ID,
      live: new RamSaver(block, machine.dirtyLog, ramStats, {
        onPass: (pass) => {
          if (options.cap('events')) this.#deps.emit('MIGRATION_PASS', { pass });
        },
        now: () => performance.now(),
      }),
    };
    const timerFirst = entries.findIndex((e) => e.idstr === 'timer');
    entries.splice(timerFirst === 0 ? 1 : 0, 0, ram);
    entries.push(...(this.#deps.liveEntries?.(role, id + 1) ?? []));
    entries.push(
      globalStateEntry({
        sectionId: 4,
        runstate: () => this.#sourceRunstate ?? machine.runstate.state,
        ...(record ? { record } : {}),
      }),
    );
    return entries;
  }

  /** The run state globalstate reports: the state before the migration stopped the VM. */
  #sourceRunstate: string | undefined;

  /** QMP migrate (8.1 checks, in QEMU's order). */
  migrate(uri: string, opts: { blk?: boolean; inc?: boolean; resume?: boolean }): void {
    const { machine } = this.#deps;
    if (opts.resume) {
      throw new LivemigError(ErrorCode.BAD_STATE, 'Cannot resume if there is no paused migration');
    }
    if (this.inProgress()) {
      throw new LivemigError(ErrorCode.BAD_STATE, "There's a migration process in progress");
    }
    const rs = machine.runstate.state;
    if (rs === 'inmigrate') {
      throw new LivemigError(ErrorCode.BAD_STATE, 'Guest is waiting for an incoming migration');
    }
    if (rs === 'postmigrate') {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        "Can't migrate the vm that was paused due to previous migration",
      );
    }
    if (opts.blk || opts.inc) {
      throw new LivemigError(
        ErrorCode.UNSUPPORTED,
        'QEMU compiled without old-style (blk/-b, inc/-i) block migration',
      );
    }
    const stats = new RamStats(machine.ram[0]!.usedLength);
    this.#sourceRunstate = undefined;
    const out = new OutgoingMigration({
      machine,
      options: this.#deps.options,
      entries: this.#entries('source', stats),
      ramStats: stats,
      ...(this.#deps.uuid ? { uuid: this.#deps.uuid } : {}),
      emit: this.#deps.emit,
    });
    this.#outgoing = out;
    out.start(uri, () => (this.#sourceRunstate = machine.runstate.state));
    // 8.1 parses the URI after migrate_init: a bad one fails the new migration.
    try {
      parseMigrateUri(uri);
    } catch (e) {
      out.failNow(e);
      throw e;
    }
  }

  /** QMP migrate-incoming, and -incoming URI at start-up. */
  async listen(uri: string): Promise<void> {
    if (!this.#deps.incomingConfigured) {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        "'-incoming' was not specified on the command line",
      );
    }
    if (this.#incoming) {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        'The incoming migration has already been started',
      );
    }
    const { machine } = this.#deps;
    const record = new GlobalStateRecord();
    const inc = new IncomingMigration({
      machine,
      options: this.#deps.options,
      entries: this.#entries('destination', undefined, record),
      ...(this.#deps.uuid ? { uuid: this.#deps.uuid } : {}),
      emit: this.#deps.emit,
      runstateAfterLoad: async () => {
        const next = runstateAfterIncoming({
          received: record.received,
          autostart: machine.autostart,
        });
        if (next === 'start') await machine.start();
        else await machine.vmStop(next);
      },
      onFinished: (result, error) => this.#deps.onIncomingFinished(result, error),
    });
    this.#incoming = inc;
    try {
      await inc.listen(uri);
    } catch (e) {
      // QEMU lets a later migrate-incoming try again after a bad URI or a busy port.
      this.#incoming = undefined;
      throw e;
    }
  }

  cancel(): void {
    this.#outgoing?.cancel();
  }

  /** At quit: stop whatever runs, so nothing keeps the process alive. */
  async close(): Promise<void> {
    this.#outgoing?.cancel();
    this.#incoming?.close();
    await this.#prefault?.stop();
    await this.#outgoing?.done;
  }

  continueFrom(state: string): void {
    if (!this.#outgoing) {
      throw new LivemigError(ErrorCode.BAD_STATE, 'Migration not in expected state: none');
    }
    this.#outgoing.continueFrom(state);
  }

  /** query-migrate: the outgoing migration's info, else the incoming one's, else {}. */
  info(): Record<string, unknown> {
    if (this.#outgoing) return this.#outgoing.info();
    if (this.#incoming) return this.#incoming.info();
    return {};
  }
}
