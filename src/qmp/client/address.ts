/** Where a QMP server listens, in the forms QEMU's `-qmp` option uses. */
import { QmpConnectionError } from './errors.js';

export type QmpAddress = { path: string } | { host: string; port: number };

/**
 * Accepts `{path}`, `{host, port}`, `"unix:PATH"`, `"tcp:HOST:PORT"` (IPv6 hosts
 * in brackets) or a bare socket path. Options QEMU appends after a comma
 * (`,server=on,wait=off`) are ignored so a `-qmp` value can be pasted as is.
 */
export function parseQmpAddress(address: QmpAddress | string): QmpAddress {
  if (typeof address !== 'string') return address;
  if (address.startsWith('unix:')) return { path: stripOptions(address.slice(5)) };
  if (address.startsWith('tcp:')) {
    const hp = stripOptions(address.slice(4));
    const colon = hp.lastIndexOf(':');
    const port = Number(hp.slice(colon + 1));
    let host = colon < 0 ? '' : hp.slice(0, colon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
      throw new QmpConnectionError(`bad QMP address '${address}': expected tcp:HOST:PORT`);
    return { host: host === '' ? 'localhost' : host, port };
  }
  if (address === '') throw new QmpConnectionError('empty QMP address');
  return { path: address };
}

function stripOptions(s: string): string {
  const comma = s.indexOf(',');
  return comma < 0 ? s : s.slice(0, comma);
}

export function formatQmpAddress(a: QmpAddress): string {
  if ('path' in a) return `unix:${a.path}`;
  return a.host.includes(':') ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
}
