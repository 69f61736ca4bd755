// Processor instructions. Unprivileged ones stay native (CPUID, RDTSC, RDPMC, PAUSE: a hypervisor that must
// intercept them does so by its own exits); MSRs, CLTS, the caches, halt, reboot and shutdown are hypercalls.

import { eax, ecx, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { cpuCalls as native } from "../native/cpu.ts";
import { virtualFlag } from "./interrupts.ts";
import { hypercall, viaHypercall } from "./transport.ts";

const EFLAGS_IF = 0x200;

export const cpuCalls: Record<string, Body> = {
  CPUID: native.CPUID,
  RDTSC: native.RDTSC,
  RDPMC: native.RDPMC,
  Pause: native.Pause,
  WRMSR: viaHypercall("WRMSR", [ecx, eax, edx]),
  RDMSR: viaHypercall("RDMSR", [ecx]),
  CLTS: viaHypercall("CLTS"),
  WBINVD: viaHypercall("WBINVD"),
  INVD: viaHypercall("INVD"),
  // Safe halt: interrupts on (virtually), then wait in the hypervisor for the next event.
  Halt: (a, ctx) => {
    a.mov(virtualFlag(ctx), EFLAGS_IF);
    hypercall(a, "Halt");
    a.ret();
  },
  Reboot: viaHypercall("Reboot", [eax]),
  Shutdown: viaHypercall("Shutdown"),
};
