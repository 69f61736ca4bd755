// Growable storage for a recorded program: a byte buffer for its code, lists of 32-bit integers for its
// bookkeeping (special nodes, fixups, instructions and their operands) without a boxed JS array element per
// entry, and arrays that hold objects.

/** A growable byte buffer the encoder writes into (one per program: no allocation per instruction). */
export class ByteSink {
  buf = new Uint8Array(1 << 12);
  len = 0;
  /** Makes room for `n` more bytes, to be written at buf[len..] directly (an instruction is at most 15 bytes). */
  reserve(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }
  bytes(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private grow(n: number): void {
    // Four times larger: each step copies what is there into fresh memory, and fresh pages cost more to touch
    // than the bytes themselves (the copies add a third of the final size, not all of it as doubling does).
    const next = new Uint8Array(Math.max(this.buf.length * 4, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** A growable list of 32-bit integers. */
export class IntList {
  data = new Int32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) this.grow(1);
    this.data[this.length++] = v;
  }
  /** Makes room for n more entries (then write data[length..] directly and advance length). */
  reserve(n: number): void {
    if (this.length + n > this.data.length) this.grow(n);
  }
  private grow(n: number): void {
    // Four times larger: big programs fill millions of entries, and each step copies and touches new memory.
    const next = new Int32Array(Math.max(this.data.length * 4, this.length + n));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/**
 * An empty array already in V8's generic elements kind. Arrays that will hold objects start out as small-integer
 * arrays and change their map on the first object pushed; code optimized while recording one program would then
 * be thrown away (deoptimized) at the start of the next. Starting generic keeps it valid.
 */
export function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}
