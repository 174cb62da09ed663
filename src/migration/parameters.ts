/**
 * Migration parameters: QEMU 8.1's MigrationParameters with its defaults, the
 * merge QMP performs before validating, and migrate_params_check() in QEMU's
 * order with its exact texts (which use the underscored C names).
 *
 * Typing follows the QAPI types: size/uint64 are bigint (QEMU wraps negative
 * JSON numbers, so the input layer hands over already-wrapped values), uint8 and
 * uint32 are number.
 */
import { ErrorCode, LivemigError } from '../errors.js';

export const MULTIFD_COMPRESSION_VALUES = ['none', 'zlib', 'zstd'] as const;
export type MultiFDCompression = (typeof MULTIFD_COMPRESSION_VALUES)[number];

export interface MigrationParameters {
  'announce-initial': bigint;
  'announce-max': bigint;
  'announce-rounds': bigint;
  'announce-step': bigint;
  'compress-level': number;
  'compress-threads': number;
  'compress-wait-thread': boolean;
  'decompress-threads': number;
  'throttle-trigger-threshold': number;
  'cpu-throttle-initial': number;
  'cpu-throttle-increment': number;
  'cpu-throttle-tailslow': boolean;
  'tls-creds': string;
  'tls-hostname': string;
  'tls-authz': string;
  'max-bandwidth': bigint;
  /** QEMU 8.2; included because livemig's convergence engine uses it. */
  'avail-switchover-bandwidth': bigint;
  'downtime-limit': bigint;
  'x-checkpoint-delay': number;
  'block-incremental': boolean;
  'multifd-channels': number;
  'xbzrle-cache-size': bigint;
  'max-postcopy-bandwidth': bigint;
  'max-cpu-throttle': number;
  'multifd-compression': MultiFDCompression;
  'multifd-zlib-level': number;
  'multifd-zstd-level': number;
  'x-vcpu-dirty-limit-period': bigint;
  'vcpu-dirty-limit': bigint;
}

export type ParameterName = keyof MigrationParameters;

/** StrOrNull members: `null` means "" (QEMU rewrites it before anything else). */
export type TlsParameterName = 'tls-creds' | 'tls-hostname' | 'tls-authz';

/** The argument of migrate-set-parameters: any subset; tls-* may be null. */
export type MigrateSetParameters = {
  [K in ParameterName]?: K extends TlsParameterName ? string | null : MigrationParameters[K];
};

/** QEMU 8.1 defaults (migration/options.c), plus avail-switchover-bandwidth from 8.2. */
export function defaultParameters(): MigrationParameters {
  return {
    'announce-initial': 50n,
    'announce-max': 550n,
    'announce-rounds': 5n,
    'announce-step': 100n,
    'compress-level': 1,
    'compress-threads': 8,
    'compress-wait-thread': true,
    'decompress-threads': 2,
    'throttle-trigger-threshold': 50,
    'cpu-throttle-initial': 20,
    'cpu-throttle-increment': 10,
    'cpu-throttle-tailslow': false,
    'tls-creds': '',
    'tls-hostname': '',
    // Unset internally in QEMU; query-migrate-parameters reports it as "".
    'tls-authz': '',
    'max-bandwidth': 128n << 20n,
    'avail-switchover-bandwidth': 0n,
    'downtime-limit': 300n,
    'x-checkpoint-delay': 20000,
    'block-incremental': false,
    'multifd-channels': 2,
    'xbzrle-cache-size': 64n << 20n,
    'max-postcopy-bandwidth': 0n,
    'max-cpu-throttle': 99,
    'multifd-compression': 'none',
    'multifd-zlib-level': 1,
    'multifd-zstd-level': 1,
    'x-vcpu-dirty-limit-period': 1000n,
    'vcpu-dirty-limit': 1n,
  };
}

/** Every parameter, in QAPI schema order. */
export const PARAMETER_NAMES = Object.keys(defaultParameters()) as readonly ParameterName[];

const PARAMETER_NAME_SET: ReadonlySet<string> = new Set(PARAMETER_NAMES);

export function isParameterName(name: string): name is ParameterName {
  return PARAMETER_NAME_SET.has(name);
}

/**
 * QEMU 8.1 quirk, kept on purpose: its test-apply and apply steps forget these
 * two, so migrate-set-parameters accepts any value for them, never validates it
 * and never stores it (7.2 observed the same; 9.0 fixed it). Only -global can
 * change them.
 */
export const QMP_IGNORED_PARAMETERS: ReadonlySet<ParameterName> = new Set([
  'multifd-zlib-level',
  'multifd-zstd-level',
]);

/**
 * Overlay a migrate-set-parameters request on the current set the way QEMU
 * does (null tls-* become ""). Returns the merged set and the names applied.
 */
export function mergeParameters(
  current: Readonly<MigrationParameters>,
  patch: MigrateSetParameters,
): { merged: MigrationParameters; applied: ParameterName[] } {
  const merged: MigrationParameters = { ...current };
  const applied: ParameterName[] = [];
  const target = merged as unknown as Record<ParameterName, unknown>;
  for (const name of PARAMETER_NAMES) {
    if (!(name in patch) || QMP_IGNORED_PARAMETERS.has(name)) continue;
    const value = patch[name];
    if (value === undefined) continue;
    // The QMP layer hands over integers as numbers when they fit; 64-bit
    // parameters are kept as bigint so their arithmetic never mixes types.
    target[name] =
      value === null
        ? ''
        : typeof current[name] === 'bigint' && typeof value === 'number'
          ? BigInt(value)
          : value;
    applied.push(name);
  }
  return { merged, applied };
}

/** glibc's SIZE_MAX on 64-bit hosts, stringified the way QEMU's message does. */
const SIZE_MAX = (1n << 64n) - 1n;
const SIZE_MAX_TEXT = '(18446744073709551615UL)';

/** "Parameter '%s' expects %s" (QERR_INVALID_PARAMETER_VALUE). */
function invalid(name: string, expects: string): LivemigError {
  return new LivemigError(ErrorCode.MIGRATION_PARAMETER, `Parameter '${name}' expects ${expects}`);
}

function isPowerOfTwo(v: bigint): boolean {
  return v > 0n && (v & (v - 1n)) === 0n;
}

export interface ParameterCheckContext {
  /** Current state of the zero-copy-send capability (QEMU reads the live one). */
  zeroCopySend: boolean;
  targetPageSize?: number;
}

/** migrate_params_check() of QEMU 8.1 on a full (merged) parameter set. */
export function checkParameters(
  p: Readonly<MigrationParameters>,
  ctx: ParameterCheckContext,
): void {
  const pageSize = BigInt(ctx.targetPageSize ?? 4096);

  if (p['compress-level'] > 9) {
    throw invalid('compress_level', 'a value between 0 and 9');
  }
  if (p['compress-threads'] < 1) {
    throw invalid('compress_threads', 'a value between 1 and 255');
  }
  if (p['decompress-threads'] < 1) {
    throw invalid('decompress_threads', 'a value between 1 and 255');
  }
  const threshold = p['throttle-trigger-threshold'];
  if (threshold < 1 || threshold > 100) {
    throw invalid('throttle_trigger_threshold', 'an integer in the range of 1 to 100');
  }
  const initial = p['cpu-throttle-initial'];
  if (initial < 1 || initial > 99) {
    throw invalid('cpu_throttle_initial', 'an integer in the range of 1 to 99');
  }
  const increment = p['cpu-throttle-increment'];
  if (increment < 1 || increment > 99) {
    throw invalid('cpu_throttle_increment', 'an integer in the range of 1 to 99');
  }
  // Unreachable for uint64 values on a 64-bit host; kept for fidelity.
  if (p['max-bandwidth'] > SIZE_MAX) {
    throw invalid('max_bandwidth', `an integer in the range of 0 to ${SIZE_MAX_TEXT} bytes/second`);
  }
  if (p['avail-switchover-bandwidth'] > SIZE_MAX) {
    throw invalid(
      'avail_switchover_bandwidth',
      `an integer in the range of 0 to ${SIZE_MAX_TEXT} bytes/second`,
    );
  }
  // QEMU stringifies its macro, so the text really says "(2000 * 1000)".
  if (p['downtime-limit'] > 2_000_000n) {
    throw invalid('downtime_limit', 'an integer in the range of 0 to (2000 * 1000) ms');
  }
  if (p['multifd-channels'] < 1) {
    throw invalid('multifd_channels', 'a value between 1 and 255');
  }
  if (p['multifd-zlib-level'] > 9) {
    throw invalid('multifd_zlib_level', 'a value between 0 and 9');
  }
  if (p['multifd-zstd-level'] > 20) {
    throw invalid('multifd_zstd_level', 'a value between 0 and 20');
  }
  const cache = p['xbzrle-cache-size'];
  if (cache < pageSize || !isPowerOfTwo(cache)) {
    throw invalid('xbzrle_cache_size', 'a power of two no less than the target page size');
  }
  const maxThrottle = p['max-cpu-throttle'];
  if (maxThrottle < initial || maxThrottle > 99) {
    throw invalid('max_cpu_throttle', 'an integer in the range of cpu_throttle_initial to 99');
  }
  if (p['announce-initial'] > 100_000n) {
    throw invalid('announce_initial', 'a value between 0 and 100000');
  }
  if (p['announce-max'] > 100_000n) {
    throw invalid('announce_max', 'a value between 0 and 100000');
  }
  if (p['announce-rounds'] > 1000n) {
    throw invalid('announce_rounds', 'a value between 0 and 1000');
  }
  // (sic) 0 is refused although the text says "between 0 and".
  if (p['announce-step'] < 1n || p['announce-step'] > 10_000n) {
    throw invalid('announce_step', 'a value between 0 and 10000');
  }
  if (ctx.zeroCopySend && (p['multifd-compression'] !== 'none' || p['tls-creds'] !== '')) {
    throw new LivemigError(
      ErrorCode.MIGRATION_PARAMETER,
      'Zero copy only available for non-compressed non-TLS multifd migration',
    );
  }
  const period = p['x-vcpu-dirty-limit-period'];
  if (period < 1n || period > 1000n) {
    throw invalid('x-vcpu-dirty-limit-period', 'a value between 1 and 1000');
  }
  if (p['vcpu-dirty-limit'] < 1n) {
    // (sic) 8.1 feeds a full sentence into the "expects %s" template.
    throw invalid('vcpu_dirty_limit', 'is invalid, it must greater then 1 MB/s');
  }
}
