/**
 * A streaming JSON writer that reproduces QEMU's JSONWriter byte for byte in its
 * non-pretty mode: keys in call order, ", " between members and ": " after keys,
 * control and non-ASCII characters as upper-case \uXXXX escapes. The vmdesc length
 * travels in the stream, so the exact spelling matters for wire-identical output.
 * A `compact` style (no spaces) is offered for tools that want the shortest form.
 */
export type JsonStyle = 'qemu' | 'compact';

export class VmdescWriter {
  private out: string[] = [];
  private needComma = false;
  private readonly stack: boolean[] = []; // true: array
  private readonly comma: string;
  private readonly colon: string;

  constructor(style: JsonStyle = 'qemu') {
    this.comma = style === 'qemu' ? ', ' : ',';
    this.colon = style === 'qemu' ? ': ' : ':';
  }

  private member(name: string | undefined): void {
    if (this.needComma) this.out.push(this.comma);
    this.needComma = true;
    if (this.stack.length > 0 && !this.stack[this.stack.length - 1]) {
      if (name === undefined) throw new Error('JSON object member needs a name');
      this.out.push(quote(name), this.colon);
    }
  }

  startObject(name?: string): this {
    this.member(name);
    this.out.push('{');
    this.stack.push(false);
    this.needComma = false;
    return this;
  }

  endObject(): this {
    if (this.stack.pop() !== false) throw new Error('JSON: endObject outside an object');
    this.out.push('}');
    this.needComma = true;
    return this;
  }

  startArray(name?: string): this {
    this.member(name);
    this.out.push('[');
    this.stack.push(true);
    this.needComma = false;
    return this;
  }

  endArray(): this {
    if (this.stack.pop() !== true) throw new Error('JSON: endArray outside an array');
    this.out.push(']');
    this.needComma = true;
    return this;
  }

  str(name: string | undefined, value: string): this {
    this.member(name);
    this.out.push(quote(value));
    return this;
  }

  int(name: string | undefined, value: number | bigint): this {
    this.member(name);
    this.out.push(BigInt(value).toString());
    return this;
  }

  /** The text written so far; every container must be closed. */
  toString(): string {
    if (this.stack.length !== 0) throw new Error('JSON: unclosed container');
    return this.out.join('');
  }
}

function quote(s: string): string {
  let r = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') r += '\\"';
    else if (ch === '\\') r += '\\\\';
    else if (ch === '\b') r += '\\b';
    else if (ch === '\f') r += '\\f';
    else if (ch === '\n') r += '\\n';
    else if (ch === '\r') r += '\\r';
    else if (ch === '\t') r += '\\t';
    else if (cp > 0xffff) {
      const hi = 0xd800 + ((cp - 0x10000) >> 10);
      const lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      r += `\\u${hex4(hi)}\\u${hex4(lo)}`;
    } else if (cp < 0x20 || cp >= 0x7f) r += `\\u${hex4(cp)}`;
    else r += ch;
  }
  return r + '"';
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
