// The instruction store keeps every recorded instruction's operands packed in integers: what the listing reads
// back must be exactly what the program passed, for every kind of operand and in both code sizes.
import { describe, expect, it } from "vitest";
import {
  Assembler,
  al,
  ax,
  bp,
  bx,
  byte,
  cr3,
  cs,
  di,
  diff,
  dr7,
  ds,
  dword,
  eax,
  ebp,
  ebx,
  ecx,
  edi,
  edx,
  es,
  esi,
  esp,
  far,
  fs,
  fword,
  gs,
  mem,
  plus,
  qword,
  seg,
  si,
  ss,
  word,
} from "../../src/asm/index.ts";

type AnyOperandForTest = Parameters<Assembler["ins"]>[1][number];

/** Instructions (mnemonic, operands) whose operands go through every packing path. */
function cases(a: Assembler): [string, AnyOperandForTest[]][] {
  const here = a.newLabel("here");
  const there = a.newLabel("there");
  return [
    ["mov", [eax, ebx]], // two registers in the info word
    ["mov", [ds, ax]],
    ["mov", [cr3, eax]],
    ["mov", [eax, dr7]], // segment, control, debug registers
    ["add", [eax, 5]],
    ["add", [eax, -5]],
    ["mov", [eax, 0x0fffffff]],
    ["mov", [eax, -0x10000000]], // small
    ["mov", [eax, 0x10000000]],
    ["mov", [eax, -0x80000000]], // 32-bit signed
    ["mov", [eax, 0x80000000]],
    ["mov", [eax, 0xffffffff]], // 32-bit unsigned
    ["mov", [dword({ base: ebx, index: ecx, scale: 8, disp: -0x12345678, seg: fs }), eax]],
    ["mov", [eax, dword(0xfffffff0)]],
    ["mov", [byte(esp, 0x7f), al]],
    // One word when the displacement fits 11 bits: both ends of that range, and just past each.
    ["mov", [dword({ base: esi, index: edx, scale: 4, disp: -0x400, seg: es }), eax]],
    ["mov", [eax, dword({ index: edi, scale: 8, disp: 0x3ff, seg: gs })]],
    ["mov", [dword({ base: esi, disp: -0x401 }), eax]],
    ["mov", [eax, dword({ base: ebp, disp: 0x400, seg: ds })]],
    ["lea", [eax, mem({ index: edi, scale: 2, disp: 0x80000000 })]],
    ["mov", [eax, dword(here)]],
    ["mov", [eax, dword(ebx, plus(here, 4))]], // label displacements (kept as objects)
    ["mov", [eax, here]],
    ["mov", [eax, diff(there, here)]], // label immediates
    ["push", [seg(gs, dword(eax))]],
    ["cmpxchg8b", [qword(edi)]],
    ["jmp", [fword(ebx)]],
    ["jmp", [far(0x08, there)]],
    ["imul", [eax, dword(esp, 4), 1000]], // a third operand
    ["shld", [dword(eax), ebx, 3]],
  ];
}

describe("instruction store", () => {
  it("gives back exactly the operands recorded, in 32- and 16-bit code", () => {
    const a = new Assembler({ captureSource: false });
    const recorded: [string, AnyOperandForTest[]][] = [];
    for (const [m, ops] of cases(a)) {
      a.ins(m, ops);
      recorded.push([m, ops]);
    }
    a.bits(16);
    const sixteen: [string, AnyOperandForTest[]][] = [
      ["mov", [ax, word({ base: bx, index: si, disp: -2 })]],
      ["mov", [word(bp, 0x1234), di]],
      ["add", [ax, 0xffff]],
      ["mov", [es, ax]],
      ["mov", [byte({ base: bp, seg: ss }), al]],
      ["mov", [eax, dword({ base: bx, seg: cs })]],
    ];
    for (const [m, ops] of sixteen) {
      a.ins(m, ops);
      recorded.push([m, ops]);
    }
    a.bits(32);
    a.lock().ins("add", [dword(eax), 1]);
    recorded.push(["add", [dword(eax), 1]]);
    a.label("here");
    a.label("there");
    expect(a.errors).toEqual([]);
    const r = a.assemble();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const listed = r.placed.filter((p) => p.ins);
    expect(listed.map((p) => [p.ins!.row.mnemonic, p.ins!.ops])).toEqual(recorded);
    expect(listed.map((p) => p.ins!.bits)).toEqual(recorded.map((_, i) => (i >= recorded.length - 7 && i < recorded.length - 1 ? 16 : 32)));
    expect(listed.at(-1)!.ins!.prefixText).toBe("lock ");
    expect(listed.slice(0, -1).every((p) => p.ins!.prefixText === "")).toBe(true);
    // Lengths come back too: every instruction's bytes are its own.
    expect(listed.reduce((n, p) => n + p.size, 0)).toBe(r.bytes.length);
  });

  it("names the instruction and its source line in a layout error inside a run", () => {
    const a = new Assembler({ bits: 16 });
    const far1 = a.newLabel("far1");
    a.mov(ax, bx);
    a.add(ax, far1); // a 16-bit immediate of a label beyond 64 KiB
    a.mov(bx, ax);
    a.fill(0x10000);
    a.label(far1);
    const r = a.assemble();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.code)).toEqual(["ASM_FIXUP_RANGE"]);
    expect(r.errors[0]!.message).toMatch(/^add at 0x2: value 65543 of far1 does not fit 16 bits/);
    expect(r.errors[0]!.location.source).toMatch(/instruction-store\.test\.ts:\d+$/);
  });
});
