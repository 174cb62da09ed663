/**
 * `-device` handling for `livemig run`: the device types livemig offers, and
 * building them for a machine. Loaders write guest RAM at start-up; initdata
 * devices become live migration entries.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import type { SaveStateEntry } from '../migration/savevm/entries.js';
import { parseSize } from '../qemu-strtosz.js';
import { createInitDataEntry, type InitDataDevice } from '../vm/devices/initdata/index.js';
import { applyLoaderDevice } from '../vm/devices/loader.js';
import type { Machine } from '../vm/machine.js';

export const DEVICE_TYPES: ReadonlyArray<{ name: string; description: string }> = [
  {
    name: 'loader',
    description: 'Generic loader: puts a file into guest memory (file=PATH,addr=ADDR)',
  },
  {
    name: 'initdata',
    description:
      'Passthrough-like device with precopy initial data for switchover-ack (id=ID,size=SIZE[,dirty-rate=BYTES_PER_S])',
  },
];

/** First section id of initdata devices (after QEMU's ids for the machine's own entries). */
const INITDATA_SECTION_BASE = 10;

export interface DeviceConfig {
  type: string;
  id?: string;
  props: Record<string, string>;
}

export interface BuiltDevices {
  initdata: Map<string, InitDataDevice>;
  /** The live entries of this process's devices, in section order. */
  liveEntries: SaveStateEntry[];
}

function size(id: string, key: string, value: string | undefined): number {
  const v = value === undefined ? undefined : parseSize(value);
  if (v === undefined) {
    throw new LivemigError(
      ErrorCode.USAGE,
      `-device initdata,id=${id}: bad or missing ${key} '${value ?? ''}'`,
    );
  }
  return v;
}

export async function buildDevices(
  devices: readonly DeviceConfig[],
  machine: Machine,
  role: 'source' | 'destination',
): Promise<BuiltDevices> {
  const out: BuiltDevices = { initdata: new Map(), liveEntries: [] };
  for (const d of devices) {
    switch (d.type) {
      case 'loader':
        await applyLoaderDevice(machine, d.props, d.id);
        break;
      case 'initdata': {
        const id = d.id;
        if (id === undefined)
          throw new LivemigError(ErrorCode.USAGE, '-device initdata: id= is required');
        const { entry, device } = createInitDataEntry({
          id,
          size: size(id, 'size', d.props.size),
          dirtyRate:
            d.props['dirty-rate'] === undefined ? 0 : size(id, 'dirty-rate', d.props['dirty-rate']),
          sectionId: INITDATA_SECTION_BASE + out.initdata.size,
          instanceId: 0,
          isRunning: () => machine.runstate.running,
          role,
        });
        out.initdata.set(id, device);
        out.liveEntries.push(entry);
        break;
      }
      default:
        throw new LivemigError(
          ErrorCode.USAGE,
          `-device ${d.type}: '${d.type}' is not a valid device model name`,
        );
    }
  }
  return out;
}
