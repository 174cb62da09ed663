/** The typed QMP client: see client.ts for behaviour, commands.ts for the typed commands. */
export { QmpClient, type QmpConnectOptions, type QmpExecOptions } from './client.js';
export { parseQmpAddress, formatQmpAddress, type QmpAddress } from './address.js';
export {
  QmpError,
  QmpConnectionError,
  QmpTimeoutError,
  AbortedError,
  isQmpError,
} from './errors.js';
export type { QmpCommands, QmpCommandName, QmpArgs, QmpReturn, NoArgs, Empty } from './commands.js';
export type { EventPredicate } from './events.js';
export type { WaitOptions } from './cancel.js';
export { parseJson, stringifyJson, JsonSyntaxError, type JsonValue } from './json.js';
export type * from './types.js';
