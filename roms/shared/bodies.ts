// Small body builders every backend needs: calls that do nothing, calls that answer zero, and calls that
// run a few native instructions and return. Backends compose their call tables from these and their own.

import { al, byte, cs, dword, eax, ecx, edx, esp, type Assembler, type Label } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";

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
 * kernel's code segment (the one running now, whatever its RPL); EFLAGS as now with IF set (sysexit leaves
 * EFLAGS alone, and the kernel has enabled interrupts for it). EAX (the system call's result) and every other
 * register are kept; the caller ends with iret (or an iret hypercall). 26 bytes.
 */
export function emitSysexitFrame(a: Assembler): void {
  a.push(eax);
  a.mov(eax, cs);
  a.and(al, 0xfc);
  a.add(al, 24 + 3);
  a.xchg(eax, dword(esp, 0)); // [esp] = user SS, EAX back
  a.push(ecx);
  a.pushf();
  a.or(byte(esp, 1), EFLAGS_IF >> 8);
  a.push(dword(esp, 8));
  a.sub(byte(esp, 0), 8); // user CS = user SS - 8
  a.push(edx);
}

/**
 * The entry label of shared routine `name`, for a body (or routine) to call: a program that does not carry it
 * is an error naming it (IMAGE_BODY_THREW, at the body), not a call to nowhere.
 */
export function routine(ctx: Pick<BodyContext, "shared">, name: string): Label {
  const label = ctx.shared[name];
  if (label === undefined) throw new Error(`the program carries no shared routine ${name}`);
  return label;
}
