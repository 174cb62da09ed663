/**
 * Splits the server's byte stream into lines. QEMU ends every message with CRLF
 * and never puts a raw newline inside one, so a line is a message. The cap keeps
 * a misbehaving peer from growing our buffer without bound.
 */

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`message longer than ${limit} bytes without a newline`);
    this.name = 'LineTooLongError';
  }
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes received that do not yet form a complete line. */
  get pendingBytes(): number {
    return this.size;
  }

  /** Returns the complete lines in `chunk` (without CR/LF, empty ones skipped). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.parts.push(chunk.subarray(start, nl));
      const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      const total = this.size + (nl - start);
      this.parts = [];
      this.size = 0;
      if (total > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      const text = whole.toString('utf8').replace(/\r$/, '');
      if (text.trim() !== '') lines.push(text);
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.size += chunk.length - start;
      if (this.size > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      this.parts.push(chunk.subarray(start));
    }
    return lines;
  }
}
