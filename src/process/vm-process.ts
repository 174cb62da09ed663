/**
 * The composition root of `livemig run`: one VM process, like a QEMU process.
 * It builds the machine, the migration options (with -global values checked as
 * QEMU checks them at start-up), the QMP command registry and the QMP server,
 * and wires VM events to QMP clients.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { MigrationOptions } from '../migration/options.js';
import { MigrationManager } from '../migration/manager.js';
import { registerMigrationConfigCommands } from '../qmp/commands/migration-config.js';
import { registerMigrationCommands } from '../qmp/commands/migration.js';
import { registerVmCommands } from '../qmp/commands/vm.js';
import { CommandRegistry, QmpServer } from '../qmp/server/index.js';
import { livemigVersion, QMP_QEMU_VERSION } from '../version.js';
import type { ShutdownCause } from '../vm/runstate.js';
import { createTestVm } from '../vm/testvm.js';
import type { Machine } from '../vm/machine.js';
import { createNoneMachine } from '../vm/none-machine.js';
import { buildDevices, DEVICE_TYPES, type BuiltDevices } from './devices.js';
import { registerDeviceCommands } from '../qmp/commands/devices.js';

export interface VmProcessConfig {
  machine: { type: string; workload: string; dirtyRate?: number };
  ramSize: number;
  smp: number;
  name?: string;
  uuid?: { bytes: Uint8Array; text: string };
  startPaused: boolean;
  serial: { kind: 'file'; path: string } | { kind: 'stdio' } | { kind: 'none' };
  qmp: ReadonlyArray<{ kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }>;
  incoming?: string;
  globals: ReadonlyArray<{ driver: string; property: string; value: string }>;
  devices: ReadonlyArray<{ type: string; id?: string; props: Record<string, string> }>;
}

export { DEVICE_TYPES } from './devices.js';

const NULL_UUID = '00000000-0000-0000-0000-000000000000';

export interface VmProcess {
  readonly vm: Machine;
  readonly server: QmpServer;
  readonly options: MigrationOptions;
  readonly manager: MigrationManager;
  /** 1 after a failed incoming migration (as QEMU exits), else 0. */
  exitCode(): number;
  /** Resolves when the process has shut down (quit or signal). */
  readonly done: Promise<void>;
  /** Shuts down as QEMU does on a signal or quit. */
  shutdown(reason: ShutdownCause): Promise<void>;
}

/** Start-up warnings (QEMU prints these and carries on). */
export type WarningSink = (message: string) => void;

function migrationOptions(cfg: VmProcessConfig, warn: WarningSink): MigrationOptions {
  const options = new MigrationOptions();
  for (const g of cfg.globals) {
    if (g.driver !== 'migration') {
      warn(`warning: global ${g.driver}.${g.property} has invalid class name`);
      continue;
    }
    options.applyGlobal(g.property, g.value);
  }
  options.checkStartup();
  return options;
}

function serialSpec(s: VmProcessConfig['serial']): string {
  return s.kind === 'file' ? `file:${s.path}` : s.kind;
}

/**
 * Starts the VM process. Throws LivemigError for a configuration QEMU would
 * refuse at start-up (the caller prints it and exits with status 1).
 */
export async function startVmProcess(cfg: VmProcessConfig, warn: WarningSink): Promise<VmProcess> {
  if (cfg.machine.type !== 'testvm' && cfg.machine.type !== 'none') {
    throw new LivemigError(
      ErrorCode.UNSUPPORTED,
      `machine type '${cfg.machine.type}' is not supported by this version of livemig yet`,
    );
  }
  for (const d of cfg.devices) {
    if (!DEVICE_TYPES.some((t) => t.name === d.type)) {
      throw new LivemigError(
        ErrorCode.USAGE,
        `-device ${d.type}: '${d.type}' is not a valid device model name`,
      );
    }
  }
  const options = migrationOptions(cfg, warn);

  // Commands are registered once the VM exists; the server looks them up per request.
  const registry = new CommandRegistry();
  const server = new QmpServer({
    version: { qemu: { ...QMP_QEMU_VERSION }, package: `livemig ${livemigVersion()}` },
    registry,
  });
  const onEvent = (name: string, data?: Record<string, unknown>): void =>
    server.emitEvent(name, data);
  const vm: Machine =
    cfg.machine.type === 'none'
      ? await createNoneMachine({
          ramSize: cfg.ramSize,
          startPaused: cfg.startPaused,
          incoming: cfg.incoming !== undefined,
          onEvent,
        })
      : await createTestVm({
          ramSize: cfg.ramSize,
          smp: cfg.smp,
          workload: cfg.machine.workload,
          ...(cfg.machine.dirtyRate === undefined
            ? {}
            : { dirtyRatePagesPerSec: cfg.machine.dirtyRate }),
          serial: serialSpec(cfg.serial),
          startPaused: cfg.startPaused,
          incoming: cfg.incoming !== undefined,
          onEvent,
          onError: (e) => warn(`error: vCPU failed: ${e.message}`),
        });
  let devices: BuiltDevices;
  try {
    devices = await buildDevices(
      cfg.devices,
      vm,
      cfg.incoming === undefined ? 'source' : 'destination',
    );
  } catch (e) {
    await vm.quit('host-error');
    throw e;
  }

  let failed = false;
  let manager: MigrationManager | undefined = undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let closing: Promise<void> | undefined;
  const shutdown = (reason: ShutdownCause): Promise<void> => {
    closing ??= (async () => {
      await manager?.close();
      await vm.quit(reason);
      await server.close();
      finish();
    })();
    return closing;
  };

  registerVmCommands(registry, {
    vm,
    name: cfg.name,
    uuid: cfg.uuid?.text ?? NULL_UUID,
    quit: () => void shutdown('host-qmp-quit'),
  });
  manager = new MigrationManager({
    machine: vm,
    options,
    ...(cfg.uuid ? { uuid: cfg.uuid.bytes } : {}),
    emit: onEvent,
    liveEntries: () => devices.liveEntries,
    incomingConfigured: cfg.incoming !== undefined,
    onIncomingFinished: (result, error) => {
      if (result === 'failed') {
        // QEMU's destination reports the error and exits with status 1.
        warn(`load of migration failed: ${error?.message ?? 'unknown error'}`);
        failed = true;
        void shutdown('host-error');
      }
    },
  });
  registerMigrationConfigCommands(registry, {
    options,
    migrationInProgress: () => manager.inProgress(),
    inmigrate: () => vm.runstate.state === 'inmigrate',
    incomingStarted: () => manager.incomingStarted(),
  });
  registerMigrationCommands(registry, manager);
  registerDeviceCommands(registry, devices);

  try {
    for (const q of cfg.qmp) {
      if (q.kind === 'unix') await server.listenUnix(q.path);
      else await server.listenTcp(q.host, q.port);
    }
  } catch (e) {
    await shutdown('host-error');
    throw new LivemigError(ErrorCode.IO, `-qmp: ${(e as Error).message}`, { cause: e });
  }
  if (cfg.incoming !== undefined && cfg.incoming !== 'defer') {
    try {
      await manager.listen(cfg.incoming);
    } catch (e) {
      await shutdown('host-error');
      throw e;
    }
  }
  if (!cfg.startPaused && cfg.incoming === undefined) await vm.start();
  return { vm, server, options, manager, done, shutdown, exitCode: () => (failed ? 1 : 0) };
}
