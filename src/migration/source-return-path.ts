/**
 * The source's end of the return path (QEMU's "return path" thread): reads the
 * destination's messages, records SWITCHOVER_ACK and SHUT, and turns anything
 * malformed or unexpected into the migration's error.
 */
import { ErrorCode, LivemigError } from '../errors.js';
import { ReturnPathDecoder, type RpMessage } from '../protocol/return-path.js';
import { trace } from '../trace.js';
import type { MigrationChannel } from '../transport/index.js';

export class SourceReturnPath {
  /** QEMU's switchover_acked. */
  acked = false;
  #shut: { status: number } | undefined;
  #waiter: (() => void) | undefined;
  readonly #onError: (e: LivemigError) => void;

  /** `onError` records a return-path failure as the migration's error. */
  constructor(channel: MigrationChannel, onError: (e: LivemigError) => void) {
    if (!channel.readable) {
      throw new LivemigError(ErrorCode.IO, 'Unable to open return-path for postcopy');
    }
    this.#onError = onError;
    const dec = new ReturnPathDecoder({ onMessage: (m) => this.#onMessage(m) });
    channel.onRead((view) => {
      try {
        dec.push(view);
      } catch (e) {
        this.#error(e as LivemigError);
      }
    });
    channel.onEnd(() => {
      if (!this.#shut) {
        this.#error(new LivemigError(ErrorCode.IO, 'Return path closed by the destination'));
      }
      this.#waiter?.();
    });
  }

  #error(e: LivemigError): void {
    this.#onError(e);
    this.#waiter?.();
  }

  #onMessage(m: RpMessage): void {
    switch (m.type) {
      case 'switchover-ack':
        trace('source_return_path_thread_switchover_acked');
        this.acked = true;
        return;
      case 'pong':
        trace('source_return_path_thread_pong', { val: m.value });
        return;
      case 'shut':
        trace('source_return_path_thread_shut', { val: m.status });
        this.#shut = { status: m.status };
        this.#waiter?.();
        return;
      default:
        this.#error(
          new LivemigError(
            ErrorCode.PROTOCOL_RETURN_PATH,
            `Received '${m.type}' on the return path of a precopy migration`,
          ),
        );
    }
  }

  /**
   * QEMU joins its return-path thread at completion: success needs the
   * destination's SHUT(0). `check` throws when the migration has failed meanwhile.
   */
  async waitShut(signal: AbortSignal, check: () => void): Promise<void> {
    while (!this.#shut) {
      check();
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      this.#waiter = undefined;
    }
    if (this.#shut.status !== 0) {
      throw new LivemigError(ErrorCode.IO, `Sibling indicated error ${this.#shut.status}`);
    }
  }
}
