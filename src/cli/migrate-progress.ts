/**
 * Progress display of `livemig migrate --wait`: on a terminal one status block
 * redrawn in place with ANSI cursor moves, otherwise one plain line per tick
 * (logs and pipes must not receive escape codes).
 */
import type { MigrationInfo, MigrationStats, Uint64 } from '../qmp/client/types.js';

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** What the display shows at one tick. */
export interface ProgressState {
  elapsedMs: number;
  info: MigrationInfo;
  /** The last `ram` seen: failed/cancelled replies carry only `status`. */
  ram: MigrationStats | undefined;
  /** undefined when switchover-ack is off. */
  ack: AckState | undefined;
}

/**
 * QMP (QEMU 8.1) has no event or query-migrate member for the ACK. What is
 * certain: the source cannot switch over without it, so once the migration
 * leaves `active` for the switchover (STOP, pre-switchover, device, completed)
 * it had arrived; before that it is unknown, shown as "waiting".
 */
export type AckState = 'waiting' | 'acked' | 'never';

export function ackState(status: string | undefined, switchedOver: boolean): AckState {
  if (switchedOver || status === 'pre-switchover' || status === 'device') return 'acked';
  if (status === 'completed') return 'acked';
  if (status === 'failed' || status === 'cancelled' || status === 'cancelling') return 'never';
  return 'waiting';
}

export const n = (v: Uint64 | undefined): number => (v === undefined ? 0 : Number(v));

export function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function mbps(v: number): string {
  return `${v.toFixed(1)} Mbit/s`;
}

/** RAM already sent, as QEMU's own progress meters compute it: (total - remaining) / total. */
export function percent(ram: MigrationStats | undefined): number {
  if (ram === undefined || n(ram.total) === 0) return 0;
  const p = (100 * (n(ram.total) - n(ram.remaining))) / n(ram.total);
  return Math.max(0, Math.min(100, Math.floor(p)));
}

function dirty(ram: MigrationStats): string {
  const pages = n(ram['dirty-pages-rate']);
  return `${pages} pages/s (${bytes(pages * (n(ram['page-size']) || 4096))}/s)`;
}

const ACK_TEXT: Record<AckState, string> = {
  waiting: 'waiting for ACK',
  acked: 'acked',
  never: 'not acked',
};

function bar(p: number, width = 30): string {
  const full = Math.round((p / 100) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** The lines of the terminal block. */
export function progressBlock(s: ProgressState): string[] {
  const status = s.info.status ?? 'none';
  const p = percent(s.ram);
  const lines = [
    `Migration: ${status.padEnd(14)} ${bar(p)} ${String(p).padStart(3)} %   ${duration(s.elapsedMs)}`,
  ];
  const ram = s.ram;
  if (ram !== undefined) {
    lines.push(
      `  pass ${n(ram['dirty-sync-count'])}   transferred ${bytes(n(ram.transferred))}` +
        `   remaining ${bytes(n(ram.remaining))} of ${bytes(n(ram.total))}`,
      `  throughput ${mbps(ram.mbps)}   dirty rate ${dirty(ram)}` +
        `   expected downtime ${duration(n(s.info['expected-downtime']))}`,
    );
  }
  if (s.ack !== undefined) lines.push(`  switchover-ack: ${ACK_TEXT[s.ack]}`);
  return lines;
}

/** The plain line of one tick. */
export function progressLine(s: ProgressState): string {
  const t = `[${(s.elapsedMs / 1000).toFixed(1).padStart(6)}s]`;
  const parts = [t, s.info.status ?? 'none'];
  const ram = s.ram;
  if (ram !== undefined) {
    parts.push(
      `ram ${percent(ram)}%`,
      `pass ${n(ram['dirty-sync-count'])}`,
      `transferred ${bytes(n(ram.transferred))}`,
      `remaining ${bytes(n(ram.remaining))}`,
      mbps(ram.mbps),
      `dirty ${dirty(ram)}`,
      `expected-downtime ${duration(n(s.info['expected-downtime']))}`,
    );
  }
  if (s.ack !== undefined) parts.push(`ack ${s.ack}`);
  return parts.join('  ');
}

export class ProgressRenderer {
  #drawn = 0;
  constructor(private readonly out: Output) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(s: ProgressState): void {
    if (!this.tty) {
      this.out.write(progressLine(s) + '\n');
      return;
    }
    const lines = progressBlock(s);
    // Up to the block's first line, then rewrite each line (and clear ones left over).
    let text = this.#drawn > 0 ? `\r\x1b[${this.#drawn}A` : '';
    for (let i = 0; i < Math.max(lines.length, this.#drawn); i++) {
      text += `\x1b[2K${lines[i] ?? ''}\n`;
    }
    this.#drawn = Math.max(lines.length, this.#drawn);
    this.out.write(text);
  }

  /** A message under the block (which is then left as it is). */
  note(message: string): void {
    this.#drawn = 0;
    this.out.write(message + '\n');
  }
}
