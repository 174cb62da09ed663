export { CommandRegistry } from './registry.js';
export type { CommandContext, CommandDefinition, CommandHandler } from './registry.js';
export { QmpServer } from './server.js';
export type { QmpServerOptions } from './server.js';
export type { QmpVersion } from './builtins.js';
export { transition } from './state.js';
export type { ConnectionEvent, ConnectionState } from './state.js';
