// Every assembler error is a value with a code, a message and a location (node, label, source line).
import { describe, expect, it } from "vitest";
import { Assembler, al, ax, byte, cr0, dword, eax, ebx, esp, mem, type AnyOp } from "./errors-support.ts";

function errorsOf(build: (a: Assembler) => void) {
  const a = new Assembler();
  build(a);
  const r = a.assemble();
  return r.ok ? [] : r.errors;
}

describe("assembler errors", () => {
  it("invalid operand combination lists the valid forms", () => {
    const [e, ...rest] = errorsOf((a) => a.ins("mov", [cr0, 5]));
    expect(rest).toEqual([]);
    expect(e!.code).toBe("ASM_INVALID_OPERANDS");
    expect(e!.message).toMatch(/^mov cr0, imm 5: no such form \(valid: .*r\/m32, imm32/);
    expect(e!.location.source).toMatch(/errors\.test\.ts:\d+$/);
  });

  it("size mismatch names both sizes", () => {
    const [e] = errorsOf((a) => a.ins("add", [eax, al]));
    expect(e!.code).toBe("ASM_SIZE_MISMATCH");
    expect(e!.message).toContain("32 vs 8 bits");
  });

  it("immediate out of range names the form", () => {
    const [e] = errorsOf((a) => a.mov(al, 0x100));
    expect(e!.code).toBe("ASM_IMM_RANGE");
    expect(e!.message).toMatch(/immediate imm 256 does not fit/);
    const [e2] = errorsOf((a) => a.int(300));
    expect(e2!.code).toBe("ASM_IMM_RANGE");
    const [e3] = errorsOf((a) => a.add(eax, 2 ** 32));
    expect(e3!.code).toBe("ASM_IMM_RANGE");
    const [e4] = errorsOf((a) => a.dw(70000));
    expect(e4!.code).toBe("ASM_IMM_RANGE");
  });

  it("immediate out of range names the operand that is too large and its own field, the widest the instruction has", () => {
    expect(errorsOf((a) => a.mov(al, 0x1000))[0]!.message).toMatch(/: immediate imm 4096 does not fit imm8$/);
    // enter imm16, imm8: the second operand is the one too large.
    expect(errorsOf((a) => a.enter(1, 0x100))[0]!.message).toMatch(/enter imm 1, imm 256: immediate imm 256 does not fit imm8$/);
    expect(errorsOf((a) => a.enter(0x10000, 1))[0]!.message).toMatch(/: immediate imm 65536 does not fit imm16$/);
    // add has a sign-extended imm8 form before its imm32 one: the value is too large for both, so imm32 is named.
    expect(errorsOf((a) => a.add(eax, 2 ** 32))[0]!.message).toMatch(/: immediate imm 4294967296 does not fit imm32$/);
  });

  it("unsized memory with an immediate asks for a size", () => {
    const [e] = errorsOf((a) => a.ins("mov", [mem(eax), 1] as AnyOp[]));
    expect(e!.code).toBe("ASM_SIZE_NEEDED");
  });

  it("undefined label names the label and the line that uses it", () => {
    const errs = errorsOf((a) => {
      a.label("body");
      a.jmp(a.newLabel("nowhere"));
      a.dd(a.newLabel("missing_data"));
    });
    expect(errs.map((e) => e.code)).toEqual(["ASM_UNDEFINED_LABEL", "ASM_UNDEFINED_LABEL"]);
    expect(errs.map((e) => e.location.label).sort()).toEqual(["missing_data", "nowhere"]);
    expect(errs[0]!.location.source).toMatch(/errors\.test\.ts:\d+$/);
  });

  it("duplicate label", () => {
    const [e] = errorsOf((a) => {
      a.label("twice");
      a.nop();
      a.label("twice");
    });
    expect(e!.code).toBe("ASM_DUPLICATE_LABEL");
    expect(e!.location.label).toBe("twice");
  });

  it("org moving backwards", () => {
    const [e] = errorsOf((a) => {
      a.fill(16);
      a.org(8);
    });
    expect(e!.code).toBe("ASM_ORG_BACKWARDS");
    expect(e!.message).toMatch(/org\(0x8\) moves backwards: the program is already at 0x10/);
  });

  it("bad directives and unknown mnemonics", () => {
    expect(errorsOf((a) => a.align(3))[0]!.code).toBe("ASM_BAD_DIRECTIVE");
    expect(errorsOf((a) => a.fill(-1))[0]!.code).toBe("ASM_BAD_DIRECTIVE");
    expect(errorsOf((a) => a.ascii("\u2603"))[0]!.code).toBe("ASM_BAD_DIRECTIVE");
    expect(errorsOf((a) => a.ins("frobnicate", []))[0]!.code).toBe("ASM_UNKNOWN_MNEMONIC");
  });

  it("invalid addressing forms", () => {
    expect(errorsOf((a) => a.mov(eax, dword({ base: eax, index: esp })))[0]!.code).toBe("ASM_INVALID_ADDRESS");
    // The typed DSL rejects this at compile time; untyped callers get the same rule at record time.
    expect(errorsOf((a) => a.ins("mov", [ax, byte({ base: ax })]))[0]!.code).toBe("ASM_SIZE_MISMATCH");
  });

  it("an absolute fixup that does not fit its field", () => {
    const errs = errorsOf((a) => {
      const l = a.newLabel("here");
      a.fill(300);
      a.label(l);
      a.db(l);
    });
    expect(errs.map((e) => e.code)).toEqual(["ASM_FIXUP_RANGE"]);
    expect(errs[0]!.message).toMatch(/value 300 of here does not fit 8 bits/);
  });

  it("errors are collected, not thrown, and nothing is emitted for a bad instruction", () => {
    const a = new Assembler();
    a.ins("mov", [eax, al]);
    a.mov(ebx, 1);
    expect(a.errors).toHaveLength(1);
    expect(a.nodeCount).toBe(1);
  });
});
