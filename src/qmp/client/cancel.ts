/**
 * One way to bound any client operation by a timeout and an AbortSignal, so that
 * every wait in the client (connect, greeting, command, event) cleans up the same
 * way: the timer and the abort listener are always removed, and the operation's
 * own bookkeeping is undone through `cancel` before the promise rejects.
 */
import { AbortedError, QmpTimeoutError } from './errors.js';

export interface WaitOptions {
  /** Reject with QMP_TIMEOUT after this many milliseconds (none when undefined). */
  timeoutMs?: number;
  /** Reject with ABORTED when this signal fires. */
  signal?: AbortSignal;
}

export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Runs `start`, which must eventually call resolve or reject and returns a
 * function undoing its registration (called only on timeout or abort).
 */
export function bounded<T>(
  what: string,
  opts: WaitOptions,
  start: (settle: Settle<T>) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal, timeoutMs } = opts;
    if (signal?.aborted) {
      reject(new AbortedError(`${what}: aborted`, { cause: signal.reason }));
      return;
    }
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const settle: Settle<T> = {
      resolve(v) {
        if (done) return;
        finish();
        resolve(v);
      },
      reject(e) {
        if (done) return;
        finish();
        reject(e);
      },
    };
    let cancel: () => void = () => {};
    function onAbort(): void {
      if (done) return;
      finish();
      cancel();
      reject(new AbortedError(`${what}: aborted`, { cause: signal?.reason }));
    }
    cancel = start(settle);
    if (done) return;
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(
        () => {
          if (done) return;
          finish();
          cancel();
          reject(new QmpTimeoutError(`${what}: no answer within ${timeoutMs} ms`));
        },
        Math.max(0, timeoutMs),
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
