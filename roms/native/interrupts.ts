// The interrupt flag, returns to a lower ring and the I/O privilege level. The interrupt-flag calls
// clobber flags only (guests patch them into places where EAX/ECX/EDX are live).

import { ah, dword, eax, esp, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { thenReturn } from "../shared/bodies.ts";

const EFLAGS_IF_HIGH = 0x200 >> 8; // EFLAGS.IF (0x200), as a bit of AH
const EFLAGS_IOPL = 0x3000;
const EFLAGS_IF = 0x200;

/** Reached with `call` (CALL_REL): a return address sits on top of the iret frame. */
function calledNotJumped(ctx: BodyContext): boolean {
  return ctx.call.relocs[0] !== "JUMP_REL";
}

export const interruptCalls = {
  EnableInterrupts: thenReturn((a) => a.sti()),
  DisableInterrupts: thenReturn((a) => a.cli()),
  // → EAX = EFLAGS & IF.
  GetInterruptMask: thenReturn((a) => {
    a.pushf();
    a.pop(eax);
    a.and(eax, EFLAGS_IF);
  }),
  // EAX = mask: IF set → sti, else cli. Only IF changes (popf would also load the arithmetic flags).
  SetInterruptMask: (a: Assembler) => {
    const off = a.newLabel();
    a.test(ah, EFLAGS_IF_HIGH);
    a.jz(off);
    a.sti();
    a.ret();
    a.label(off);
    a.cli();
    a.ret();
  },
  // The native iret frame is on the stack. api3 guests jump here (JUMP_REL); api13 guests call, so the
  // return address must go first (iret reloads EFLAGS, so `add` may touch the flags).
  IRET: (a, ctx) => {
    if (calledNotJumped(ctx)) a.add(esp, 4);
    a.iret();
  },
  // EDX = user EIP, ECX = user ESP; sysexit takes neither from the stack, so a call and a jump look alike.
  SYSEXIT: (a) => {
    a.sti();
    a.sysexit();
  },
  // EAX = new IOPL bits, already shifted to EFLAGS bits 12-13.
  SetIOPLMask: thenReturn((a) => {
    a.and(eax, EFLAGS_IOPL);
    a.pushf();
    a.and(dword(esp, 0), ~EFLAGS_IOPL);
    a.or(dword(esp, 0), eax);
    a.popf();
  }),
} satisfies Record<string, Body>;
