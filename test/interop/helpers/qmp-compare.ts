// Raw QMP plumbing for comparing livemig with real QEMU byte for byte: no JSON
// parsing on the way in or out, so malformed requests reach the server exactly as
// written and replies are compared as the exact lines the server printed.
import { connect, type Socket } from 'node:net';

/** How a step decides that all of its reply lines have arrived. */
export type Wait =
  /** Send a marker command after the request and read up to its reply (the usual case). */
  | 'sync'
  /** No marker (it would be swallowed, e.g. by an unfinished object); collect for a while. */
  | 'quiet'
  /** The server is expected to hang up (quit): read until end of stream. */
  | 'close';

/** A QMP connection that hands back whole lines, CR included, without interpreting them. */
export class RawQmp {
  private buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private syncCount = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      // Partial lines are kept as a chunk list and joined only once a newline
      // arrives, so a multi-MiB reply does not cost a copy per chunk.
      if (chunk.indexOf(0x0a) < 0) {
        this.partial.push(chunk);
        return;
      }
      this.buffer = Buffer.concat([this.buffer, ...this.partial, chunk]);
      this.partial = [];
      let nl: number;
      while ((nl = this.buffer.indexOf(0x0a)) >= 0) {
        // Both servers promise ASCII output; latin1 keeps any stray byte visible in a diff.
        this.lines.push(this.buffer.subarray(0, nl).toString('latin1'));
        this.buffer = this.buffer.subarray(nl + 1);
      }
      this.wake();
    });
    const end = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    // A reset after quit is an ordinary end of stream for our purposes.
    socket.on('error', end);
  }

  static connect(path: string, timeoutMs = 5000): Promise<RawQmp> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect ${path}: timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', reject);
        resolve(new RawQmp(s));
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The next line, or undefined if the stream ended or nothing came within `timeoutMs`. */
  async nextLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      const left = deadline - Date.now();
      if (this.ended || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Sends `request` (a newline is appended unless it ends in one) and returns the
   * lines it produced. The 'sync' marker is a command neither server has, carrying
   * a unique id: both answer it with CommandNotFound plus that id (also before
   * negotiation), and because replies come in request order, everything before it
   * belongs to the request.
   */
  async exchange(request: string | Buffer, wait: Wait, timeoutMs = 5000): Promise<string[]> {
    const bytes = typeof request === 'string' ? Buffer.from(request, 'utf8') : request;
    const out: string[] = [];
    const needsNl = bytes.length === 0 || bytes[bytes.length - 1] !== 0x0a;
    this.socket.write(needsNl ? Buffer.concat([bytes, Buffer.from('\n')]) : bytes);
    if (wait === 'sync') {
      const id = `__sync-${++this.syncCount}`;
      this.socket.write(`{"execute": "x-compare-sync", "id": "${id}"}\n`);
      const marker = `"id": "${id}"`;
      for (;;) {
        const line = await this.nextLine(timeoutMs);
        if (line === undefined) {
          throw new Error(
            `${this.ended ? 'connection closed' : 'timed out'} before the sync reply; got ` +
              `${out.length} lines, first: ${JSON.stringify(out.slice(0, 3))}`,
          );
        }
        if (line.includes(marker)) return out;
        out.push(line);
      }
    }
    // 'quiet': the request must not have produced anything within a short window.
    // 'close': everything up to the end of the stream.
    const window = wait === 'quiet' ? 300 : timeoutMs;
    for (;;) {
      const line = await this.nextLine(window);
      if (line === undefined) {
        if (wait === 'close' && !this.ended) out.push('<<still open after quit>>');
        return out;
      }
      out.push(line);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** Event timestamps are wall-clock: replaced by zeros, everything else stays byte-exact. */
export function normaliseTimestamps(line: string): string {
  return line.replace(
    /^\{"timestamp": \{"seconds": -?\d+, "microseconds": -?\d+\}/,
    '{"timestamp": {"seconds": 0, "microseconds": 0}',
  );
}

/** Version numbers and package string (greeting and query-version) are per build. */
export function normaliseVersion(line: string): string {
  return line.replace(
    /"qemu": \{"micro": \d+, "minor": \d+, "major": \d+\}, "package": "(?:[^"\\]|\\.)*"/,
    '"qemu": {"micro": 0, "minor": 0, "major": 0}, "package": ""',
  );
}

/**
 * Removes one member `"key": <scalar>` (and one adjoining ", ") from a QEMU-printed
 * object, leaving every other byte alone. Used to strip members one version has and
 * the other lacks. Throws if the member is absent, so a stale table entry shows up.
 */
export function dropMember(line: string, key: string): string {
  const scalar = String.raw`(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null)`;
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(String.raw`"${k}": ${scalar}(, )?|, "${k}": ${scalar}`);
  if (!re.test(line)) throw new Error(`member ${key} not found in ${line}`);
  return line.replace(re, '');
}

/** Removes one list element (an exact substring such as `{"state": false, "capability": "x"}`). */
export function dropElement(line: string, element: string): string {
  for (const candidate of [`, ${element}`, `${element}, `, element]) {
    if (line.includes(candidate)) return line.replace(candidate, '');
  }
  throw new Error(`element ${element} not found in ${line}`);
}

/** A readable diff of two reply-line lists for assertion messages. */
export function describeDiff(qemu: string[], livemig: string[]): string {
  const rows: string[] = [];
  const n = Math.max(qemu.length, livemig.length);
  for (let i = 0; i < n; i++) {
    const q = qemu[i];
    const l = livemig[i];
    if (q === l) {
      rows.push(`  = ${JSON.stringify(q)}`);
    } else {
      rows.push(`  qemu    ${q === undefined ? '(no line)' : JSON.stringify(q)}`);
      rows.push(`  livemig ${l === undefined ? '(no line)' : JSON.stringify(l)}`);
    }
  }
  return rows.join('\n');
}
