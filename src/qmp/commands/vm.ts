/**
 * QMP commands about the VM itself: run state, identity, memory dumps, quit.
 * Each handler is a thin call into the machine; QEMU's texts come from there.
 */
import type { Machine } from '../../vm/machine.js';
import { t } from '../schema/index.js';
import type { CommandRegistry } from '../server/index.js';

const PmemsaveArgs = t.struct('q_obj_pmemsave-arg', {
  val: t.int,
  size: t.int,
  filename: t.str,
});

const MemsaveArgs = t.struct('q_obj_memsave-arg', {
  val: t.int,
  size: t.int,
  filename: t.str,
  'cpu-index': t.optional(t.int),
});

export interface VmCommandContext {
  vm: Machine;
  name: string | undefined;
  /** The -uuid as QEMU prints it; all zeros when none was given. */
  uuid: string;
  /** Ends the process after the reply to quit has been sent. */
  quit(): void;
}

const asNumber = (v: number | bigint): number => Number(v);

export function registerVmCommands(registry: CommandRegistry, ctx: VmCommandContext): void {
  const { vm } = ctx;
  registry.define({ name: 'query-status', handler: () => vm.status() });
  registry.define({ name: 'stop', handler: () => vm.stop() });
  registry.define({ name: 'cont', handler: () => vm.cont() });
  registry.define({
    name: 'query-name',
    handler: () => (ctx.name === undefined ? {} : { name: ctx.name }),
  });
  registry.define({ name: 'query-uuid', handler: () => ({ UUID: ctx.uuid }) });
  registry.define({
    name: 'pmemsave',
    args: PmemsaveArgs,
    handler: (a) => vm.pmemsave(asNumber(a.val), asNumber(a.size), a.filename),
  });
  registry.define({
    name: 'memsave',
    args: MemsaveArgs,
    handler: (a) =>
      vm.memsave(
        asNumber(a.val),
        asNumber(a.size),
        a.filename,
        a['cpu-index'] === undefined ? undefined : asNumber(a['cpu-index']),
      ),
  });
  registry.define({
    name: 'quit',
    handler: async () => {
      // QEMU sends SHUTDOWN before the reply; the process ends after the reply is out.
      await vm.quit();
      setImmediate(() => ctx.quit());
    },
  });
}
