// The vmware backend: shadow paging with queued asynchronous page-table updates (VMware's own design, see
// paging.ts), a virtual interrupt flag in the shared area (interrupts.ts), and every privileged operation
// through one hypercall transport (transport.ts; numbers in hypercalls.ts, documented in docs/hypervisors.md).
//
// What stays native, and why: instructions a guest kernel may run without privilege or whose effect is
// the guest's own — CPUID, RDTSC, RDPMC, PAUSE; the descriptor-table stores (sgdt/sidt/sldt/str: the
// hypervisor keeps the guest's own tables loaded, see SetGDT); page-table reads (GetPxE, GetPxELong: the
// guest's tables are the truth under shadow paging); port I/O (passed through: a hypervisor's I/O exits
// reach its device models without a ROM-side protocol); the iret and sysexit instructions themselves (they
// return to the frame's ring with the frame's EFLAGS, as the hardware must for ring 3; interrupts.ts keeps the
// virtual flag in step first). IODelay does nothing: virtual devices need no settling time.

import { dword, eax, ecx, edx } from "../../src/asm/index.ts";
import type { Body, RomProgram } from "../../src/image/program.ts";
import { LINEAR_MAP_ENTRY, LINEAR_MAP_SLOTS, sharedAddress } from "../../src/layout/shared-area.ts";
import { cpuCalls } from "../native/cpu.ts";
import { descriptorCalls } from "../native/descriptors.ts";
import { ioCalls } from "../native/io.ts";
import { justReturn } from "../shared/bodies.ts";
import { paravirtRoutines } from "../shared/paravirt.ts";
import { PRESENCE_ROUTINE, presenceRoutine } from "../shared/presence.ts";
import { interruptCalls } from "./interrupts.ts";
import { flushQueue, pagingCalls } from "./paging.ts";
import { flushRoutine, viaHypercall } from "./transport.ts";

const EFLAGS_IF = 0x200;

/**
 * Init: is the hypervisor there (VMIProbeHypervisor: page-table walk, then the signature, or a late launch)?
 * No: EAX = -1, nothing written. Yes: the virtual interrupt flag starts as the guest's EFLAGS.IF (read before
 * the probe: after a late launch Init runs at CPL 1, where EFLAGS.IF is the hypervisor's), the queue empty,
 * batching off, the lookaside empty (no entry matches: start = end = 0); EAX = 0.
 */
const init: Body = (a, ctx) => {
  const top = ctx.layout.virtualTop;
  const absent = a.newLabel();
  a.pushf();
  a.call(ctx.shared[PRESENCE_ROUTINE]!);
  a.pop(ecx);
  a.test(eax, eax);
  a.jnz(absent);
  a.and(ecx, EFLAGS_IF);
  a.mov(dword(sharedAddress(top, "interruptFlag")), ecx);
  a.mov(dword(sharedAddress(top, "queueCount")), eax);
  a.mov(dword(sharedAddress(top, "mode")), eax);
  for (let slot = 0; slot < LINEAR_MAP_SLOTS; slot++) {
    a.mov(dword(sharedAddress(top, "linearMap", slot * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.startVA)), eax);
    a.mov(dword(sharedAddress(top, "linearMap", slot * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.endVA)), eax);
  }
  a.label(absent);
  a.ret();
};

const noArgs = (name: Parameters<typeof viaHypercall>[0]): Body => viaHypercall(name);

const privileged: Record<string, Body> = {
  WRMSR: viaHypercall("WRMSR", [ecx, eax, edx]),
  RDMSR: viaHypercall("RDMSR", [ecx]),
  CLTS: noArgs("CLTS"),
  WBINVD: noArgs("WBINVD"),
  INVD: noArgs("INVD"),
  SetCR0: viaHypercall("SetCR0", [eax]),
  SetCR2: viaHypercall("SetCR2", [eax]),
  // A new address space: the hypervisor must have seen every queued update first.
  SetCR3: (a, ctx) => viaHypercall("SetCR3", [eax], flushQueue(ctx))(a, ctx),
  SetCR4: viaHypercall("SetCR4", [eax]),
  GetCR0: noArgs("GetCR0"),
  GetCR2: noArgs("GetCR2"),
  GetCR3: noArgs("GetCR3"),
  GetCR4: noArgs("GetCR4"),
  SetDR: viaHypercall("SetDR", [eax, edx]),
  GetDR: viaHypercall("GetDR", [eax]),
  SetIOPLMask: viaHypercall("SetIOPLMask", [eax]),
  SetGDT: viaHypercall("SetGDT", [eax]),
  SetIDT: viaHypercall("SetIDT", [eax]),
  SetLDT: viaHypercall("SetLDT", [eax]),
  SetTR: viaHypercall("SetTR", [eax]),
  WriteGDTEntry: viaHypercall("WriteGDTEntry", [eax, edx, ecx, { stack: 1 }]),
  WriteLDTEntry: viaHypercall("WriteLDTEntry", [eax, edx, ecx, { stack: 1 }]),
  WriteIDTEntry: viaHypercall("WriteIDTEntry", [eax, edx, ecx, { stack: 1 }]),
  // api13 and the spec pass &TSS; Linux's api3 passes a selector (the hypervisor keeps esp0 itself).
  UpdateKernelStack: (a, ctx) => viaHypercall(ctx.api === 3 ? "SetKernelStack" : "UpdateKernelStack", [eax, edx])(a, ctx),
  Reboot: viaHypercall("Reboot", [eax]),
  Shutdown: noArgs("Shutdown"),
  APICWrite: viaHypercall("APICWrite", [eax, edx]),
  APICRead: viaHypercall("APICRead", [eax]),
  SetInitialAPState: viaHypercall("SetInitialAPState", [eax, edx]),
  GetCycleFrequency: noArgs("GetCycleFrequency"),
  GetCycleCounter: viaHypercall("GetCycleCounter", [eax]),
  // flags = EAX, expiry = a u64 second argument (regparm: low EDX, high ECX), period = a u64 on the stack.
  SetAlarm: viaHypercall("SetAlarm", [eax, edx, ecx, { stack: 1 }, { stack: 2 }]),
  CancelAlarm: viaHypercall("CancelAlarm", [eax]),
  GetWallclockTime: noArgs("GetWallclockTime"),
  WallclockUpdated: noArgs("WallclockUpdated"),
};

const native: Record<string, Body> = {
  CPUID: cpuCalls.CPUID!,
  RDTSC: cpuCalls.RDTSC!,
  RDPMC: cpuCalls.RDPMC!,
  Pause: cpuCalls.Pause!,
  GetGDT: descriptorCalls.GetGDT!,
  GetIDT: descriptorCalls.GetIDT!,
  GetLDT: descriptorCalls.GetLDT!,
  GetTR: descriptorCalls.GetTR!,
  ...ioCalls,
  IODelay: justReturn,
  SetCallbacks: justReturn,
};

export const vmware: RomProgram = {
  backend: "vmware",
  description: "shadow paging: page-table writes in place, interesting changes queued as async updates; privileged state by vmcall",
  init,
  calls: {
    ...native,
    ...privileged,
    ...interruptCalls,
    ...pagingCalls(),
  },
  shared: [presenceRoutine("vmware"), ...paravirtRoutines, flushRoutine],
};
