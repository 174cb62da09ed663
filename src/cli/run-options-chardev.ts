/**
 * `-serial` and `-qmp`: the subset of QEMU's legacy chardev syntax livemig implements.
 * QMP sockets are server-only, never wait for a client, and listen only on loopback or a unix
 * path: a migration test VM must not expose its monitor to the network.
 */
import { parseBool, rejectKey, splitOpts, usage } from './run-options-qemuopts.js';

export type SerialConfig = { kind: 'file'; path: string } | { kind: 'stdio' } | { kind: 'none' };

export type QmpEndpoint =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Socket chardev keys QEMU has and livemig does not implement (clearer message than "Invalid"). */
const QEMU_SOCKET_KEYS = [
  'telnet',
  'tn3270',
  'websocket',
  'reconnect',
  'delay',
  'nodelay',
  'ipv4',
  'ipv6',
  'to',
  'tls-creds',
  'tls-authz',
  'abstract',
  'tight',
  'fd',
  'mux',
  'logfile',
  'logappend',
  'host',
  'port',
  'path',
];

export function parseSerial(arg: string, loc: string): SerialConfig {
  if (arg === 'none') return { kind: 'none' };
  if (arg === 'stdio') return { kind: 'stdio' };
  if (arg.startsWith('file:')) {
    const path = arg.slice('file:'.length);
    if (path === '') usage(loc, 'chardev: file: no filename given');
    return { kind: 'file', path };
  }
  return usage(loc, 'livemig supports only -serial file:PATH, -serial stdio and -serial none');
}

/** 127.0.0.0/8 or the name localhost. */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

function checkServerOptions(options: string, loc: string): void {
  let server = false;
  let wait = true; // QEMU's default for a server socket
  for (const { key, value } of splitOpts(options, loc, undefined, 'qemuopts')) {
    if (key === 'server') server = parseBool(key, value, loc);
    else if (key === 'wait') wait = parseBool(key, value, loc);
    else rejectKey(key, loc, QEMU_SOCKET_KEYS);
  }
  if (!server) usage(loc, 'livemig supports only QMP server sockets; add server=on,wait=off');
  if (wait) usage(loc, 'livemig does not wait for a QMP client to connect; add wait=off');
}

export function parseQmp(arg: string, loc: string): QmpEndpoint {
  if (arg.startsWith('unix:')) {
    // QEMU reads the path as the implied first QemuOpts item, so `,,` is a literal comma.
    const body = arg.slice('unix:'.length);
    const end = rawLength(body);
    const path = body.slice(0, end).replaceAll(',,', ',');
    if (path === '') usage(loc, 'chardev: socket: no path given');
    checkServerOptions(body.slice(end + 1), loc);
    return { kind: 'unix', path };
  }
  if (arg.startsWith('tcp:')) {
    const m = /^tcp:([^:,]*):([^,]*)(?:,(.*))?$/s.exec(arg);
    if (!m) return usage(loc, 'expected tcp:HOST:PORT');
    const host = m[1]!;
    const portText = m[2]!;
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      usage(loc, `invalid port '${portText}': expected a number from 1 to 65535`);
    }
    checkServerOptions(m[3] ?? '', loc);
    if (!isLoopback(host)) {
      usage(
        loc,
        `QMP may listen only on loopback (127.0.0.1, localhost) or a unix socket, not '${host}'`,
      );
    }
    return { kind: 'tcp', host, port };
  }
  return usage(loc, 'livemig supports only -qmp unix:PATH,... and -qmp tcp:HOST:PORT,...');
}

/** Length of the first QemuOpts item as written (escaped commas count twice). */
function rawLength(s: string): number {
  let i = 0;
  while (i < s.length) {
    if (s[i] === ',') {
      if (s[i + 1] !== ',') break;
      i++;
    }
    i++;
  }
  return i;
}
