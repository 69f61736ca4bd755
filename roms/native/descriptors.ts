// Descriptor tables and the task register: loads and stores of GDTR/IDTR/LDTR/TR, descriptor writes
// (8 bytes at table + index × 8), and the kernel stack pointer in the TSS.

import { ax, dword, eax, ecx, edx, esp, mem, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { justReturn, thenReturn } from "../shared/bodies.ts";

/** EAX = table, EDX = index, ECX = low dword, [esp+4] = high dword (the 4th regparm argument; the caller pops it). */
const writeEntry: Body = (a: Assembler) => {
  a.mov(dword({ base: eax, index: edx, scale: 8 }), ecx);
  a.mov(ecx, dword(esp, 4));
  a.mov(dword({ base: eax, index: edx, scale: 8, disp: 4 }), ecx);
  a.ret();
};

/** ESP0 lives at offset 4 of the 32-bit TSS. */
const TSS_ESP0 = 4;

export const descriptorCalls = {
  SetGDT: thenReturn((a) => a.lgdt(mem(eax))), // EAX = &dtr
  SetIDT: thenReturn((a) => a.lidt(mem(eax))),
  GetGDT: thenReturn((a) => a.sgdt(mem(eax))),
  GetIDT: thenReturn((a) => a.sidt(mem(eax))),
  SetLDT: thenReturn((a) => a.lldt(ax)), // EAX = selector
  SetTR: thenReturn((a) => a.ltr(ax)),
  // The 32-bit forms of sldt/str leave bits 16-31 undefined on older processors: clear them first.
  GetLDT: thenReturn((a) => {
    a.xor(eax, eax);
    a.sldt(ax);
  }),
  GetTR: thenReturn((a) => {
    a.xor(eax, eax);
    a.str(ax);
  }),
  WriteGDTEntry: writeEntry,
  WriteLDTEntry: writeEntry,
  WriteIDTEntry: writeEntry,
  // api13 (and the spec): EAX = &TSS, EDX = esp0. Linux's api3 passes a selector in EAX instead and only
  // needs the hypervisor to know esp0; the hardware reads it from the TSS Linux itself keeps, so: nothing.
  UpdateKernelStack: (a, ctx) => {
    if (ctx.api === 3) return justReturn(a, ctx);
    a.mov(dword(eax, TSS_ESP0), edx);
    a.ret();
  },
} satisfies Record<string, Body>;
