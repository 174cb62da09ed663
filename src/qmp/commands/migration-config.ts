/**
 * QMP commands that read and change migration capabilities and parameters.
 * The argument schemas follow QEMU 8.1's QAPI types, so type errors carry
 * QEMU's texts; the rules themselves live in MigrationOptions.
 */
import { CAPABILITY_NAMES } from '../../migration/capabilities.js';
import type { MigrationOptions } from '../../migration/options.js';
import type { MigrateSetParameters } from '../../migration/parameters.js';
import { MULTIFD_COMPRESSION_VALUES } from '../../migration/parameters.js';
import { StrOrNull, t } from '../schema/index.js';
import type { CommandRegistry } from '../server/index.js';

const MigrationCapability = t.enum('MigrationCapability', CAPABILITY_NAMES);

const SetCapabilitiesArgs = t.struct('q_obj_migrate-set-capabilities-arg', {
  capabilities: t.list(
    t.struct('MigrationCapabilityStatus', { capability: MigrationCapability, state: t.bool }),
  ),
});

const o = t.optional;
/** MigrateSetParameters in QAPI schema order (block-bitmap-mapping is not supported). */
const SetParametersArgs = t.struct('MigrateSetParameters', {
  'announce-initial': o(t.size),
  'announce-max': o(t.size),
  'announce-rounds': o(t.size),
  'announce-step': o(t.size),
  'compress-level': o(t.uint8),
  'compress-threads': o(t.uint8),
  'compress-wait-thread': o(t.bool),
  'decompress-threads': o(t.uint8),
  'throttle-trigger-threshold': o(t.uint8),
  'cpu-throttle-initial': o(t.uint8),
  'cpu-throttle-increment': o(t.uint8),
  'cpu-throttle-tailslow': o(t.bool),
  'tls-creds': o(StrOrNull),
  'tls-hostname': o(StrOrNull),
  'tls-authz': o(StrOrNull),
  'max-bandwidth': o(t.size),
  'avail-switchover-bandwidth': o(t.size),
  'downtime-limit': o(t.uint64),
  'x-checkpoint-delay': o(t.uint32),
  'block-incremental': o(t.bool),
  'multifd-channels': o(t.uint8),
  'xbzrle-cache-size': o(t.size),
  'max-postcopy-bandwidth': o(t.size),
  'max-cpu-throttle': o(t.uint8),
  'multifd-compression': o(t.enum('MultiFDCompression', MULTIFD_COMPRESSION_VALUES)),
  'multifd-zlib-level': o(t.uint8),
  'multifd-zstd-level': o(t.uint8),
  'x-vcpu-dirty-limit-period': o(t.uint64),
  'vcpu-dirty-limit': o(t.uint64),
});

export interface MigrationConfigContext {
  options: MigrationOptions;
  /** True while a migration (outgoing or incoming) is running. */
  migrationInProgress(): boolean;
  /** True in a process started with -incoming (runstate inmigrate). */
  inmigrate(): boolean;
  /** True once migrate-incoming (or -incoming URI) started listening. */
  incomingStarted(): boolean;
}

export function registerMigrationConfigCommands(
  registry: CommandRegistry,
  ctx: MigrationConfigContext,
): void {
  registry.define({
    name: 'query-migrate-capabilities',
    handler: () => ctx.options.queryCapabilities(),
  });
  registry.define({
    name: 'migrate-set-capabilities',
    args: SetCapabilitiesArgs,
    handler: (args) => {
      ctx.options.setCapabilities(args.capabilities, {
        migrationInProgress: ctx.migrationInProgress(),
        inmigrate: ctx.inmigrate(),
        incomingStarted: ctx.incomingStarted(),
      });
    },
  });
  registry.define({
    name: 'query-migrate-parameters',
    handler: () => ctx.options.queryParameters(),
  });
  registry.define({
    name: 'migrate-set-parameters',
    args: SetParametersArgs,
    handler: (args) => {
      ctx.options.setParameters(args as MigrateSetParameters, {
        migrationInProgress: ctx.migrationInProgress(),
      });
    },
  });
}
