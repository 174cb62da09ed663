/**
 * One client of a QMP server: greeting, negotiation, an in-order command
 * queue, and output that respects socket backpressure. Out-of-band requests
 * bypass the queue as in QEMU. Nothing the client sends can throw out of here.
 */
import type { Socket } from 'node:net';
import { JsonStreamer } from '../json/streamer.js';
import type { JsonMessage } from '../json/streamer.js';
import { writeJson } from '../json/writer.js';
import type { MemberOrder } from '../json/writer.js';
import { capabilitiesCommand, QMP_CAPABILITIES, versionInfo } from './builtins.js';
import type { QmpVersion } from './builtins.js';
import { dispatch, isOobRequest, parseErrorReply } from './dispatch.js';
import type { DispatchEnv, Reply } from './dispatch.js';
import type { CommandContext, RegisteredCommand } from './registry.js';
import { transition } from './state.js';
import type { ConnectionEvent, ConnectionState } from './state.js';

/** QEMU's QMP_REQ_QUEUE_LEN_MAX: stop reading while this many requests wait. */
export const REQUEST_QUEUE_MAX = 8;

export interface ConnectionOptions {
  id: number;
  socket: Socket;
  version: QmpVersion;
  offerOob: boolean;
  memberOrder: MemberOrder;
  maxOutputBytes: number;
  find(name: string): RegisteredCommand | undefined;
  broadcastEvent(name: string, data?: unknown): void;
  onError(err: Error, id: number): void;
  onClose(conn: QmpConnection): void;
}

export function eventMessage(name: string, data: unknown): Reply {
  const now = performance.timeOrigin + performance.now();
  const micros = Math.floor(now * 1000);
  const msg: Reply = {
    timestamp: { seconds: Math.floor(micros / 1e6), microseconds: micros % 1e6 },
    event: name,
  };
  if (data !== undefined) msg['data'] = data;
  return msg;
}

export class QmpConnection {
  private state: ConnectionState = 'negotiating';
  private oobEnabled = false;
  private readonly queue: JsonMessage[] = [];
  private pumping = false;
  private readonly streamer: JsonStreamer;
  private readonly ctx: CommandContext;
  private readonly capabilities: RegisteredCommand;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly opts: ConnectionOptions) {
    this.streamer = new JsonStreamer((m) => this.onMessage(m));
    this.ctx = {
      connectionId: opts.id,
      sendEvent: (name, data) => this.sendEvent(name, data),
      broadcastEvent: (name, data) => opts.broadcastEvent(name, data),
    };
    const offered = opts.offerOob ? ['oob'] : [];
    this.capabilities = capabilitiesCommand({
      negotiated: () => this.state !== 'negotiating',
      offered,
      accept: (enabled) => {
        this.oobEnabled = enabled.includes('oob');
        this.apply({ type: 'capabilities-accepted' });
      },
    });
    const { socket } = opts;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.wakeDrainWaiters());
    socket.on('error', (err) => opts.onError(err, opts.id));
    socket.on('close', () => this.apply({ type: 'closed' }));
    this.write({ QMP: { version: versionInfo(opts.version), capabilities: offered } });
  }

  get id(): number {
    return this.opts.id;
  }

  get negotiated(): boolean {
    return this.state === 'command';
  }

  private apply(event: ConnectionEvent): void {
    const before = this.state;
    this.state = transition(this.state, event);
    if (before !== 'closed' && this.state === 'closed') {
      this.queue.length = 0;
      this.wakeDrainWaiters();
      this.opts.socket.destroy();
      this.opts.onClose(this);
    }
  }

  close(): void {
    this.apply({ type: 'closed' });
  }

  sendEvent(name: string, data?: unknown): void {
    if (this.state === 'command') this.write(eventMessage(name, data));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    try {
      this.streamer.feed(chunk);
    } catch (e) {
      // A bug in the parser must cost this client, not the process.
      this.opts.onError(e instanceof Error ? e : new Error(String(e)), this.opts.id);
      this.close();
    }
  }

  private onMessage(msg: JsonMessage): void {
    if (this.state === 'closed') return;
    if (msg.kind === 'value' && isOobRequest(msg.value)) {
      void this.answer(msg);
      return;
    }
    this.queue.push(msg);
    if (this.queue.length >= REQUEST_QUEUE_MAX) this.opts.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let msg = this.queue.shift(); msg; msg = this.queue.shift()) {
        if (this.queue.length < REQUEST_QUEUE_MAX && this.state !== 'closed') {
          this.opts.socket.resume();
        }
        const full = await this.answer(msg);
        if (full) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
        if (this.state === 'closed') break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Produces and sends the reply to one message; true when output is backed up. */
  private async answer(msg: JsonMessage): Promise<boolean> {
    let reply: Reply;
    if (msg.kind === 'error') {
      reply = parseErrorReply(msg.message);
    } else {
      const negotiating = this.state === 'negotiating';
      reply = await dispatch(msg.value, this.env());
      const error = reply['error'] as { class: string; desc: string } | undefined;
      // QEMU rewrites every CommandNotFound while negotiating.
      if (negotiating && this.state === 'negotiating' && error?.class === 'CommandNotFound') {
        error.desc = "Expecting capabilities negotiation with 'qmp_capabilities'";
      }
    }
    // The client may have gone while the handler ran; its result is dropped.
    if (this.state === 'closed') return false;
    return this.write(reply);
  }

  private env(): DispatchEnv {
    return {
      find: (name) => {
        if (name === QMP_CAPABILITIES) return this.capabilities;
        return this.state === 'command' ? this.opts.find(name) : undefined;
      },
      oobEnabled: this.oobEnabled,
      ctx: this.ctx,
    };
  }

  /** Writes one message; returns true when the socket asks us to wait. */
  private write(msg: Reply): boolean {
    if (this.state === 'closed') return false;
    const { socket } = this.opts;
    if (socket.writableLength > this.opts.maxOutputBytes) {
      this.opts.onError(new Error('client does not read its output; dropped'), this.opts.id);
      this.close();
      return false;
    }
    let text: string;
    try {
      text = writeJson(msg, { order: this.opts.memberOrder });
    } catch (e) {
      // A handler returned something JSON cannot express: report, don't crash.
      const desc = e instanceof Error ? e.message : String(e);
      const fallback: Reply = { error: { class: 'GenericError', desc } };
      if ('id' in msg) fallback['id'] = msg['id'];
      text = writeJson(fallback, { order: this.opts.memberOrder });
    }
    return !socket.write(`${text}\r\n`, 'latin1');
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
