// The interrupt flag, interrupt delivery (a real timer interrupt), IOPL, and the returns to a ring:
// IRET within ring 0 and to ring 3, SYSEXIT to ring 3, each reached as its relocation says.

import { dword, eax, ecx, edx, esp, type Assembler } from "../../../src/asm/index.ts";
import { MEM, SEL } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { EFLAGS_IF, EFLAGS_IOPL, ARITH_FLAGS, MSR_SYSENTER_CS, makeTimerIrqPending, maskIrqs } from "./support.ts";

export function interruptTests(): CallTest[] {
  return [
    {
      name: "interrupt-flag",
      calls: ["EnableInterrupts", "DisableInterrupts", "GetInterruptMask", "SetInterruptMask"],
      emit(t) {
        const a = t.a;
        const saveFl = (x: Assembler) => {
          x.pushf();
          x.pop(eax);
        };
        a.cli();
        t.call("EnableInterrupts", { native: (x) => x.sti() });
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, EFLAGS_IF, "IF after EnableInterrupts");
        t.call("GetInterruptMask", { path: "if=1", native: saveFl });
        t.expectMasked(eax, EFLAGS_IF, EFLAGS_IF, "GetInterruptMask with IF=1");
        t.call("DisableInterrupts", { native: (x) => x.cli() });
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, 0, "IF after DisableInterrupts");
        t.call("GetInterruptMask", { path: "if=0", native: saveFl });
        t.expectMasked(eax, EFLAGS_IF, 0, "GetInterruptMask with IF=0");
        a.mov(eax, EFLAGS_IF);
        t.call("SetInterruptMask", {
          path: "mask=0x200",
          native: (x) => {
            x.push(eax);
            x.popf();
          },
        });
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, EFLAGS_IF, "IF after SetInterruptMask(0x200)");
        a.xor(eax, eax);
        t.call("SetInterruptMask", {
          path: "mask=0",
          native: (x) => {
            x.push(eax);
            x.popf();
          },
        });
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, 0, "IF after SetInterruptMask(0)");
      },
      cleanup(t) {
        t.a.cli();
      },
    },
    {
      // With the timer interrupt pending, EnableInterrupts must let it in, and Halt must return after it.
      name: "interrupt-delivery",
      calls: ["EnableInterrupts", "Halt"],
      emit(t) {
        const a = t.a;
        makeTimerIrqPending(t);
        t.call("EnableInterrupts", { path: "irq-pending", native: (x) => x.sti() });
        a.nop();
        a.cli();
        t.expectEq(t.v("ticks"), 1, "the pending timer interrupt arrived after EnableInterrupts");
        makeTimerIrqPending(t);
        t.call("Halt", {
          native: (x) => {
            x.sti();
            x.hlt();
          },
        });
        a.cli();
        t.expectEq(t.v("ticks"), 1, "Halt returned after the timer interrupt");
        maskIrqs(t);
      },
      cleanup: maskIrqs,
    },
    {
      name: "iopl",
      calls: ["SetIOPLMask"],
      emit(t) {
        const a = t.a;
        for (const level of [3, 0]) {
          a.mov(eax, level << 12);
          t.call("SetIOPLMask", { path: `iopl=${level}` });
          t.expectMasked(t.flags(), EFLAGS_IOPL, level << 12, `IOPL after SetIOPLMask(${level} << 12)`);
        }
      },
      cleanup(t) {
        t.a.pushf();
        t.a.and(dword(esp, 0), ~EFLAGS_IOPL >>> 0);
        t.a.popf();
      },
    },
  ];
}

/** IRET and SYSEXIT: reached the way the relocation says (the site is patched to jmp or call). */
export function returnTests(): CallTest[] {
  const frameFlags = 0x2 | 0x1 | 0x40 | 0x800; // reserved bit, CF, ZF, OF; IF and TF clear
  return [
    {
      name: "iret-same-ring",
      calls: ["IRET"],
      emit(t) {
        const a = t.a;
        const landing = a.newLabel();
        a.push(frameFlags);
        a.push(SEL.code0);
        a.push(landing);
        const l = t.callNoReturn("IRET", landing, { path: "same-ring", native: (x) => x.iret() });
        t.land(l);
        t.expectMasked(t.flags(), ARITH_FLAGS | EFLAGS_IF, frameFlags & (ARITH_FLAGS | EFLAGS_IF), "EFLAGS loaded from the iret frame");
        a.mov(eax, esp);
        t.expectEq(eax, MEM.stackTop, "the iret frame was popped");
      },
    },
    {
      name: "iret-to-ring3",
      calls: ["IRET"],
      emit(t) {
        const a = t.a;
        const user = a.newLabel(),
          back = a.newLabel();
        t.kernelResumeAt(back);
        a.push(SEL.data3);
        a.push(MEM.userStackTop);
        a.push(0x202);
        a.push(SEL.code3);
        a.push(user);
        t.callNoReturn("IRET", back, { path: "to-ring3", native: (x) => x.iret() });
        a.label(user);
        t.backToKernel();
        t.land({ label: back, call: "IRET", path: "to-ring3", count: true });
        t.expectEq(t.v("user_cs"), SEL.code3, "ring 3 ran with the frame's CS");
        t.expectMasked(t.v("user_eflags"), EFLAGS_IF, EFLAGS_IF, "ring 3 ran with the frame's IF");
        a.mov(eax, user);
        a.add(eax, 2);
        t.expectEq(t.v("user_eip"), eax, "ring 3 started at the frame's EIP");
      },
    },
    {
      name: "sysexit",
      calls: ["SYSEXIT"],
      emit(t) {
        const a = t.a;
        const user = a.newLabel(),
          back = a.newLabel();
        a.mov(ecx, MSR_SYSENTER_CS);
        a.mov(eax, SEL.code0);
        a.xor(edx, edx);
        a.wrmsr();
        t.kernelResumeAt(back);
        a.cli();
        a.mov(edx, user);
        a.mov(ecx, MEM.userStackTop);
        t.callNoReturn("SYSEXIT", back, {
          native: (x) => {
            x.sti();
            x.sysexit();
          },
        });
        a.label(user);
        a.mov(t.v("user_esp"), esp);
        t.backToKernel();
        t.land({ label: back, call: "SYSEXIT", path: "default", count: true });
        t.expectEq(t.v("user_cs"), SEL.code3, "ring 3 runs with SYSENTER_CS + 16");
        t.expectMasked(t.v("user_eflags"), EFLAGS_IF, EFLAGS_IF, "SYSEXIT enabled interrupts (sti; sysexit)");
        t.expectEq(t.v("user_esp"), MEM.userStackTop, "ring 3 runs on the stack from ECX");
        a.mov(eax, user);
        a.add(eax, 6 + 2);
        t.expectEq(t.v("user_eip"), eax, "ring 3 started at EDX");
      },
    },
  ];
}
