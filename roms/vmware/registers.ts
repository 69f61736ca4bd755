// Control and debug registers, reads included: every one is the hypervisor's, so each call is a hypercall.

import { eax, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { flushQueue } from "./paging.ts";
import { viaHypercall } from "./transport.ts";

export const registerCalls: Record<string, Body> = {
  SetCR0: viaHypercall("SetCR0", [eax]),
  SetCR2: viaHypercall("SetCR2", [eax]),
  // A new address space: the hypervisor must have seen every queued update first.
  SetCR3: (a, ctx) => viaHypercall("SetCR3", [eax], flushQueue(ctx))(a, ctx),
  SetCR4: viaHypercall("SetCR4", [eax]),
  GetCR0: viaHypercall("GetCR0"),
  GetCR2: viaHypercall("GetCR2"),
  GetCR3: viaHypercall("GetCR3"),
  GetCR4: viaHypercall("GetCR4"),
  SetDR: viaHypercall("SetDR", [eax, edx]),
  GetDR: viaHypercall("GetDR", [eax]),
};
