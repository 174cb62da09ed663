/**
 * The typed command map: `execute(name, args)` checks `args` against `args` here
 * and returns `return`. Commands without arguments take `NoArgs`. Anything not
 * listed goes through `executeRaw`.
 */
import type {
  CommandInfo,
  MigrateSetParameters,
  MigrationCapabilityName,
  MigrationCapabilityStatus,
  MigrationInfo,
  MigrationParameters,
  MigrationStatus,
  NameInfo,
  QmpVersionInfo,
  StatusInfo,
  Uint64,
  UuidInfo,
} from './types.js';

export type NoArgs = Record<string, never>;
/** `{}`: what QEMU returns for commands without a declared result. */
export type Empty = Record<string, never>;

interface Cmd<A, R> {
  args: A;
  return: R;
}

export interface QmpCommands {
  qmp_capabilities: Cmd<{ enable?: 'oob'[] }, Empty>;
  'query-version': Cmd<NoArgs, QmpVersionInfo>;
  'query-commands': Cmd<NoArgs, CommandInfo[]>;
  'query-status': Cmd<NoArgs, StatusInfo>;
  'query-name': Cmd<NoArgs, NameInfo>;
  'query-uuid': Cmd<NoArgs, UuidInfo>;
  stop: Cmd<NoArgs, Empty>;
  cont: Cmd<NoArgs, Empty>;
  /** QEMU sends the SHUTDOWN event, then `{}`, then closes the connection. */
  quit: Cmd<NoArgs, Empty>;
  pmemsave: Cmd<{ val: Uint64; size: Uint64; filename: string }, Empty>;
  memsave: Cmd<{ val: Uint64; size: Uint64; filename: string; 'cpu-index'?: number }, Empty>;
  'query-migrate-capabilities': Cmd<NoArgs, MigrationCapabilityStatus[]>;
  'migrate-set-capabilities': Cmd<
    { capabilities: { capability: MigrationCapabilityName; state: boolean }[] },
    Empty
  >;
  'query-migrate-parameters': Cmd<NoArgs, MigrationParameters>;
  'migrate-set-parameters': Cmd<MigrateSetParameters, Empty>;
  'query-migrate': Cmd<NoArgs, MigrationInfo>;
  migrate: Cmd<
    { uri: string; blk?: boolean; inc?: boolean; detach?: boolean; resume?: boolean },
    Empty
  >;
  'migrate-incoming': Cmd<{ uri: string }, Empty>;
  /** The real QMP name (underscore) in every QEMU release up to and including 8.1. */
  migrate_cancel: Cmd<NoArgs, Empty>;
  /** Does not exist in QEMU ≤ 8.1 (CommandNotFound); typed for servers that alias it. */
  'migrate-cancel': Cmd<NoArgs, Empty>;
  'migrate-continue': Cmd<{ state: MigrationStatus }, Empty>;
}

export type QmpCommandName = keyof QmpCommands;
export type QmpArgs<C extends QmpCommandName> = QmpCommands[C]['args'];
export type QmpReturn<C extends QmpCommandName> = QmpCommands[C]['return'];
