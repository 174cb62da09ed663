/** Transport layer: migration URIs to byte channels (see channel.ts for the contracts). */
export type { ChannelOptions, MigrationChannel } from './channel.js';
export { DEFAULT_HIGH_WATER_MARK, DEFAULT_READ_BUFFER } from './channel.js';
export type { ExecUri, FdUri, FileUri, InetUri, MigrationUri, UnixUri } from './uri.js';
export { formatUri, isMultiChannelUri, parseIncomingUri, parseMigrateUri } from './uri.js';
export { connectOutgoing } from './connect.js';
export type { IncomingListener, ListenAddress } from './listen.js';
export { listenIncoming } from './listen.js';
export { memoryChannelPair } from './memory.js';
export type { RateLimiterOptions, WindowSample } from './rate-limit.js';
export { BUFFER_DELAY_MS, RateLimiter } from './rate-limit.js';
export { RateLimitedWriter } from './rate-limited-writer.js';
