// The local APIC, secondary processors, the cycle counter, the alarm and the wallclock: all the hypervisor's,
// each a hypercall. SetCallbacks has nothing to register.

import { eax, ecx, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { justReturn } from "../shared/bodies.ts";
import { viaHypercall } from "./transport.ts";

export const platformCalls: Record<string, Body> = {
  APICWrite: viaHypercall("APICWrite", [eax, edx]),
  APICRead: viaHypercall("APICRead", [eax]),
  SetInitialAPState: viaHypercall("SetInitialAPState", [eax, edx]),
  GetCycleFrequency: viaHypercall("GetCycleFrequency"),
  GetCycleCounter: viaHypercall("GetCycleCounter", [eax]),
  // flags = EAX, expiry = a u64 second argument (regparm: low EDX, high ECX), period = a u64 on the stack.
  SetAlarm: viaHypercall("SetAlarm", [eax, edx, ecx, { stack: 1 }, { stack: 2 }]),
  CancelAlarm: viaHypercall("CancelAlarm", [eax]),
  GetWallclockTime: viaHypercall("GetWallclockTime"),
  WallclockUpdated: viaHypercall("WallclockUpdated"),
  SetCallbacks: justReturn,
};
