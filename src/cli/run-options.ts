/**
 * Command line of `livemig run`, in QEMU's spellings. The loop follows QEMU's rules: an option is
 * `-name` or `--name` and its argument is always the next word (QEMU has no `-name=value`, so
 * `-m=512` is an invalid option here too); anything not starting with `-` is refused (QEMU would
 * take it as a disk image). Errors are LivemigError(USAGE) whose message is QEMU's location and
 * text, e.g. "-m abc: Parameter 'size' ...": the caller prints it after "livemig run: ".
 */
import { parseQmp, parseSerial } from './run-options-chardev.js';
import type { QmpEndpoint, SerialConfig } from './run-options-chardev.js';
import { parseDevice, parseGlobal } from './run-options-devices.js';
import type { DeviceConfig, GlobalProperty } from './run-options-devices.js';
import { ErrorCode, LivemigError } from '../errors.js';
import { rejectKey, splitOpts, usage } from './run-options-qemuopts.js';
import { strtosz } from '../qemu-strtosz.js';
import { MACHINE_TYPES, WORKLOADS, parseUuid } from './run-options-values.js';
import type { MachineType, Workload } from './run-options-values.js';

export type { QmpEndpoint, SerialConfig } from './run-options-chardev.js';
export type { DeviceConfig, GlobalProperty } from './run-options-devices.js';
export { MACHINE_TYPES, WORKLOADS } from './run-options-values.js';
export type { MachineType, MachineTypeInfo, Workload } from './run-options-values.js';

export interface MachineConfig {
  type: MachineType;
  workload: Workload;
  /** Cap on pages dirtied per second, whatever the workload. */
  dirtyRate?: number;
}

export interface RunConfig {
  machine: MachineConfig;
  /** Bytes, rounded up to 8 KiB as QEMU does. */
  ramSize: number;
  smp: number;
  name?: string;
  uuid?: { bytes: Uint8Array; text: string };
  startPaused: boolean;
  serial: SerialConfig;
  qmp: QmpEndpoint[];
  incoming?: string;
  globals: GlobalProperty[];
  devices: DeviceConfig[];
  /** When help, version or listMachines is set, parsing stopped there and the rest is defaults. */
  help: boolean;
  version: boolean;
  listMachines: boolean;
  /** `-device help`: parsing continued (as in QEMU); the caller lists its device table. */
  listDevices: boolean;
  /** What QEMU would print as "warning: ..." while parsing; the VM still starts. */
  warnings: string[];
}

export const DEFAULT_RAM_SIZE = 256 * 2 ** 20;
const MIB = 1n << 20n;

interface State {
  config: RunConfig;
  /** -machine keys merged over all occurrences (QEMU merges them); checked once at the end. */
  machine: Map<string, { value: string; loc: string }>;
  serialSet: boolean;
  deviceIds: Set<string>;
  /** The last -smp cpus value was 0 (QEMU merges -smp options and looks at the result). */
  smpZero: boolean;
}

type Handler = (st: State, arg: string, loc: string) => 'stop' | void;

const SMP_QEMU_KEYS = [
  'sockets',
  'dies',
  'clusters',
  'cores',
  'threads',
  'maxcpus',
  'books',
  'drawers',
];

function parseMemory(st: State, arg: string, loc: string): void {
  for (const { key, value } of splitOpts(arg, loc, 'size', 'qemuopts')) {
    if (key !== 'size') rejectKey(key, loc, ['slots', 'maxmem']);
    // parse_option_size's errors for qemu_strtosz's two failures. Hex always
    // fails: QEMU gives a suffix-less -m value the legacy M suffix (QEMU 7.2
    // warns about "0x1000M"), and 8.1's qemu_strtosz rejects hex with a suffix.
    const parsed = /^\s*[+-]?0[xX]/.test(value) ? ({ error: 'EINVAL' } as const) : strtosz(value);
    if ('error' in parsed && parsed.error === 'ERANGE')
      usage(loc, `Value '${value}' is out of range for parameter 'size'`);
    if ('error' in parsed) usage(loc, "Parameter 'size' expects a non-negative number below 2^64");
    let bytes = parsed.value;
    // QEMU's legacy rule: a size ending in a digit is in MiB, so `-m 512` is 512 MiB.
    if (/\d$/.test(value)) {
      bytes *= MIB;
      if (bytes >= 1n << 64n) usage(loc, "too large 'size' option value");
    }
    // QEMU keeps `-m 0` meaning "the default", and rounds every size up to 8 KiB.
    if (bytes === 0n) bytes = BigInt(DEFAULT_RAM_SIZE);
    bytes = (bytes + 8191n) & ~8191n;
    if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) usage(loc, 'ram size too large');
    st.config.ramSize = Number(bytes);
  }
}

/**
 * QEMU turns -smp into an SMPConfiguration through the QAPI visitor when it
 * creates the machine, so those errors name `smp.KEY` and carry no option
 * location (checked against QEMU 7.2).
 */
function smpError(message: string): never {
  throw new LivemigError(ErrorCode.USAGE, message);
}

function parseSmp(st: State, arg: string, loc: string): void {
  for (const { key, value } of splitOpts(arg, loc, 'cpus', 'qemuopts')) {
    if (SMP_QEMU_KEYS.includes(key)) usage(loc, `Parameter '${key}' is not supported by livemig`);
    if (key !== 'cpus') smpError(`Parameter 'smp.${key}' is unexpected`);
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
    // int64 in QEMU; beyond 2^53 it could not be a CPU count here anyway.
    if (!Number.isSafeInteger(n)) smpError(`Parameter 'smp.${key}' expects integer`);
    // QEMU 6.2-8.2 take a zero as "omitted" (then cpus = 1) and warn when they
    // build the machine; 9.0 made it an error. livemig follows 8.1.
    st.smpZero = n === 0;
    st.config.smp = n === 0 ? 1 : n;
  }
}

function parseName(st: State, arg: string, loc: string): void {
  for (const { key, value } of splitOpts(arg, loc, 'guest', 'qemuopts')) {
    if (key !== 'guest') rejectKey(key, loc, ['process', 'debug-threads']);
    st.config.name = value;
  }
}

function parseMachineArg(st: State, arg: string, loc: string): 'stop' | void {
  if (arg === 'help' || arg === '?' || /,(help|\?)$/.test(arg)) {
    st.config.listMachines = true;
    return 'stop';
  }
  for (const { key, value } of splitOpts(arg, loc, 'type', 'keyval')) {
    st.machine.set(key, { value, loc });
  }
}

/** Checks the merged -machine keys against the machine table (QEMU does it once, at creation). */
function finishMachine(st: State): void {
  const typeEntry = st.machine.get('type');
  const info = MACHINE_TYPES.find((t) => t.name === (typeEntry?.value ?? 'testvm'));
  if (!info) {
    return usage(
      typeEntry?.loc ?? '-machine',
      'unsupported machine type (use -machine help to list supported machines)',
    );
  }
  const machine: MachineConfig = { type: info.name, workload: 'ab' };
  const props: readonly string[] = info.properties;
  for (const [key, { value, loc }] of st.machine) {
    if (key === 'type') continue;
    if (!props.includes(key)) usage(loc, `Property '${info.name}-machine.${key}' not found`);
    if (key === 'workload') {
      const w = WORKLOADS.find((x) => x === value);
      if (!w) usage(loc, `Parameter 'workload' does not accept value '${value}'`);
      machine.workload = w;
    } else {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) usage(loc, `Parameter '${key}' expects uint64`);
      machine.dirtyRate = n;
    }
  }
  st.config.machine = machine;
  if (st.smpZero) {
    st.config.warnings.push(
      'Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero',
    );
  }
  if (st.config.smp < 0 || st.config.smp > info.maxCpus) {
    smpError(
      `Invalid SMP CPUs ${st.config.smp}. The max CPUs supported by machine '${info.name}' ` +
        `is ${info.maxCpus}`,
    );
  }
}

/** Accepted only with the one argument that is a no-op for livemig. */
const only =
  (option: string, want: string, noun: string): Handler =>
  (_st, arg, loc) => {
    if (arg !== want) usage(loc, `livemig has no ${noun}; only -${option} ${want} is accepted`);
  };

const noop: Handler = () => {};

/** name -> [takes an argument, handler]. A Map, so names like `constructor` are not found. */
const OPTIONS = new Map<string, [boolean, Handler]>([
  ['h', [false, (st) => ((st.config.help = true), 'stop')]],
  ['help', [false, (st) => ((st.config.help = true), 'stop')]],
  ['version', [false, (st) => ((st.config.version = true), 'stop')]],
  ['machine', [true, parseMachineArg]],
  ['M', [true, parseMachineArg]],
  ['m', [true, parseMemory]],
  ['smp', [true, parseSmp]],
  ['name', [true, parseName]],
  [
    'uuid',
    [
      true,
      (st, arg, loc) =>
        void (st.config.uuid = { bytes: parseUuid(arg, loc), text: arg.toLowerCase() }),
    ],
  ],
  ['S', [false, (st) => void (st.config.startPaused = true)]],
  ['serial', [true, serialOption]],
  ['qmp', [true, (st, arg, loc) => void st.config.qmp.push(parseQmp(arg, loc))]],
  ['incoming', [true, (st, arg) => void (st.config.incoming = arg)]],
  ['global', [true, (st, arg, loc) => void st.config.globals.push(parseGlobal(arg, loc))]],
  ['device', [true, deviceOption]],
  // Harmless here: livemig has no default devices, user config files, display or accelerator.
  ['nodefaults', [false, noop]],
  ['no-user-config', [false, noop]],
  ['nographic', [false, noop]],
  ['display', [true, only('display', 'none', 'display')]],
  ['accel', [true, only('accel', 'tcg', 'accelerators')]],
]);

/** One serial port: `none` only keeps the default (as in QEMU, it does not use up a port). */
function serialOption(st: State, arg: string, loc: string): void {
  const serial = parseSerial(arg, loc);
  if (serial.kind === 'none') return;
  if (st.serialSet) usage(loc, 'too many serial ports (livemig has one)');
  st.serialSet = true;
  st.config.serial = serial;
}

function deviceOption(st: State, arg: string, loc: string): void {
  const device = parseDevice(arg, loc, st.deviceIds);
  if (device === 'help') st.config.listDevices = true;
  else st.config.devices.push(device);
}

export function defaultRunConfig(): RunConfig {
  return {
    machine: { type: 'testvm', workload: 'ab' },
    ramSize: DEFAULT_RAM_SIZE,
    smp: 1,
    startPaused: false,
    serial: { kind: 'none' },
    qmp: [],
    globals: [],
    devices: [],
    help: false,
    version: false,
    listMachines: false,
    listDevices: false,
    warnings: [],
  };
}

export function parseRunArgs(argv: readonly string[]): RunConfig {
  const st: State = {
    config: defaultRunConfig(),
    machine: new Map(),
    serialSet: false,
    deviceIds: new Set(),
    smpZero: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) usage(word, 'unexpected argument (livemig run takes no disk image)');
    const option = OPTIONS.get(word.slice(word.startsWith('--') ? 2 : 1));
    if (!option) usage(word, 'invalid option');
    const [takesArg, handler] = option;
    let arg = '';
    let loc = word;
    if (takesArg) {
      const next = argv[i + 1];
      if (next === undefined) usage(word, 'requires an argument');
      arg = next;
      loc = `${word} ${next}`;
      i++;
    }
    if (handler(st, arg, loc) === 'stop') return st.config;
  }
  finishMachine(st);
  return st.config;
}
