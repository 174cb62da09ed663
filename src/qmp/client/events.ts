/**
 * Event delivery. Events nobody has taken yet wait in a bounded backlog (oldest
 * dropped first, counted in `dropped`) so that the common pattern
 * `await execute('stop'); await waitEvent('STOP')` works even though QEMU sends
 * the event before the reply. Rules:
 * - an active `events()` iterator sees every event from when it starts, plus the
 *   backlog, which it takes over (iterators are independent; each has its own
 *   bounded queue);
 * - `waitEvent` takes the first matching event from the backlog, else the next
 *   matching one to arrive (every waiter whose predicate matches gets it);
 * - an event that went to no iterator and no waiter joins the backlog.
 * When the connection ends, iterators finish after their queued events and
 * waiters reject with the connection error.
 */
import { bounded, type WaitOptions } from './cancel.js';
import { AbortedError } from './errors.js';
import type { QmpEvent } from './types.js';

export type EventPredicate = (ev: QmpEvent) => boolean;

interface Waiter {
  name: string;
  predicate: EventPredicate | undefined;
  resolve(ev: QmpEvent): void;
  reject(e: unknown): void;
}

class Subscriber {
  queue: QmpEvent[] = [];
  wake: (() => void) | undefined;
  finished = false;
  failed = false;
  failure: unknown;
}

export class EventHub {
  /** Events discarded because a backlog or iterator queue was full. */
  dropped = 0;
  private backlog: QmpEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private waiters: Waiter[] = [];
  private live = false;
  private endError: unknown;

  constructor(private readonly limit: number) {}

  /** Called on (re)connection: new waits may now block for future events. */
  open(): void {
    this.live = true;
    this.endError = undefined;
  }

  /** Called when the connection ends; `error` is what waiters reject with. */
  end(error: unknown): void {
    if (!this.live) return;
    this.live = false;
    this.endError = error;
    for (const w of this.waiters) w.reject(error);
    this.waiters = [];
    for (const s of this.subscribers) {
      s.finished = true;
      s.wake?.();
    }
    this.subscribers.clear();
  }

  private bound(queue: QmpEvent[], ev: QmpEvent): void {
    queue.push(ev);
    if (queue.length > this.limit) {
      queue.shift();
      this.dropped++;
    }
  }

  push(ev: QmpEvent): void {
    let taken = this.subscribers.size > 0;
    for (const s of this.subscribers) {
      this.bound(s.queue, ev);
      s.wake?.();
    }
    const matched = this.waiters.filter((w) => w.name === ev.event && (w.predicate?.(ev) ?? true));
    if (matched.length > 0) {
      taken = true;
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(ev);
    }
    if (!taken) this.bound(this.backlog, ev);
  }

  /** Removes and returns the backlog. */
  drain(): QmpEvent[] {
    const out = this.backlog;
    this.backlog = [];
    return out;
  }

  wait(name: string, predicate: EventPredicate | undefined, opts: WaitOptions): Promise<QmpEvent> {
    return bounded<QmpEvent>(`waiting for event ${name}`, opts, (settle) => {
      const i = this.backlog.findIndex((ev) => ev.event === name && (predicate?.(ev) ?? true));
      if (i >= 0) {
        settle.resolve(this.backlog.splice(i, 1)[0]!);
        return () => {};
      }
      if (!this.live) {
        settle.reject(this.endError);
        return () => {};
      }
      const w: Waiter = { name, predicate, resolve: settle.resolve, reject: settle.reject };
      this.waiters.push(w);
      return () => {
        this.waiters = this.waiters.filter((x) => x !== w);
      };
    });
  }

  iterate(signal?: AbortSignal): AsyncIterableIterator<QmpEvent> {
    const sub = new Subscriber();
    sub.queue = this.drain();
    if (this.live) this.subscribers.add(sub);
    else sub.finished = true;
    const stop = (failure?: unknown): void => {
      this.subscribers.delete(sub);
      if (failure !== undefined && !sub.finished) {
        sub.failed = true;
        sub.failure = failure;
      }
      sub.finished = true;
      sub.wake?.();
    };
    const onAbort = (): void =>
      stop(new AbortedError('event iteration aborted', { cause: signal?.reason }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => signal?.removeEventListener('abort', onAbort);

    const iterator: AsyncIterableIterator<QmpEvent> = {
      async next(): Promise<IteratorResult<QmpEvent>> {
        for (;;) {
          // An abort wins over queued events: the caller asked to stop now.
          if (sub.failed) {
            sub.failed = false;
            sub.queue = [];
            cleanup();
            throw sub.failure;
          }
          const ev = sub.queue.shift();
          if (ev !== undefined) return { value: ev, done: false };
          if (sub.finished) {
            cleanup();
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (sub.wake = r));
          sub.wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<QmpEvent>> {
        stop();
        sub.failed = false;
        sub.queue = [];
        cleanup();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
