// The DSL's methods and their types come from the opcode table (signatures.ts): every mnemonic is a method, its
// calls type-check exactly when a row (or a short spelling) accepts the operands' types, and a wrong operand or
// an unknown mnemonic is a compile error. `tsc --noEmit` (npm test) checks the @ts-expect-error lines; vitest
// records the well-typed calls and checks the ill-typed ones fail at record time too.
import { describe, expect, it } from "vitest";
import {
  Assembler,
  al,
  ax,
  byte,
  cl,
  cr0,
  cs,
  ds,
  dword,
  eax,
  ebx,
  ecx,
  edi,
  edx,
  es,
  far,
  fword,
  mem,
  qword,
  word,
  type Expr,
  type Mnemonic,
  type Reg32,
} from "../../src/asm/index.ts";
import { MNEMONICS } from "../../src/asm/rows.ts";

describe("DSL methods from the opcode table", () => {
  it("every mnemonic of the table is a method, and only those", () => {
    const a = new Assembler();
    for (const m of MNEMONICS) expect(typeof (a as unknown as Record<string, unknown>)[m], m).toBe("function");
    // The runtime list has the table's mnemonic type too.
    const typed: readonly Mnemonic[] = MNEMONICS;
    expect(new Set(typed).size).toBe(MNEMONICS.length);
  });

  it("well-typed calls record", () => {
    const a = new Assembler();
    const l = a.newLabel("l");
    a.label(l);
    const r: Reg32 | number = Math.random() < 2 ? ecx : 1; // a union of what rows accept in one position
    a.add(eax, r);
    a.add(dword(ebx, 4), 0x12);
    a.mov(al, byte(eax));
    a.mov(ds, ax);
    a.mov(eax, cr0);
    a.mov(word(ebx), cs);
    a.movzx(eax, byte(ebx));
    a.lea(eax, mem({ base: ebx, disp: 8 }));
    a.shl(eax); // short spelling: shl eax, 1
    a.shl(eax, cl);
    a.shld(dword(ebx), eax, 3);
    a.imul(eax, 10); // short spelling: imul eax, eax, 10
    a.imul(eax, ebx, 10);
    a.jne(l);
    a.jmp(l, "short");
    a.jmp(dword(eax));
    a.jmp(far(0x08, l));
    a.call(fword(eax));
    a.loop(l);
    a.push(es);
    a.push(0x1234);
    a.in(al, 0x60);
    a.out(0x80, al);
    a.cmpxchg8b(qword(edi));
    a.ret();
    a.ret(4);
    a.int(0x10);
    a.nop(dword(eax));
    a.sete(byte(edx));
    a.cmovz(eax, dword(ebx));
    const x: Expr = l;
    a.push(x);
    expect(a.errors).toEqual([]);
    expect(a.assemble().ok).toBe(true);
  });

  it("ill-typed calls do not compile, and fail when recorded anyway", () => {
    const a = new Assembler();
    // @ts-expect-error operand sizes differ
    a.mov(eax, al);
    // @ts-expect-error movzx from a 32-bit register
    a.movzx(eax, ecx);
    // @ts-expect-error an immediate destination
    a.add(5, eax);
    // @ts-expect-error a missing operand
    a.add(eax);
    // @ts-expect-error lea needs memory
    a.lea(eax, ebx);
    // @ts-expect-error setcc writes a byte
    a.sete(eax);
    expect(a.errors.map((d) => d.code)).toEqual([
      "ASM_SIZE_MISMATCH",
      "ASM_INVALID_OPERANDS",
      "ASM_INVALID_OPERANDS",
      "ASM_INVALID_OPERANDS",
      "ASM_INVALID_OPERANDS",
      "ASM_INVALID_OPERANDS",
    ]);
    // Compiled, not run: an untyped caller passing a size to call reaches the operand checks with a string.
    const sizedCall = (): void =>
      // @ts-expect-error only label-relative jmp/jcc take a size
      a.call(a.newLabel(), "short");
    expect(typeof sizedCall).toBe("function");
    // @ts-expect-error an unknown mnemonic is no method
    expect(() => a.frobnicate(eax)).toThrow(TypeError);
  });
});
