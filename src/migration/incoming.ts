/**
 * The destination side (QEMU's incoming migration): listen, accept one
 * connection, run the load loop through the stream decoder, answer the
 * return path (PONG, SWITCHOVER_ACK, SHUT), then start the guest.
 *
 * Switchover-ack (QEMU 8.1): after load setup, the devices that need the ACK
 * are counted. The ACK goes out when OPEN_RETURN_PATH arrives if none do, or
 * when the last of them approves; an extra approval is an error.
 */
import { ErrorCode, LivemigError, ProtocolError } from '../errors.js';
import type { ByteReader } from '../protocol/bytes.js';
import { formatUuid } from '../protocol/configuration.js';
import type { StreamRecord } from '../protocol/records.js';
import { encodeRpMessage, type RpMessage } from '../protocol/return-path.js';
import type { SectionKind } from '../protocol/sections.js';
import { StreamDecoder, type SectionFormat } from '../protocol/stream-decoder.js';
import { decodeVMState, type VMStateValue } from '../protocol/vmstate/index.js';
import { downtimeCheckpoint as checkpoint, trace } from '../trace.js';
import { listenIncoming, type IncomingListener, type ListenAddress } from '../transport/index.js';
import type { MigrationChannel } from '../transport/index.js';
import type { Machine } from '../vm/machine.js';
import type { MigrationOptions } from './options.js';
import { RamLoader } from './ram-loader.js';
import type { LoadContext, SaveStateEntry } from './savevm/entries.js';
import { StatusMachine } from './status.js';

export interface IncomingDeps {
  machine: Machine;
  options: MigrationOptions;
  entries: SaveStateEntry[];
  /** Local -uuid, checked against the source's with validate-uuid. */
  uuid?: Uint8Array;
  emit(name: string, data?: Record<string, unknown>): void;
  /** What globalstate said, to decide the run state after load (QEMU 8.1 rules). */
  runstateAfterLoad(): Promise<void>;
  /** Called once: 'completed', or 'failed' with the error (QEMU then exits with status 1). */
  onFinished(result: 'completed' | 'failed', error?: Error): void;
}

export class IncomingMigration {
  readonly status: StatusMachine;
  errorDesc: string | undefined;
  #listener: IncomingListener | undefined;
  #channel: MigrationChannel | undefined;
  readonly #deps: IncomingDeps;
  #rpOpen = false;
  #ackPending = 0;
  #ackSent = false;
  #finished = false;
  #loadCtx: LoadContext;
  readonly #abort = new AbortController();

  constructor(deps: IncomingDeps) {
    this.#deps = deps;
    this.status = new StatusMachine((status) => {
      if (deps.options.cap('events')) deps.emit('MIGRATION', { status });
    });
    this.#loadCtx = this.#makeLoadContext();
  }

  /** Capabilities are read when the load starts: they may be set after -incoming. */
  #makeLoadContext(): LoadContext {
    return {
      switchoverAck: this.#deps.options.cap('switchover-ack'),
      approveSwitchover: () => this.#approveSwitchover(),
      fail: (e) => this.#fail(e),
      holdInput: (ready) => {
        this.#holds.push(ready);
      },
    };
  }

  /** Promises devices asked the input to wait for (see LoadContext.holdInput). */
  #holds: Promise<void>[] = [];

  /** The bound address, for query-migrate's socket-address. */
  get address(): ListenAddress | undefined {
    return this.#listener?.address;
  }

  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /**
   * Binds now (errors are the caller's reply), then accepts in the background.
   * QEMU 8.1 sends MIGRATION {setup} here whatever the events capability says,
   * without changing its state.
   */
  async listen(uri: string): Promise<void> {
    this.#deps.emit('MIGRATION', { status: 'setup' });
    this.#listener = await listenIncoming(uri, this.#abort.signal);
    void this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      const channel = await this.#listener!.accept(this.#abort.signal);
      this.#listener!.close();
      this.#channel = channel;
      this.status.transition('active');
      this.#load(channel);
    } catch (e) {
      this.#fail(e);
    }
  }

  #load(channel: MigrationChannel): void {
    const { entries, options } = this.#deps;
    this.#loadCtx = this.#makeLoadContext();
    for (const e of entries) e.live?.loadSetup?.(this.#loadCtx);
    if (this.#loadCtx.switchoverAck) {
      for (const e of entries) if (e.live?.switchoverAckNeeded?.()) this.#ackPending++;
      trace('loadvm_state_switchover_ack_needed', { switchover_ack_pending_num: this.#ackPending });
    }
    const { machine } = this.#deps;
    const ram = new RamLoader(machine.ram, (block, page) =>
      block === machine.ram[0] ? machine.dirtyLog.everWritten(page) : true,
    );
    const decoder = new StreamDecoder({
      onRecord: (rec) => this.#onRecord(rec, ram),
      resolveSection: (info, type) =>
        this.#resolve(info.idstr, info.instanceId, info.versionId, type),
      configuration: options.sendConfiguration ? 'required' : 'absent',
      sectionFooters: options.sendSectionFooter,
    });
    channel.onRead((view) => {
      if (this.#finished) return;
      try {
        decoder.push(view);
      } catch (e) {
        this.#fail(e);
        return;
      }
      if (this.#holds.length > 0) {
        const holds = this.#holds;
        this.#holds = [];
        channel.pauseReading();
        void Promise.allSettled(holds).then(() => {
          if (!this.#finished) channel.resumeReading();
        });
      }
    });
    channel.onEnd(() => {
      if (this.#finished) return;
      try {
        decoder.end();
        if (!decoder.finished)
          throw new LivemigError(ErrorCode.IO, 'Unexpected end of the migration stream');
      } catch (e) {
        this.#fail(e);
      }
    });
    channel.onError((e) => this.#fail(e));
  }

  #entry(idstr: string, instanceId: number): SaveStateEntry | undefined {
    return this.#deps.entries.find((e) => e.idstr === idstr && e.instanceId === instanceId);
  }

  #resolve(
    idstr: string,
    instanceId: number,
    versionId: number,
    type: 'start' | 'full',
  ): SectionFormat | undefined {
    const e = this.#entry(idstr, instanceId);
    if (!e) return undefined;
    if (idstr === 'ram') return { kind: 'ram' };
    const local = e.vmstate && type === 'full' ? e.vmstate.vmsd.versionId : e.versionId;
    if (versionId > local) {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_SECTION,
        `savevm: unsupported version ${versionId} for '${idstr}' v${local}`,
      );
    }
    if (type === 'full' && e.vmstate) {
      const vmsd = e.vmstate.vmsd;
      return { kind: 'decode', decode: (r: ByteReader) => decodeVMState(r, vmsd, versionId) };
    }
    const live = e.live;
    if (!live) return undefined;
    return {
      kind: 'decode',
      decode: (r: ByteReader, s, kind: SectionKind) => {
        live.loadState(r, s.versionId, kind, this.#loadCtx);
        return undefined;
      },
    };
  }

  #onRecord(rec: StreamRecord, ram: RamLoader): void {
    switch (rec.kind) {
      case 'configuration':
        return this.#checkConfiguration(rec.config.machine, rec.config.uuid);
      case 'ram-block':
        return ram.checkBlock(rec.idstr, rec.usedLength);
      case 'ram-page':
        return ram.page(rec.block, rec.addr, rec.data);
      case 'ram-zero':
        return ram.zero(rec.block, rec.addr);
      case 'ram-xbzrle':
        return ram.xbzrle(rec.block, rec.addr, rec.data, rec.offset);
      case 'device-state': {
        const e = this.#entry(rec.section.idstr, rec.section.instanceId);
        if (e?.vmstate && rec.value !== undefined) e.vmstate.load(rec.value as VMStateValue);
        return;
      }
      case 'command':
        switch (rec.command.name) {
          case 'OPEN_RETURN_PATH':
            return this.#openReturnPath();
          case 'PING':
            if (!this.#rpOpen) {
              throw new LivemigError(
                ErrorCode.PROTOCOL_SECTION,
                `CMD_PING (0x${rec.command.value.toString(16)}) received with no return path`,
              );
            }
            trace('loadvm_process_command_ping', { val: rec.command.value });
            return this.#sendRp({ type: 'pong', value: rec.command.value });
          default:
            throw new LivemigError(
              ErrorCode.UNSUPPORTED,
              `${rec.command.name} is not supported by this version of livemig`,
            );
        }
      case 'eof':
        void this.#complete();
        return;
      default:
        return;
    }
  }

  #checkConfiguration(machine: string, uuid: Uint8Array | undefined): void {
    const local = this.#deps.machine.type;
    if (machine !== local) {
      throw new LivemigError(
        ErrorCode.PROTOCOL_CONFIGURATION,
        `Machine type received is '${machine}' and local is '${local}'`,
      );
    }
    if (uuid) {
      const mine = this.#deps.uuid;
      if (!mine) {
        process.emitWarning(`UUID is received ${formatUuid(uuid)}, but local uuid isn't set`);
      } else if (formatUuid(mine) !== formatUuid(uuid)) {
        throw new LivemigError(
          ErrorCode.PROTOCOL_CONFIGURATION,
          `UUID received is ${formatUuid(uuid)} and local is ${formatUuid(mine)}`,
        );
      }
    }
  }

  #openReturnPath(): void {
    if (this.#rpOpen) {
      process.emitWarning('CMD_OPEN_RETURN_PATH called when RP already open');
      return;
    }
    if (!this.#channel?.writable) {
      throw new LivemigError(ErrorCode.IO, 'CMD_OPEN_RETURN_PATH failed');
    }
    this.#rpOpen = true;
    if (this.#loadCtx.switchoverAck && this.#ackPending === 0) this.#sendAck();
  }

  #approveSwitchover(): void {
    if (this.#ackPending === 0) {
      throw new LivemigError(
        ErrorCode.BAD_STATE,
        'Switchover approved by more devices than need it',
      );
    }
    this.#ackPending--;
    trace('loadvm_approve_switchover', { switchover_ack_pending_num: this.#ackPending });
    if (this.#ackPending === 0) this.#sendAck();
  }

  #sendAck(): void {
    if (this.#ackSent) return;
    if (!this.#rpOpen)
      throw new LivemigError(
        ErrorCode.IO,
        'Could not send switchover ack RP MSG, err -5 (Input/output error)',
      );
    this.#ackSent = true;
    this.#sendRp({ type: 'switchover-ack' });
  }

  #sendRp(msg: RpMessage): void {
    this.#channel?.write([encodeRpMessage(msg)]);
  }

  async #complete(): Promise<void> {
    try {
      const { entries } = this.#deps;
      await Promise.all(entries.map((e) => e.live?.loadComplete?.()));
      for (const e of entries) e.live?.loadCleanup?.();
      if (this.#finished) return;
      checkpoint('dst-precopy-loadvm-completed');
      checkpoint('dst-precopy-bh-enter');
      await this.#deps.runstateAfterLoad();
      checkpoint('dst-precopy-bh-vm-started');
      this.#finished = true;
      this.status.transition('completed');
      if (this.#rpOpen) this.#sendRp({ type: 'shut', status: 0 });
      await this.#channel?.shutdown().catch(() => undefined);
      this.#dropChannel();
      this.#deps.onFinished('completed');
    } catch (e) {
      this.#fail(e);
    }
  }

  #fail(e: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    const err = e instanceof Error ? e : new Error(String(e));
    this.errorDesc = err.message;
    if (this.#rpOpen) {
      try {
        this.#sendRp({ type: 'shut', status: 1 });
      } catch {
        // the peer may be gone already
      }
    }
    this.#abort.abort();
    this.#listener?.close();
    for (const en of this.#deps.entries) en.live?.loadCleanup?.();
    this.status.tryTransition('failed');
    this.#dropChannel();
    this.#deps.onFinished('failed', err);
  }

  /** At quit: stop listening and drop the connection. */
  close(): void {
    this.#finished = true;
    this.#abort.abort();
    this.#listener?.close();
    this.#dropChannel();
  }

  /**
   * Closes the connection and lets go of it: the manager keeps this object
   * for query-migrate, and the channel would otherwise pin its read buffer
   * and the decoder's straddle buffer (~2 MiB) for the life of the process.
   */
  #dropChannel(): void {
    this.#channel?.destroy();
    this.#channel = undefined;
  }

  info(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.status.status !== 'none') out.status = this.status.status;
    if (this.status.status === 'none' && this.address) out['socket-address'] = [this.address];
    if (this.errorDesc !== undefined) out['error-desc'] = this.errorDesc;
    return out;
  }
}
