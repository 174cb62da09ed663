/** `-global` and `-device`: parsed into plain records; what they mean is checked by their owners. */
import { checkId, rejectKey, splitOpts, usage } from './run-options-qemuopts.js';

export interface GlobalProperty {
  readonly driver: string;
  readonly property: string;
  readonly value: string;
}

export interface DeviceConfig {
  readonly type: string;
  readonly id?: string;
  readonly props: Record<string, string>;
}

/**
 * `-global DRIVER.PROP=VALUE` (QEMU matches the driver and property with a length-limited scan; the
 * value is the raw rest, commas included) or the QemuOpts form `driver=D,property=P,value=V`.
 */
export function parseGlobal(arg: string, loc: string): GlobalProperty {
  const short = /^([^.=]{1,63})\.([^=]{1,63})=/.exec(arg);
  if (short) {
    return { driver: short[1]!, property: short[2]!, value: arg.slice(short[0].length) };
  }
  const fields: Partial<Record<'driver' | 'property' | 'value', string>> = {};
  for (const { key, value } of splitOpts(arg, loc, undefined, 'qemuopts')) {
    if (key === 'driver' || key === 'property' || key === 'value') fields[key] = value;
    else rejectKey(key, loc, []);
  }
  const { driver, property, value } = fields;
  if (driver === undefined || property === undefined || value === undefined) {
    return usage(loc, "options 'driver', 'property', and 'value' are required");
  }
  return { driver, property, value };
}

/**
 * `-device TYPE,id=ID,KEY=VALUE...`. Returns 'help' for `-device help` (and `-device TYPE,help`,
 * which QEMU answers with the type's properties; livemig lists the types instead).
 * `ids` collects the ids seen so far, because QEMU refuses a second device with the same id.
 */
export function parseDevice(arg: string, loc: string, ids: Set<string>): DeviceConfig | 'help' {
  if (arg === 'help' || arg === '?') return 'help';
  if (arg.startsWith('{')) usage(loc, 'livemig does not accept the JSON form of -device');
  let type: string | undefined;
  let id: string | undefined;
  const props: Record<string, string> = {};
  for (const { key, value } of splitOpts(arg, loc, 'driver', 'qemuopts')) {
    if (key === 'help') return 'help';
    if (key === 'driver') type = value;
    else if (key === 'id') id = value;
    // defineProperty so that a key such as `__proto__` stays an ordinary own property.
    else
      Object.defineProperty(props, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  if (type === undefined || type === '') return usage(loc, "Parameter 'driver' is missing");
  if (id === undefined) return { type, props };
  checkId(id, loc);
  if (ids.has(id)) usage(loc, `Duplicate ID '${id}' for device`);
  ids.add(id);
  return { type, id, props };
}
