/**
 * Commands every QMP server has, whatever it serves: qmp_capabilities (bound
 * per connection, see connection.ts), query-version and query-commands.
 */
import { ErrorCode, LivemigError } from '../../errors.js';
import { t } from '../schema/types.js';
import type { RegisteredCommand } from './registry.js';

export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number };
  package: string;
}

export const QMP_CAPABILITIES = 'qmp_capabilities';

export const QmpCapabilitiesArgs = t.struct('q_obj_qmp_capabilities-arg', {
  enable: t.optional(t.list(t.enum('QMPCapability', ['oob']))),
});

/** qmp_capabilities for one connection; `accept` switches it to command mode. */
export function capabilitiesCommand(hooks: {
  negotiated(): boolean;
  offered: readonly string[];
  accept(enabled: readonly string[]): void;
}): RegisteredCommand {
  return {
    name: QMP_CAPABILITIES,
    args: QmpCapabilitiesArgs,
    allowOob: false,
    handler: (raw) => {
      if (hooks.negotiated()) {
        throw new LivemigError(
          ErrorCode.QMP_COMMAND_NOT_FOUND,
          'Capabilities negotiation is already complete, command ignored',
        );
      }
      const enable = (raw as { enable?: string[] }).enable ?? [];
      const unavailable = enable.filter((c) => !hooks.offered.includes(c));
      if (unavailable.length > 0) {
        throw new LivemigError(
          ErrorCode.INVALID_PARAMETER,
          `Capability ${unavailable.join(', ')} not available`,
        );
      }
      hooks.accept(enable);
      return undefined;
    },
  };
}

/** The version members in the order QEMU inserts them (which decides ties). */
export function versionInfo(v: QmpVersion): Record<string, unknown> {
  return {
    qemu: { major: v.qemu.major, minor: v.qemu.minor, micro: v.qemu.micro },
    package: v.package,
  };
}

export function queryVersionCommand(v: QmpVersion): RegisteredCommand {
  return { name: 'query-version', args: undefined, allowOob: false, handler: () => versionInfo(v) };
}

/** QEMU builds this list by prepending, so it comes out newest first. */
export function queryCommandsCommand(names: () => string[]): RegisteredCommand {
  return {
    name: 'query-commands',
    args: undefined,
    allowOob: false,
    handler: () =>
      names()
        .reverse()
        .map((name) => ({ name })),
  };
}
