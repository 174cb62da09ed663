/** VMState: typed device-state descriptions, their wire codec and the vmdesc JSON. */
export type {
  Elem,
  EqualKind,
  IntKind,
  ScalarKind,
  VMStateDescription,
  VMStateField,
  VMStateValue,
} from './types.js';
export { defineVMState, elem, field } from './builder.js';
export type { DescriptionSpec, FieldFactory, FieldOptions } from './builder.js';
export { encodeVMState } from './encode.js';
export { decodeVMState } from './decode.js';
export type { DecodeOptions } from './decode.js';
export { VmdescWriter } from './json-writer.js';
export type { JsonStyle } from './json-writer.js';
export { VmdescDocument } from './vmdesc.js';
export {
  configurationFromVmdesc,
  deviceFromVmdesc,
  parseVmdesc,
  vmdescKey,
} from './from-vmdesc.js';
export type { Vmdesc, VmdescDevice } from './from-vmdesc.js';
export {
  GLOBALSTATE_RUNSTATE_SIZE,
  globalStateRunstate,
  globalStateValue,
  globalStateVMState,
  timerVMState,
} from './qemu-none-devices.js';
