/**
 * Node I/O failures turned into QEMU's wording. QEMU formats them with
 * error_setg_errno, i.e. "<what>: <strerror(errno)>", so the same table of
 * glibc strerror texts serves every transport.
 */
import { ErrorCode, LivemigError } from '../errors.js';

const STRERROR: Record<string, string> = {
  EPIPE: 'Broken pipe',
  ECONNRESET: 'Connection reset by peer',
  ECONNREFUSED: 'Connection refused',
  ECONNABORTED: 'Software caused connection abort',
  ENOENT: 'No such file or directory',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOSPC: 'No space left on device',
  EBADF: 'Bad file descriptor',
  EINVAL: 'Invalid argument',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENAMETOOLONG: 'File name too long',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTSOCK: 'Socket operation on non-socket',
};

/** strerror() text for a Node system error, or its message when unknown. */
export function strerror(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && STRERROR[code]) return STRERROR[code];
  return err instanceof Error ? err.message : String(err);
}

/** QEMU's "<what>: <strerror>" as an IO error. */
export function ioError(what: string, cause: unknown): LivemigError {
  if (cause instanceof LivemigError) return cause;
  return new LivemigError(ErrorCode.IO, `${what}: ${strerror(cause)}`, { cause });
}

export function abortedError(what: string, signal: AbortSignal): LivemigError {
  return new LivemigError(ErrorCode.ABORTED, `${what}: aborted`, { cause: signal.reason });
}

/**
 * Runs `start` until it settles or `signal` aborts; on abort `cancel` (returned by
 * start) undoes its registrations before the promise rejects with ABORTED.
 */
export function abortable<T>(
  what: string,
  signal: AbortSignal | undefined,
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(what, signal));
    let done = false;
    let cancel: (() => void) | undefined;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      cancel?.();
      reject(abortedError(what, signal!));
    };
    const settle =
      <A>(f: (a: A) => void) =>
      (a: A): void => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        // cancel() also removes start's own listeners, so nothing outlives the wait.
        cancel?.();
        f(a);
      };
    const c = start(settle(resolve), settle(reject));
    if (done) c();
    else {
      cancel = c;
      signal?.addEventListener('abort', onAbort, { once: true });
    }
  });
}
