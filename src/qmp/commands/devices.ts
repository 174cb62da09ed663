/**
 * livemig's own device commands (x- prefixed, as QEMU marks unstable ones):
 * x-initdata-verify checks an initdata device's state byte for byte and
 * reports a digest that is equal on source and destination after migration.
 */
import { ErrorCode, LivemigError } from '../../errors.js';
import type { BuiltDevices } from '../../process/devices.js';
import { t } from '../schema/index.js';
import type { CommandRegistry } from '../server/index.js';

const VerifyArgs = t.struct('q_obj_x-initdata-verify-arg', { id: t.str });

export function registerDeviceCommands(registry: CommandRegistry, devices: BuiltDevices): void {
  registry.define({
    name: 'x-initdata-verify',
    args: VerifyArgs,
    handler: (a) => {
      const d = devices.initdata.get(a.id);
      if (!d) throw new LivemigError(ErrorCode.INVALID_PARAMETER, `Device '${a.id}' not found`);
      return d.verify();
    },
  });
}
