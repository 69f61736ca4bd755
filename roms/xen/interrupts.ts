// The guest's interrupt flag is the event mask in shared_info's vcpu_info (upcall_mask, with upcall_pending
// beside it), and the returns to a lower ring go through Xen's iret hypercall: a ring-1 kernel can run neither
// sti nor sysexit. SetIOPLMask stays native.

import { ah, eax, ebx, ecx, esp, plus, word, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { emitSysexitFrame } from "../shared/bodies.ts";
import { interruptCalls as native } from "../native/interrupts.ts";
import { HYPERCALL, HYPERCALL_ENTRY, XENVER_VERSION } from "./abi.ts";
import { PAGE_ROUTINE, hypercall, infoByte, routine } from "./routines.ts";

const EFLAGS_IF_HIGH = 0x200 >> 8;
const EFLAGS_IF = 0x200;
/** Low byte kept when the event mask (byte 1 of the word at vcpu_info) is cleared: upcall_pending. */
const KEEP_PENDING = 0x00ff;

/**
 * Enabling: clear upcall_mask and test upcall_pending in one locked `and` of the vcpu_info word (pending is its
 * low byte, the mask its high byte): ZF clear means an event waits, and any hypercall (xen_version, as Linux's
 * xen_irq_enable does) lets the hypervisor deliver it. The cold part keeps every register.
 */
function enableEvents(a: Assembler, ctx: BodyContext): void {
  const deliver = ctx.cold((c) => {
    c.push(eax);
    c.push(ebx);
    c.push(ecx);
    c.mov(ebx, XENVER_VERSION);
    c.xor(ecx, ecx);
    hypercall(c, ctx, "xen_version");
    c.pop(ecx);
    c.pop(ebx);
    c.pop(eax);
    c.ret();
  });
  a.lock().and(word(sharedAddress(ctx.layout.virtualTop, "backendPage")), KEEP_PENDING);
  a.jnz(deliver);
  a.ret();
}

export const interruptCalls: Record<string, Body> = {
  ...native,
  EnableInterrupts: enableEvents,
  DisableInterrupts: (a, ctx) => {
    a.mov(infoByte(ctx, "upcallMask"), 1);
    a.ret();
  },
  // mask 0 → CF set → EAX = -1 & 0x200; mask 1 → 0.
  GetInterruptMask: (a, ctx) => {
    a.cmp(infoByte(ctx, "upcallMask"), 1);
    a.sbb(eax, eax);
    a.and(eax, EFLAGS_IF);
    a.ret();
  },
  // EAX = mask (preserved): IF set enables (and delivers a pending event), clear masks.
  SetInterruptMask: (a, ctx) => {
    const off = a.newLabel();
    a.test(ah, EFLAGS_IF_HIGH);
    a.jz(off);
    enableEvents(a, ctx);
    a.label(off);
    a.mov(infoByte(ctx, "upcallMask"), 1);
    a.ret();
  },
  // The iret hypercall takes the caller's EAX on top of the frame; api13 guests call, so the return address goes.
  IRET: (a, ctx) => {
    if (ctx.call.relocs[0] !== "JUMP_REL") a.add(esp, 4);
    a.jmp(plus(routine(ctx, PAGE_ROUTINE), HYPERCALL.iret * HYPERCALL_ENTRY));
  },
  // EDX = user EIP, ECX = user ESP: a ring-1 kernel cannot sysexit (nor sti), so the return is the iret
  // hypercall on a frame built as sysexit would load it; its EFLAGS.IF unmasks events (Xen fakes sysexit so too).
  SYSEXIT: (a, ctx) => {
    emitSysexitFrame(a);
    a.jmp(plus(routine(ctx, PAGE_ROUTINE), HYPERCALL.iret * HYPERCALL_ENTRY));
  },
};
