/** `livemig run`: parse QEMU-style options, start the VM process, stay up until quit. */
import { LivemigError } from '../errors.js';
import { DEVICE_TYPES, startVmProcess } from '../process/vm-process.js';
import { livemigVersion } from '../version.js';
import { formatDeviceHelp, formatMachineHelp, formatRunVersion, RUN_HELP } from './run-help.js';
import { parseRunArgs, type RunConfig } from './run-options.js';
import { terminalSafeLine } from './terminal-safe.js';

const fail = (message: string): number => {
  process.stderr.write(`livemig run: ${terminalSafeLine(message)}\n`);
  return 1;
};

export async function runMain(argv: string[]): Promise<number> {
  let cfg: RunConfig;
  try {
    cfg = parseRunArgs(argv);
  } catch (e) {
    if (e instanceof LivemigError) return fail(e.message);
    throw e;
  }
  if (cfg.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (cfg.version) {
    process.stdout.write(formatRunVersion(livemigVersion()));
    return 0;
  }
  if (cfg.listMachines) {
    process.stdout.write(formatMachineHelp());
    return 0;
  }
  if (cfg.listDevices) {
    process.stdout.write(formatDeviceHelp(DEVICE_TYPES));
    return 0;
  }
  // After help, version and the lists, which QEMU prints before it builds the machine.
  for (const w of cfg.warnings) process.stderr.write(`livemig run: warning: ${w}\n`);
  let vmProcess;
  try {
    vmProcess = await startVmProcess(cfg, (w) =>
      process.stderr.write(`livemig run: ${terminalSafeLine(w)}\n`),
    );
  } catch (e) {
    if (e instanceof LivemigError) return fail(e.message);
    throw e;
  }
  // QEMU: "terminating on signal N", SHUTDOWN {reason: host-signal}, exit 0.
  const onSignal = (num: number): void => {
    process.stderr.write(`livemig run: terminating on signal ${num}\n`);
    void vmProcess.shutdown('host-signal');
  };
  const onInt = (): void => onSignal(2);
  const onTerm = (): void => onSignal(15);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  await vmProcess.done;
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  return vmProcess.exitCode();
}
