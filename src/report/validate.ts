/**
 * Checking a RunRecord read back from JSON. A saved record may come from another
 * livemig version or be edited by hand; the renderer trusts the type, so this is
 * the one place that does not. Members typed `number | undefined` may be missing
 * or null in JSON (JSON.stringify drops undefined); they come back as undefined.
 */
import {
  RUN_RECORD_VERSION,
  type DowntimePart,
  type RunDowntime,
  type RunEvent,
  type RunEventKind,
  type RunRecord,
  type RunSample,
  type RunSummary,
  type RunVerification,
} from './run-record.js';

/** A record that does not match the RunRecord shape; `path` says where, e.g. "samples[3].tMs". */
export class RunRecordError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path === '' ? detail : `${path}: ${detail}`);
    this.name = 'RunRecordError';
  }
}

type Obj = Record<string, unknown>;

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new RunRecordError(path, `expected an object, got ${describe(v)}`);
  }
  return v as Obj;
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new RunRecordError(path, `expected an array, got ${describe(v)}`);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string')
    throw new RunRecordError(path, `expected a string, got ${describe(v)}`);
  return v;
}

function number(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RunRecordError(path, `expected a number, got ${describe(v)}`);
  }
  return v;
}

function optNumber(v: unknown, path: string): number | undefined {
  return v === undefined || v === null ? undefined : number(v, path);
}

function optBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new RunRecordError(path, `expected true or false, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (missing)';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const EVENT_KINDS: readonly RunEventKind[] = ['pass', 'status', 'ack', 'stop', 'resume'];

function sample(v: unknown, path: string): RunSample {
  const o = object(v, path);
  const n = (k: string): number => number(o[k], `${path}.${k}`);
  return {
    tMs: n('tMs'),
    status: string(o.status, `${path}.status`),
    pass: n('pass'),
    remainingBytes: n('remainingBytes'),
    transferredBytes: n('transferredBytes'),
    mbps: n('mbps'),
    dirtyBytesPerSec: n('dirtyBytesPerSec'),
    expectedDowntimeMs: n('expectedDowntimeMs'),
  };
}

function event(v: unknown, path: string): RunEvent {
  const o = object(v, path);
  const kind = string(o.kind, `${path}.kind`);
  if (!(EVENT_KINDS as readonly string[]).includes(kind)) {
    throw new RunRecordError(`${path}.kind`, `unknown event kind "${kind}"`);
  }
  const side = string(o.side, `${path}.side`);
  if (side !== 'source' && side !== 'destination') {
    throw new RunRecordError(`${path}.side`, `expected "source" or "destination", got "${side}"`);
  }
  const e: RunEvent = { tMs: number(o.tMs, `${path}.tMs`), kind: kind as RunEventKind, side };
  if (o.detail !== undefined && o.detail !== null) e.detail = string(o.detail, `${path}.detail`);
  return e;
}

function downtime(v: unknown, path: string): RunDowntime {
  const o = object(v, path);
  const parts = array(o.parts, `${path}.parts`).map((p, i): DowntimePart => {
    const po = object(p, `${path}.parts[${i}]`);
    return {
      name: string(po.name, `${path}.parts[${i}].name`),
      ms: number(po.ms, `${path}.parts[${i}].ms`),
    };
  });
  return {
    reportedMs: optNumber(o.reportedMs, `${path}.reportedMs`),
    guestVisibleMs: optNumber(o.guestVisibleMs, `${path}.guestVisibleMs`),
    parts,
  };
}

function summary(v: unknown, path: string): RunSummary {
  const o = object(v, path);
  const n = (k: string): number | undefined => optNumber(o[k], `${path}.${k}`);
  const s: RunSummary = {
    status: string(o.status, `${path}.status`),
    totalMs: n('totalMs'),
    setupMs: n('setupMs'),
    downtimeMs: n('downtimeMs'),
    passes: n('passes'),
    transferredBytes: n('transferredBytes'),
    throughputMbps: n('throughputMbps'),
    zeroPages: n('zeroPages'),
    normalPages: n('normalPages'),
    ackMs: n('ackMs'),
  };
  if (o.errorDesc !== undefined && o.errorDesc !== null) {
    s.errorDesc = string(o.errorDesc, `${path}.errorDesc`);
  }
  return s;
}

function verification(v: unknown, path: string): RunVerification {
  const o = object(v, path);
  return {
    ramEqual: optBoolean(o.ramEqual, `${path}.ramEqual`),
    devicesVerified: optBoolean(o.devicesVerified, `${path}.devicesVerified`),
    guestRunsOnDestination: optBoolean(o.guestRunsOnDestination, `${path}.guestRunsOnDestination`),
    details: array(o.details, `${path}.details`).map((d, i) => string(d, `${path}.details[${i}]`)),
  };
}

function setup(v: unknown, path: string): RunRecord['setup'] {
  const o = object(v, path);
  const caps = object(o.capabilities, `${path}.capabilities`);
  const capabilities: Record<string, boolean> = {};
  for (const [k, c] of Object.entries(caps)) {
    if (typeof c !== 'boolean') {
      throw new RunRecordError(
        `${path}.capabilities.${k}`,
        `expected true or false, got ${describe(c)}`,
      );
    }
    capabilities[k] = c;
  }
  const params = object(o.parameters, `${path}.parameters`);
  const parameters: Record<string, string | number | boolean> = {};
  for (const [k, p] of Object.entries(params)) {
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean') {
      throw new RunRecordError(
        `${path}.parameters.${k}`,
        `expected a string, number or boolean, got ${describe(p)}`,
      );
    }
    parameters[k] = p;
  }
  return {
    machine: string(o.machine, `${path}.machine`),
    ramBytes: number(o.ramBytes, `${path}.ramBytes`),
    workload: string(o.workload, `${path}.workload`),
    initdataBytes: number(o.initdataBytes, `${path}.initdataBytes`),
    uri: string(o.uri, `${path}.uri`),
    capabilities,
    parameters,
  };
}

/**
 * A RunRecord from parsed JSON, checked member by member and copied (unknown
 * members are dropped). Throws RunRecordError naming the first bad member.
 */
export function parseRunRecord(value: unknown): RunRecord {
  const o = object(value, '');
  if (o.version !== RUN_RECORD_VERSION) {
    throw new RunRecordError(
      'version',
      o.version === undefined
        ? `missing; not a livemig run record`
        : `unsupported run record version ${describe(o.version)} (this livemig reads version ${RUN_RECORD_VERSION})`,
    );
  }
  return {
    version: RUN_RECORD_VERSION,
    label: string(o.label, 'label'),
    startedAt: string(o.startedAt, 'startedAt'),
    livemigVersion: string(o.livemigVersion, 'livemigVersion'),
    setup: setup(o.setup, 'setup'),
    samples: array(o.samples, 'samples').map((s, i) => sample(s, `samples[${i}]`)),
    events: array(o.events, 'events').map((e, i) => event(e, `events[${i}]`)),
    downtime: downtime(o.downtime, 'downtime'),
    summary: summary(o.summary, 'summary'),
    verification: verification(o.verification, 'verification'),
  };
}

/**
 * The records in one saved file: a single record, or an array of them (a demo
 * that runs two migrations may save both together).
 */
export function parseRunRecords(value: unknown): RunRecord[] {
  if (!Array.isArray(value)) return [parseRunRecord(value)];
  if (value.length === 0) throw new RunRecordError('', 'no run records (an empty array)');
  return value.map((v, i) => {
    try {
      return parseRunRecord(v);
    } catch (e) {
      if (e instanceof RunRecordError) {
        const at = e.path === '' ? `[${i}]` : `[${i}].${e.path}`;
        throw new RunRecordError(at, e.detail);
      }
      throw e;
    }
  });
}
