// Small body builders every backend needs: calls that do nothing, calls that answer zero, and calls that
// run a few native instructions and return. Backends compose their call tables from these and their own.

import { cs, dword, eax, ecx, edx, esp, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";

/** Nothing to do: return to the caller (regparm callers pop their own stack arguments). */
export const justReturn: Body = (a) => a.ret();

/** EAX = 0. */
export const returnZero: Body = (a) => {
  a.xor(eax, eax);
  a.ret();
};

/** EDX:EAX = 0. */
export const returnZero64: Body = (a) => {
  a.xor(eax, eax);
  a.xor(edx, edx);
  a.ret();
};

/** Runs `emit` (native instructions), then returns. */
export function thenReturn(emit: (a: Assembler) => void): Body {
  return (a) => {
    emit(a);
    a.ret();
  };
}

const EFLAGS_IF = 0x200;

/**
 * SYSEXIT as an iret frame, for a kernel that may run at CPL 1 (where sysexit faults): EDX = user EIP, ECX =
 * user ESP; CS and SS by sysexit's own rule, SYSENTER_CS + 16 and + 24 with RPL 3, taking SYSENTER_CS to be the
 * kernel's code segment (the one running now, whatever its RPL); EFLAGS as now with IF set. EAX (the system
 * call's result) and every other register are kept; the caller ends with iret (or an iret hypercall).
 */
export function emitSysexitFrame(a: Assembler): void {
  a.push(eax);
  a.mov(eax, cs);
  a.and(eax, 0xfffc);
  a.add(eax, 24 + 3);
  a.xchg(eax, dword(esp, 0));
  a.push(ecx);
  a.pushf();
  a.or(dword(esp, 0), EFLAGS_IF);
  a.push(eax);
  a.mov(eax, cs);
  a.and(eax, 0xfffc);
  a.add(eax, 16 + 3);
  a.xchg(eax, dword(esp, 0));
  a.push(edx);
}
