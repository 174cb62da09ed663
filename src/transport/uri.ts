/**
 * Migration URIs, parsed the way QEMU 8.1 parses them (migration.c, socket.c,
 * util/qemu-sockets.c inet_parse/socket_parse), with QEMU's error texts.
 *
 * The two commands word an unknown scheme differently: `migrate` (source) says
 * "Parameter 'uri' expects a valid migration protocol", `migrate-incoming`
 * (destination) says "unknown migration protocol: URI". Everything else is
 * shared. `file:` is accepted as in QEMU 8.2 (it did not exist in 8.1), so a
 * stream can be saved to and loaded from a file.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { strtosz, strtoszErrorText } from '../qemu-strtosz.js';

/** A TCP address as QEMU keeps it: strings, the host without IPv6 brackets. */
export interface InetUri {
  kind: 'tcp';
  host: string;
  port: string;
}
export interface UnixUri {
  kind: 'unix';
  path: string;
}
/** `exec:CMD`, run as `/bin/sh -c CMD` like QEMU. */
export interface ExecUri {
  kind: 'exec';
  command: string;
}
/** `file:PATH[,offset=N]` (QEMU 8.2 syntax). */
export interface FileUri {
  kind: 'file';
  path: string;
  offset: number;
}
/** `fd:NAME`: parsed, but livemig cannot receive file descriptors over QMP. */
export interface FdUri {
  kind: 'fd';
  name: string;
}
export type MigrationUri = InetUri | UnixUri | ExecUri | FileUri | FdUri;

/** URI of the source side (`migrate`). */
export function parseMigrateUri(uri: string): MigrationUri {
  return parse(uri, () => "Parameter 'uri' expects a valid migration protocol");
}

/** URI of the destination side (`migrate-incoming`, `-incoming`). */
export function parseIncomingUri(uri: string): MigrationUri {
  return parse(uri, (u) => `unknown migration protocol: ${u}`);
}

/** The URI back in QEMU's spelling (as `query-migrate` and traces show it). */
export function formatUri(u: MigrationUri): string {
  switch (u.kind) {
    case 'tcp':
      return `tcp:${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`;
    case 'unix':
      return `unix:${u.path}`;
    case 'exec':
      return `exec:${u.command}`;
    case 'file':
      return u.offset ? `file:${u.path},offset=${u.offset}` : `file:${u.path}`;
    case 'fd':
      return `fd:${u.name}`;
  }
}

/** Whether multifd / postcopy-preempt can use this URI (QEMU: sockets only). */
export function isMultiChannelUri(u: MigrationUri): boolean {
  return u.kind === 'tcp' || u.kind === 'unix';
}

function invalid(msg: string): LivemigError {
  return new LivemigError(ErrorCode.INVALID_PARAMETER, msg);
}

function parse(uri: string, unknown: (uri: string) => string): MigrationUri {
  const rest = (prefix: string): string | undefined =>
    uri.startsWith(prefix) ? uri.slice(prefix.length) : undefined;
  let r: string | undefined;
  if ((r = rest('tcp:')) !== undefined) return parseInet(r);
  if ((r = rest('unix:')) !== undefined) {
    if (r === '') throw invalid('invalid Unix socket address');
    return { kind: 'unix', path: r };
  }
  if ((r = rest('exec:')) !== undefined) return { kind: 'exec', command: r };
  if ((r = rest('fd:')) !== undefined) return { kind: 'fd', name: r };
  if ((r = rest('file:')) !== undefined) return parseFile(r);
  // QEMU also knows rdma: and vsock:; this build has neither, which QEMU reports
  // the same way as an unknown scheme when it is built without them.
  throw invalid(unknown(uri));
}

/**
 * inet_parse: `HOST:PORT`, `[V6]:PORT` or `:PORT`. Like QEMU's sscanf patterns the
 * host stops at the first ':' (so a bare IPv6 address must be bracketed) and the
 * port at the first ','; options after ',' (to=, ipv4, ipv6, keep-alive) are
 * listening hints this transport does not need, so they are accepted and ignored.
 */
function parseInet(s: string): InetUri {
  let m: RegExpExecArray | null;
  if (s.startsWith(':')) {
    m = /^:([^,]{1,32})/.exec(s);
    if (!m) throw invalid(`error parsing port in address '${s}'`);
    return { kind: 'tcp', host: '', port: m[1]! };
  }
  if (s.startsWith('[')) {
    m = /^\[([^\]]{1,64})\]:([^,]{1,32})/.exec(s);
    if (!m) throw invalid(`error parsing IPv6 address '${s}'`);
    return { kind: 'tcp', host: m[1]!, port: m[2]! };
  }
  m = /^([^:]{1,64}):([^,]{1,32})/.exec(s);
  if (!m) throw invalid(`error parsing address '${s}'`);
  return { kind: 'tcp', host: m[1]!, port: m[2]! };
}

/** file_parse_offset (8.2): the first ",offset=" splits path and offset. */
function parseFile(spec: string): FileUri {
  const at = spec.indexOf(',offset=');
  if (at < 0) return { kind: 'file', path: spec, offset: 0 };
  const text = spec.slice(at + ',offset='.length);
  const r = strtosz(text);
  if ('error' in r) throw invalid(`file URI has bad offset ${text}: ${strtoszErrorText(r.error)}`);
  if (r.value > Number.MAX_SAFE_INTEGER) {
    throw invalid(`file URI has bad offset ${text}: Numerical result out of range`);
  }
  return { kind: 'file', path: spec.slice(0, at), offset: Number(r.value) };
}
