/**
 * MigrationOptions: the single owner of migration capability and parameter
 * state, with QEMU 8.1's set/query semantics (all-or-nothing validation, last
 * duplicate wins, capabilities frozen while a migration runs, parameters not).
 */
import { ErrorCode, LivemigError } from '../errors.js';
import {
  CAPABILITY_NAMES,
  allCapabilitiesOff,
  checkCapabilities,
  type CapabilityName,
  type CapabilitySet,
  type CapabilityStatus,
} from './capabilities.js';
import {
  defaultCompatProperties,
  parseGlobal,
  type CompatProperties,
} from './global-properties.js';
import {
  checkParameters,
  defaultParameters,
  mergeParameters,
  type MigrateSetParameters,
  type MigrationParameters,
  type ParameterName,
} from './parameters.js';
import {
  CAPABILITY_SUPPORT,
  LIVEMIG_HOST,
  checkSupport,
  type CapabilitySupport,
  type HostEnvironment,
} from './support.js';

export { CAPABILITY_NAMES, type CapabilityName, type CapabilityStatus } from './capabilities.js';
export {
  PARAMETER_NAMES,
  type MigrateSetParameters,
  type MigrationParameters,
  type ParameterName,
} from './parameters.js';
export { CAPABILITY_SUPPORT, type CapabilitySupport } from './support.js';

export interface SetCapabilitiesContext {
  migrationInProgress: boolean;
  /** This process waits for an incoming migration (runstate `inmigrate`). */
  inmigrate?: boolean;
  /** The incoming transport is already listening/started. */
  incomingStarted?: boolean;
}

export interface SetParametersContext {
  /** Accepted for symmetry; QEMU lets parameters change during a migration. */
  migrationInProgress: boolean;
}

export interface MigrationOptionsConfig {
  host?: HostEnvironment;
  support?: Readonly<Record<CapabilityName, CapabilitySupport>>;
  targetPageSize?: number;
}

export class MigrationOptions {
  /**
   * Called after a successful migrate-set-parameters with the names it
   * applied (even when a value did not change: QEMU re-applies e.g. the rate
   * limit). Not called for -global settings.
   */
  onChange?: (changed: ParameterName[]) => void;

  #caps: CapabilitySet = allCapabilitiesOff();
  #params: MigrationParameters = defaultParameters();
  readonly #compat: CompatProperties = defaultCompatProperties();
  readonly #host: HostEnvironment;
  readonly #support: Readonly<Record<CapabilityName, CapabilitySupport>>;
  readonly #targetPageSize: number;

  constructor(config: MigrationOptionsConfig = {}) {
    this.#host = config.host ?? LIVEMIG_HOST;
    this.#support = config.support ?? CAPABILITY_SUPPORT;
    this.#targetPageSize = config.targetPageSize ?? 4096;
  }

  queryCapabilities(): CapabilityStatus[] {
    return CAPABILITY_NAMES.map((capability) => ({ capability, state: this.#caps[capability] }));
  }

  setCapabilities(list: readonly CapabilityStatus[], ctx: SetCapabilitiesContext): void {
    if (ctx.migrationInProgress) {
      throw new LivemigError(ErrorCode.BAD_STATE, "There's a migration process in progress");
    }
    const next: CapabilitySet = { ...this.#caps };
    for (const { capability, state } of list) next[capability] = state;
    this.#validateCapabilities(this.#caps, next, ctx);
    this.#caps = next;
  }

  queryParameters(): MigrationParameters {
    return { ...this.#params };
  }

  setParameters(p: MigrateSetParameters, _ctx: SetParametersContext): void {
    const { merged, applied } = mergeParameters(this.#params, p);
    checkParameters(merged, {
      zeroCopySend: this.#caps['zero-copy-send'],
      targetPageSize: this.#targetPageSize,
    });
    this.#params = merged;
    if (applied.length > 0) this.onChange?.(applied);
  }

  /** `-global migration.PROP=VALUE`; validation is deferred to checkStartup(), as in QEMU. */
  applyGlobal(prop: string, value: string): void {
    const setting = parseGlobal(prop, value);
    switch (setting.kind) {
      case 'param':
        (this.#params as unknown as Record<ParameterName, unknown>)[setting.name] = setting.value;
        break;
      case 'cap':
        this.#caps[setting.name] = setting.value;
        break;
      case 'compat':
        (this.#compat as unknown as Record<keyof CompatProperties, unknown>)[setting.name] =
          setting.value;
        break;
    }
  }

  /**
   * QEMU's start-up check of the -global values: parameters first, then the
   * capabilities against an all-off old set. Throws the message QEMU prints
   * before exiting.
   */
  checkStartup(): void {
    checkParameters(this.#params, {
      zeroCopySend: this.#caps['zero-copy-send'],
      targetPageSize: this.#targetPageSize,
    });
    this.#validateCapabilities(allCapabilitiesOff(), this.#caps, {});
  }

  cap(name: CapabilityName): boolean {
    return this.#caps[name];
  }

  param<K extends ParameterName>(name: K): MigrationParameters[K] {
    return this.#params[name];
  }

  get storeGlobalState(): boolean {
    return this.#compat.storeGlobalState;
  }
  get sendConfiguration(): boolean {
    return this.#compat.sendConfiguration;
  }
  get sendSectionFooter(): boolean {
    return this.#compat.sendSectionFooter;
  }
  get decompressErrorCheck(): boolean {
    return this.#compat.decompressErrorCheck;
  }
  get multifdFlushAfterEachSection(): boolean {
    return this.#compat.multifdFlushAfterEachSection;
  }
  get clearBitmapShift(): number {
    return this.#compat.clearBitmapShift;
  }
  get preemptPre72(): boolean {
    return this.#compat.preemptPre72;
  }

  #validateCapabilities(
    old: Readonly<CapabilitySet>,
    next: Readonly<CapabilitySet>,
    ctx: { inmigrate?: boolean; incomingStarted?: boolean },
  ): void {
    // QEMU's rules first, so its messages win over livemig's "not supported".
    checkCapabilities(old, next, {
      multifdCompression: this.#params['multifd-compression'],
      tlsCreds: this.#params['tls-creds'],
      inmigrate: ctx.inmigrate,
      incomingStarted: ctx.incomingStarted,
      host: this.#host,
    });
    checkSupport(next, CAPABILITY_NAMES, this.#support);
  }
}
