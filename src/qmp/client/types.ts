/**
 * Result and argument shapes of the QMP commands the client types, following
 * QEMU 8.1's schema. Members QEMU omits depending on state are optional. Sizes
 * and uint64 counters are `Uint64`: a number when it is a safe integer, a bigint
 * beyond 2^53 (see json.ts), so wrapped values like 2^64-1 survive exactly.
 */

export type Uint64 = number | bigint;

export interface QmpVersionTriple {
  major: number;
  minor: number;
  micro: number;
}

export interface QmpVersionInfo {
  qemu: QmpVersionTriple;
  package: string;
}

export interface QmpGreeting {
  QMP: { version: QmpVersionInfo; capabilities: string[] };
}

export interface QmpEvent {
  event: string;
  /** `{}` when the server omitted `data` (QEMU does for events without data). */
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export type RunState =
  | 'debug'
  | 'inmigrate'
  | 'internal-error'
  | 'io-error'
  | 'paused'
  | 'postmigrate'
  | 'prelaunch'
  | 'finish-migrate'
  | 'restore-vm'
  | 'running'
  | 'save-vm'
  | 'shutdown'
  | 'suspended'
  | 'watchdog'
  | 'guest-panicked'
  | 'colo';

export interface StatusInfo {
  running: boolean;
  status: RunState;
  /** Present up to QEMU 8.0 (removed in 8.1). */
  singlestep?: boolean;
}

export type MigrationStatus =
  | 'none'
  | 'setup'
  | 'cancelling'
  | 'cancelled'
  | 'active'
  | 'postcopy-active'
  | 'postcopy-paused'
  | 'postcopy-recover'
  | 'completed'
  | 'failed'
  | 'colo'
  | 'pre-switchover'
  | 'device'
  | 'wait-unplug';

export type MigrationCapabilityName =
  | 'xbzrle'
  | 'rdma-pin-all'
  | 'auto-converge'
  | 'zero-blocks'
  | 'compress'
  | 'events'
  | 'postcopy-ram'
  | 'x-colo'
  | 'release-ram'
  | 'block'
  | 'return-path'
  | 'pause-before-switchover'
  | 'multifd'
  | 'dirty-bitmaps'
  | 'postcopy-blocktime'
  | 'late-block-activate'
  | 'x-ignore-shared'
  | 'validate-uuid'
  | 'background-snapshot'
  | 'zero-copy-send'
  | 'postcopy-preempt'
  | 'switchover-ack'
  | 'dirty-limit';

export interface MigrationCapabilityStatus {
  capability: MigrationCapabilityName;
  state: boolean;
}

export interface BitmapMigrationBitmapAlias {
  name: string;
  alias: string;
  transform?: { persistent?: boolean };
}

export interface BitmapMigrationNodeAlias {
  'node-name': string;
  alias: string;
  bitmaps: BitmapMigrationBitmapAlias[];
}

/** `query-migrate-parameters` (8.1): every member present except block-bitmap-mapping. */
export interface MigrationParameters {
  'announce-initial'?: Uint64;
  'announce-max'?: Uint64;
  'announce-rounds'?: Uint64;
  'announce-step'?: Uint64;
  'compress-level'?: number;
  'compress-threads'?: number;
  'compress-wait-thread'?: boolean;
  'decompress-threads'?: number;
  'throttle-trigger-threshold'?: number;
  'cpu-throttle-initial'?: number;
  'cpu-throttle-increment'?: number;
  'cpu-throttle-tailslow'?: boolean;
  'tls-creds'?: string;
  'tls-hostname'?: string;
  'tls-authz'?: string;
  'max-bandwidth'?: Uint64;
  'downtime-limit'?: Uint64;
  'x-checkpoint-delay'?: number;
  'block-incremental'?: boolean;
  'multifd-channels'?: number;
  'xbzrle-cache-size'?: Uint64;
  'max-postcopy-bandwidth'?: Uint64;
  'max-cpu-throttle'?: number;
  'multifd-compression'?: 'none' | 'zlib' | 'zstd';
  'multifd-zlib-level'?: number;
  'multifd-zstd-level'?: number;
  'block-bitmap-mapping'?: BitmapMigrationNodeAlias[];
  'x-vcpu-dirty-limit-period'?: Uint64;
  'vcpu-dirty-limit'?: Uint64;
}

/**
 * `migrate-set-parameters` arguments: any subset. tls-* also take null (≡ "").
 * Integer members accept bigint and plain numbers; negative numbers are allowed
 * through the type because QEMU itself accepts -1 for sizes (wrapping to 2^64-1).
 */
export type MigrateSetParameters = Omit<
  MigrationParameters,
  'tls-creds' | 'tls-hostname' | 'tls-authz'
> & {
  'tls-creds'?: string | null;
  'tls-hostname'?: string | null;
  'tls-authz'?: string | null;
};

export interface MigrationStats {
  transferred: Uint64;
  remaining: Uint64;
  total: Uint64;
  duplicate: Uint64;
  /** Always 0; deprecated in 8.1. */
  skipped: Uint64;
  normal: Uint64;
  'normal-bytes': Uint64;
  'dirty-pages-rate': Uint64;
  mbps: number;
  'dirty-sync-count': Uint64;
  'postcopy-requests': Uint64;
  'page-size': Uint64;
  'multifd-bytes': Uint64;
  'pages-per-second': Uint64;
  'precopy-bytes': Uint64;
  'downtime-bytes': Uint64;
  'postcopy-bytes': Uint64;
  'dirty-sync-missed-zero-copy': Uint64;
}

export interface XBZRLECacheStats {
  'cache-size': Uint64;
  bytes: Uint64;
  pages: Uint64;
  'cache-miss': Uint64;
  'cache-miss-rate': number;
  'encoding-rate': number;
  overflow: Uint64;
}

export interface CompressionStats {
  pages: Uint64;
  busy: Uint64;
  'busy-rate': number;
  'compressed-size': Uint64;
  'compression-rate': number;
}

export type SocketAddress =
  | { type: 'inet'; host: string; port: string; numeric?: boolean; ipv4?: boolean; ipv6?: boolean }
  | { type: 'unix'; path: string; abstract?: boolean; tight?: boolean }
  | { type: 'vsock'; cid: string; port: string }
  | { type: 'fd'; str: string };

/** `query-migrate` (8.1). Every member is optional: which appear depends on the state. */
export interface MigrationInfo {
  status?: MigrationStatus;
  ram?: MigrationStats;
  disk?: MigrationStats;
  vfio?: { transferred: Uint64 };
  'xbzrle-cache'?: XBZRLECacheStats;
  'total-time'?: Uint64;
  'expected-downtime'?: Uint64;
  downtime?: Uint64;
  'setup-time'?: Uint64;
  'cpu-throttle-percentage'?: number;
  'error-desc'?: string;
  'blocked-reasons'?: string[];
  'postcopy-blocktime'?: number;
  'postcopy-vcpu-blocktime'?: number[];
  compression?: CompressionStats;
  'socket-address'?: SocketAddress[];
  'dirty-limit-throttle-time-per-round'?: Uint64;
  'dirty-limit-ring-full-time'?: Uint64;
}

export interface CommandInfo {
  name: string;
}

export interface NameInfo {
  name?: string;
}

export interface UuidInfo {
  UUID: string;
}
