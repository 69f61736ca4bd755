// Descriptor tables and the kernel stack. The stores (sgdt/sidt/sldt/str) stay native: they are unprivileged,
// and the hypervisor keeps the guest's own tables loaded (or emulates the stores). Loads, descriptor writes and
// the kernel stack are hypercalls.

import { eax, ecx, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { descriptorCalls as native } from "../native/descriptors.ts";
import { viaHypercall } from "./transport.ts";

export const descriptorCalls: Record<string, Body> = {
  GetGDT: native.GetGDT,
  GetIDT: native.GetIDT,
  GetLDT: native.GetLDT,
  GetTR: native.GetTR,
  SetGDT: viaHypercall("SetGDT", [eax]),
  SetIDT: viaHypercall("SetIDT", [eax]),
  SetLDT: viaHypercall("SetLDT", [eax]),
  SetTR: viaHypercall("SetTR", [eax]),
  WriteGDTEntry: viaHypercall("WriteGDTEntry", [eax, edx, ecx, { stack: 1 }]),
  WriteLDTEntry: viaHypercall("WriteLDTEntry", [eax, edx, ecx, { stack: 1 }]),
  WriteIDTEntry: viaHypercall("WriteIDTEntry", [eax, edx, ecx, { stack: 1 }]),
  // api13 and the spec pass &TSS; Linux's api3 passes a selector (the hypervisor keeps esp0 itself).
  UpdateKernelStack: (a, ctx) => viaHypercall(ctx.api === 3 ? "SetKernelStack" : "UpdateKernelStack", [eax, edx])(a, ctx),
};
