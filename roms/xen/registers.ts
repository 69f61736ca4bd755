// Control and debug registers: CR3 is the page-table base Xen owns (mmuext_op NEW_BASEPTR with the machine
// frame), the debug registers are Xen's set/get_debugreg; CR0, CR2 and CR4 a Xen PV kernel reads and writes
// itself (Xen traps and emulates what it must): the native bodies.

import { eax, ebx, ecx, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { registerCalls as native } from "../native/registers.ts";
import { MMUEXT } from "./abi.ts";
import { MMUEXT_ROUTINE, hypercall, info, routine } from "./routines.ts";

export const registerCalls: Record<string, Body> = {
  ...native,
  // EAX = register number, EDX = value.
  SetDR: (a, ctx) => {
    a.push(ebx);
    a.mov(ebx, eax);
    a.mov(ecx, edx);
    hypercall(a, ctx, "set_debugreg");
    a.pop(ebx);
    a.ret();
  },
  GetDR: (a, ctx) => {
    a.push(ebx);
    a.mov(ebx, eax);
    hypercall(a, ctx, "get_debugreg");
    a.pop(ebx);
    a.ret();
  },
  // EAX = physical address of the page directory (+ PCD/PWT) → its machine frame.
  SetCR3: (a, ctx) => {
    a.add(eax, info(ctx, "machineOffset"));
    a.shr(eax, 12);
    a.mov(edx, eax);
    a.mov(eax, MMUEXT.NEW_BASEPTR);
    a.jmp(routine(ctx, MMUEXT_ROUTINE));
  },
};
