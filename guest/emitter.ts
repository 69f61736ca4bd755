// The guest program under construction: the assembler plus what every part of the guest shares —
// a string pool, named dword variables, zeroed buffers and the calls into the print routines. Data is
// collected while code is recorded and placed once, after all code, by `emitData()`.

import { Assembler, dword, type Expr, type Label, type Mem32, type Reg32 } from "../src/asm/index.ts";
import { LOAD_ADDR } from "./memory.ts";

/** A value the print and check helpers accept: register, memory, or immediate/label. */
export type Value = Reg32 | Mem32 | Expr;

interface Buffer {
  label: Label;
  size: number;
  align: number;
  bytes?: Uint8Array;
}

/** Entry labels of the runtime routines every part may call (bound by console.ts / traps.ts). */
export interface Runtime {
  printStr: Label;
  printHex: Label;
  printDec: Label;
  exit: Label;
}

export class GuestAsm {
  readonly a: Assembler;
  readonly rt: Runtime;
  private readonly strings = new Map<string, Label>();
  private readonly vars = new Map<string, { label: Label; init: number }>();
  private readonly buffers: Buffer[] = [];

  /** `sourceLines`: record the TypeScript line of every instruction for the listing (slow: a stack trace each). */
  constructor(sourceLines = false) {
    const a = (this.a = new Assembler({ origin: LOAD_ADDR, captureSource: sourceLines }));
    this.rt = { printStr: a.newLabel("rt_print_str"), printHex: a.newLabel("rt_print_hex"), printDec: a.newLabel("rt_print_dec"), exit: a.newLabel("rt_exit") };
  }

  /** A NUL-terminated string in the data area (deduplicated). */
  str(text: string): Label {
    let l = this.strings.get(text);
    if (!l) {
      l = this.a.newLabel();
      this.strings.set(text, l);
    }
    return l;
  }

  /** The label of a named dword variable (created zero, or with `init`, on first use). */
  varLabel(name: string, init = 0): Label {
    let v = this.vars.get(name);
    if (!v) {
      v = { label: this.a.newLabel(`var_${name}`), init };
      this.vars.set(name, v);
    }
    return v.label;
  }

  /** The dword variable `name` as a memory operand. */
  v(name: string, init = 0): Mem32 {
    return dword(this.varLabel(name, init));
  }

  /** A zeroed (or initialised) buffer in the data area. */
  buffer(size: number, align = 16, bytes?: Uint8Array): Label {
    const label = this.a.newLabel();
    this.buffers.push({ label, size, align, ...(bytes ? { bytes } : {}) });
    return label;
  }

  // --- printing (the routines preserve every register and the flags)

  print(text: string): void {
    this.a.push(this.str(text));
    this.a.call(this.rt.printStr);
  }
  printHex(v: Value): void {
    this.pushValue(v);
    this.a.call(this.rt.printHex);
  }
  printDec(v: Value): void {
    this.pushValue(v);
    this.a.call(this.rt.printDec);
  }
  /** Prints a string whose address is in `v` (a register or a pointer variable). */
  printStrAt(v: Reg32 | Mem32): void {
    this.pushValue(v);
    this.a.call(this.rt.printStr);
  }
  /** "text" then the value in hex. */
  printKeyHex(text: string, v: Value): void {
    this.print(text);
    this.printHex(v);
  }
  printKeyDec(text: string, v: Value): void {
    this.print(text);
    this.printDec(v);
  }

  pushValue(v: Value): void {
    this.a.push(v);
  }

  /** Places strings, variables and buffers; call once after all code. */
  emitData(): void {
    const a = this.a;
    a.align(4);
    for (const { label, init } of this.vars.values()) {
      a.label(label);
      a.dd(init >>> 0);
    }
    for (const b of this.buffers) {
      a.align(b.align);
      a.label(b.label);
      if (b.bytes) {
        a.bytes(b.bytes);
        if (b.size > b.bytes.length) a.fill(b.size - b.bytes.length);
      } else a.fill(b.size);
    }
    for (const [text, label] of this.strings) {
      a.label(label);
      a.asciz(text);
    }
  }
}
