// Processor instructions: halt, reboot and shutdown are Xen's sched_op, CLTS is fpu_taskswitch; the rest
// (CPUID, MSRs, the TSC and PMCs, the caches, PAUSE) a Xen PV kernel keeps running itself: the native bodies.

import { ebx, ecx, esp, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { cpuCalls as native } from "../native/cpu.ts";
import { SCHEDOP, SHUTDOWN_REASON } from "./abi.ts";
import { hypercall } from "./routines.ts";

/** sched_op(cmd, arg) with EBX saved. */
function schedOp(a: Assembler, ctx: BodyContext, cmd: number, reason?: number): void {
  a.push(ebx);
  if (reason !== undefined) {
    a.push(reason);
    a.mov(ecx, esp);
  } else a.xor(ecx, ecx);
  a.mov(ebx, cmd);
  hypercall(a, ctx, "sched_op");
  if (reason !== undefined) a.add(esp, 4);
  a.pop(ebx);
  a.ret();
}

export const cpuCalls: Record<string, Body> = {
  ...native,
  // Block clears the event mask and returns once an event has been delivered (VMI's sti; hlt).
  Halt: (a, ctx) => schedOp(a, ctx, SCHEDOP.block),
  Reboot: (a, ctx) => schedOp(a, ctx, SCHEDOP.shutdown, SHUTDOWN_REASON.reboot),
  Shutdown: (a, ctx) => schedOp(a, ctx, SCHEDOP.shutdown, SHUTDOWN_REASON.poweroff),
  CLTS: (a, ctx) => {
    a.push(ebx);
    a.xor(ebx, ebx);
    hypercall(a, ctx, "fpu_taskswitch");
    a.pop(ebx);
    a.ret();
  },
};
