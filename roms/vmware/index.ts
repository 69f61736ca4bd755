// The vmware backend: shadow paging with queued asynchronous page-table updates (VMware's own design, see
// paging.ts), a virtual interrupt flag in the shared area (interrupts.ts), and every privileged operation
// through one hypercall transport (transport.ts; numbers in hypercalls.ts, documented in docs/hypervisors.md).
//
// The calls are in the same files as the native backend's (cpu, registers, descriptors, interrupts, paging,
// io, platform); each file says which of its calls stay native, and why. In short: instructions a guest kernel
// may run without privilege or whose effect is the guest's own — CPUID, RDTSC, RDPMC, PAUSE, the
// descriptor-table stores, page-table reads, port I/O, the iret and sysexit returns themselves.

import type { RomProgram } from "../../src/image/program.ts";
import { paravirtRoutines } from "../shared/paravirt.ts";
import { presenceRoutine } from "../shared/presence.ts";
import { cpuCalls } from "./cpu.ts";
import { descriptorCalls } from "./descriptors.ts";
import { vmwareInit } from "./init.ts";
import { interruptCalls } from "./interrupts.ts";
import { ioCalls } from "./io.ts";
import { pagingCalls } from "./paging.ts";
import { platformCalls } from "./platform.ts";
import { registerCalls } from "./registers.ts";
import { flushRoutine } from "./transport.ts";

export const vmware: RomProgram = {
  backend: "vmware",
  description: "shadow paging: page-table writes in place, interesting changes queued as async updates; privileged state by vmcall",
  init: vmwareInit,
  calls: {
    ...cpuCalls,
    ...registerCalls,
    ...descriptorCalls,
    ...interruptCalls,
    ...pagingCalls,
    ...ioCalls,
    ...platformCalls,
  },
  shared: [presenceRoutine("vmware"), ...paravirtRoutines, flushRoutine],
};
