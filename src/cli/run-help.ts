/** Texts `livemig run` prints for --help, --version, -machine help and -device help. */
import { MACHINE_TYPES, WORKLOADS } from './run-options-values.js';

export const RUN_HELP = `Usage: livemig run [options]

A VM process that takes QEMU's option spellings. Every option may be written with one or two
dashes (-m or --m); its argument is the next word (-m 4G; QEMU has no -m=4G form).

Machine and memory:
  -machine [type=]NAME[,workload=W][,dirty-rate=N]    (also -M)
                      NAME: testvm (default) or none; -machine help lists them
                      workload (testvm): ab (default), random, fill, idle
                      dirty-rate (testvm): cap on pages dirtied per second
  -m [size=]SIZE      guest RAM (default 256M); a bare number is MiB; suffixes
                      B, K, M, G, T, P, E; rounded up to 8 KiB; -m 0 means the default
  -smp [cpus=]N       number of vCPUs (default 1)
  -name [guest=]NAME  guest name
  -uuid UUID          machine UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)
  -S                  do not start the guest CPUs (start paused)

Character devices:
  -serial file:PATH | stdio | none     the one serial port (default none)
  -qmp unix:PATH,server=on,wait=off    QMP monitor; repeatable
  -qmp tcp:127.0.0.1:PORT,server=on,wait=off
                      legacy "server" and "nowait" are accepted; only server mode without
                      waiting, and only loopback hosts (127.0.0.0/8, localhost)

Migration:
  -incoming URI|defer wait for an incoming migration
  -global DRIVER.PROP=VALUE            set a default property; repeatable
  -global driver=D,property=P,value=V  the same, QemuOpts form

Devices:
  -device TYPE[,id=ID][,KEY=VALUE...]  add a device; repeatable; -device help lists types

Accepted and ignored (for QEMU command lines):
  -nodefaults  -no-user-config  -nographic  -display none  -accel tcg

Information:
  -h, -help           show this help
  -version            show the version
`;

export function formatRunVersion(version: string): string {
  return `livemig version ${version} (QEMU 8.1 compatible)\n`;
}

/** QEMU's layout: a 20-column name, the description, "(default)" on the default type. */
export function formatMachineHelp(): string {
  const lines = ['Supported machines are:'];
  MACHINE_TYPES.forEach((t, i) => {
    lines.push(`${t.name.padEnd(20)} ${t.description}${i === 0 ? ' (default)' : ''}`);
  });
  lines.push('', `testvm properties: workload=${WORKLOADS.join('|')}, dirty-rate=PAGES_PER_SECOND`);
  return `${lines.join('\n')}\n`;
}

export interface DeviceTypeInfo {
  readonly name: string;
  readonly description: string;
}

/** `-device help`: the caller owns the table of device types it implements. */
export function formatDeviceHelp(types: readonly DeviceTypeInfo[]): string {
  const lines = ['Supported devices are:'];
  for (const t of types) lines.push(`name "${t.name}", desc "${t.description}"`);
  return `${lines.join('\n')}\n`;
}
