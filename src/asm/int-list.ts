// A growable list of 32-bit integers: the assembler's per-program bookkeeping (special nodes, fixups) without
// a boxed JS array element per entry.
export class IntList {
  data = new Int32Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  at(i: number): number {
    return this.data[i]!;
  }
  indexOf(v: number): number {
    for (let i = 0; i < this.length; i++) if (this.data[i] === v) return i;
    return -1;
  }
}

/** A program's fixup k occupies ints[6k .. 6k+5] = node, start, len, at, size, rel (0/1); value[k] is its value. */
export const FIXUP_STRIDE = 6;
