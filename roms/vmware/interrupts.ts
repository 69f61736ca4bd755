// The virtual interrupt flag: the interrupt-flag calls touch only the shared area (interruptFlag holds an
// EFLAGS image, bit 0x200 = enabled; the hypervisor sets pendingEvents = 0x200 while an event waits). Enabling
// with an event pending delivers it through the DeliverEvents hypercall, in the cold part. These calls
// clobber the flags only, so the cold part keeps EAX (the transport preserves everything else). The iret and
// sysexit returns stay native instructions (they return to the frame's ring with the frame's EFLAGS, as the
// hardware must for ring 3), with the virtual flag kept in step first; IOPL is set by hypercall.

import { dword, eax, esp, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { emitSysexitFrame } from "../shared/bodies.ts";
import { hypercall, viaHypercall } from "./transport.ts";

const EFLAGS_IF = 0x200;

/** The virtual interrupt flag in the shared area (Halt sets it too). */
export const virtualFlag = (ctx: Pick<BodyContext, "layout">) => dword(sharedAddress(ctx.layout.virtualTop, "interruptFlag"));
const pending = (ctx: Pick<BodyContext, "layout">) => dword(sharedAddress(ctx.layout.virtualTop, "pendingEvents"));

/** Cold part: deliver the pending events, keeping EAX. */
function deliver(ctx: BodyContext) {
  return ctx.cold((c: Assembler) => {
    c.push(eax);
    hypercall(c, "DeliverEvents");
    c.pop(eax);
    c.ret();
  });
}

export const interruptCalls: Record<string, Body> = {
  EnableInterrupts: (a, ctx) => {
    const cold = deliver(ctx);
    a.mov(virtualFlag(ctx), EFLAGS_IF);
    a.cmp(pending(ctx), 0);
    a.jne(cold);
    a.ret();
  },
  DisableInterrupts: (a, ctx) => {
    a.mov(virtualFlag(ctx), 0);
    a.ret();
  },
  GetInterruptMask: (a, ctx) => {
    a.mov(eax, virtualFlag(ctx));
    a.ret();
  },
  // EAX = mask (an earlier GetInterruptMask answer): an event waits and the mask enables → deliver.
  SetInterruptMask: (a, ctx) => {
    const cold = deliver(ctx);
    a.mov(virtualFlag(ctx), eax);
    a.test(pending(ctx), eax);
    a.jnz(cold);
    a.ret();
  },
  // The native iret frame is on the stack (api3 guests jump here, api13 guests call: a return address first).
  // The guest returns with the frame's EFLAGS, so its virtual flag becomes the frame's IF; an event that waits
  // is delivered first when that enables, as SetInterruptMask does. The iret itself stays native.
  IRET: (a, ctx) => {
    const called = ctx.call.relocs[0] !== "JUMP_REL";
    const finish = (x: Assembler) => {
      if (called) x.add(esp, 4);
      x.iret();
    };
    const cold = ctx.cold((c) => {
      c.push(eax);
      hypercall(c, "DeliverEvents");
      c.pop(eax);
      finish(c);
    });
    a.push(eax);
    a.mov(eax, dword(esp, 4 + (called ? 4 : 0) + 8)); // the frame's EFLAGS, past EAX and EIP, CS
    a.and(eax, EFLAGS_IF);
    a.mov(virtualFlag(ctx), eax);
    a.test(pending(ctx), eax);
    a.pop(eax);
    a.jnz(cold);
    finish(a);
  },
  // EDX = user EIP, ECX = user ESP: ring 3 runs with interrupts on, virtually too. The kernel may run at CPL 1,
  // where sti and sysexit fault, so the return is an iret built as sysexit would load it (emitSysexitFrame).
  SYSEXIT: (a, ctx) => {
    const none = a.newLabel();
    emitSysexitFrame(a);
    a.mov(virtualFlag(ctx), EFLAGS_IF);
    a.cmp(pending(ctx), 0);
    a.je(none);
    a.push(eax);
    hypercall(a, "DeliverEvents");
    a.pop(eax);
    a.label(none);
    a.iret();
  },
  // EAX = the new IOPL bits: the caller's EFLAGS.IOPL is the hypervisor's to set.
  SetIOPLMask: viaHypercall("SetIOPLMask", [eax]),
};
