/** QMP commands that run migrations: migrate, migrate-incoming, cancel, continue, query-migrate. */
import { ErrorCode, LivemigError } from '../../errors.js';
import type { MigrationManager } from '../../migration/manager.js';
import { MIGRATION_STATUSES } from '../../migration/status.js';
import { t } from '../schema/index.js';
import type { CommandRegistry } from '../server/index.js';

const MigrateArgs = t.struct('q_obj_migrate-arg', {
  uri: t.str,
  blk: t.optional(t.bool),
  inc: t.optional(t.bool),
  detach: t.optional(t.bool),
  resume: t.optional(t.bool),
});

const MigrateIncomingArgs = t.struct('q_obj_migrate-incoming-arg', { uri: t.str });

const MigrateContinueArgs = t.struct('q_obj_migrate-continue-arg', {
  state: t.enum('MigrationStatus', MIGRATION_STATUSES),
});

export function registerMigrationCommands(
  registry: CommandRegistry,
  manager: MigrationManager,
): void {
  registry.define({
    name: 'migrate',
    args: MigrateArgs,
    handler: (a) => {
      manager.migrate(a.uri, {
        ...(a.blk === undefined ? {} : { blk: a.blk }),
        ...(a.inc === undefined ? {} : { inc: a.inc }),
        ...(a.resume === undefined ? {} : { resume: a.resume }),
      });
    },
  });
  registry.define({
    name: 'migrate-incoming',
    args: MigrateIncomingArgs,
    handler: (a) => manager.listen(a.uri),
  });
  // QEMU 8.1 spells it migrate_cancel; migrate-cancel is accepted as an alias.
  registry.define({ name: 'migrate_cancel', handler: () => manager.cancel() });
  registry.define({ name: 'migrate-cancel', handler: () => manager.cancel() });
  registry.define({
    name: 'migrate-continue',
    args: MigrateContinueArgs,
    handler: (a) => manager.continueFrom(a.state),
  });
  registry.define({ name: 'query-migrate', handler: () => manager.info() });

  // Postcopy is not supported yet, so these always meet QEMU's wrong-state checks.
  registry.define({
    name: 'migrate-start-postcopy',
    handler: () => {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        'Enable postcopy with migrate_set_capability before the start of migration',
      );
    },
  });
  registry.define({
    name: 'migrate-pause',
    allowOob: true,
    handler: () => {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        'migrate-pause is currently only supported during postcopy-active state',
      );
    },
  });
  registry.define({
    name: 'migrate-recover',
    args: MigrateIncomingArgs,
    allowOob: true,
    handler: () => {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        'Migrate recover can only be run when postcopy is paused.',
      );
    },
  });
}
