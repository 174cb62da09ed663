/** livemig: live migration of running VMs, compatible with QEMU's migration stream. */
export * from './errors.js';
export * from './protocol/index.js';
export { inspectFile, InspectSession, type InspectOptions } from './inspect/inspect-file.js';
export type { DeviceEntry, RamBlockStats, SectionEntry, StreamReport } from './inspect/report.js';
export { ramBlockFileName } from './inspect/ram-dump.js';
