// Control and debug registers: EAX carries the value (Set) or receives it (Get); debug registers are
// chosen by number in EAX, so the body dispatches to the one mov that names the register.

import { cr0, cr2, cr3, cr4, dr0, dr1, dr2, dr3, dr6, dr7, eax, edx, type Assembler, type CtrlReg, type DbgReg } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { thenReturn } from "../shared/bodies.ts";

const setCr = (r: CtrlReg): Body => thenReturn((a) => a.mov(r, eax));
const getCr = (r: CtrlReg): Body => thenReturn((a) => a.mov(eax, r));

// dr4/dr5 are only aliases of dr6/dr7 (and fault with CR4.DE set); like numbers above 7 they are ignored.
const DEBUG_REGS: ReadonlyArray<[number, DbgReg]> = [
  [0, dr0],
  [1, dr1],
  [2, dr2],
  [3, dr3],
  [6, dr6],
  [7, dr7],
];

/** Compares EAX with each register number and runs `access` for the match; no match: `otherwise`. */
function dispatchDebugReg(a: Assembler, access: (a: Assembler, r: DbgReg) => void, otherwise: (a: Assembler) => void): void {
  const targets = DEBUG_REGS.map(([n, r]) => ({ n, r, label: a.newLabel() }));
  for (const t of targets) {
    a.cmp(eax, t.n);
    a.je(t.label);
  }
  otherwise(a);
  for (const t of targets) {
    a.label(t.label);
    access(a, t.r);
  }
}

export const registerCalls = {
  SetCR0: setCr(cr0),
  SetCR2: setCr(cr2),
  SetCR3: setCr(cr3),
  SetCR4: setCr(cr4),
  GetCR0: getCr(cr0),
  GetCR2: getCr(cr2),
  GetCR3: getCr(cr3),
  GetCR4: getCr(cr4),
  // EAX = register number, EDX = value.
  SetDR: (a) =>
    dispatchDebugReg(
      a,
      (x, r) => {
        x.mov(r, edx);
        x.ret();
      },
      (x) => x.ret(),
    ),
  // EAX = register number → EAX = value (0 for numbers without a register).
  GetDR: (a) =>
    dispatchDebugReg(
      a,
      (x, r) => {
        x.mov(eax, r);
        x.ret();
      },
      (x) => {
        x.xor(eax, eax);
        x.ret();
      },
    ),
} satisfies Record<string, Body>;
