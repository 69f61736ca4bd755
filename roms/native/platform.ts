// The local APIC, secondary processors, time and callbacks. The APIC is memory-mapped, so its calls are
// loads and stores. A bare machine has no alarm or wallclock service to offer (see index.ts for how api3
// answers NONE for them instead).

import { dword, eax, edx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { justReturn, returnZero, returnZero64, thenReturn } from "../shared/bodies.ts";

export const platformCalls = {
  APICWrite: thenReturn((a) => a.mov(dword(eax, 0), edx)), // EAX = register address, EDX = value
  APICRead: thenReturn((a) => a.mov(eax, dword(eax, 0))),
  // A native processor starts through INIT/SIPI from the kernel itself; there is no state to hand over.
  SetInitialAPState: returnZero,
  GetCycleCounter: thenReturn((a) => a.rdtsc()), // every counter kind is the TSC natively
  // Only reached on api13, whose guests must get CALL_REL for every call: "unknown" / "nothing".
  GetCycleFrequency: returnZero64,
  SetAlarm: returnZero,
  CancelAlarm: returnZero,
  GetWallclockTime: returnZero64,
  WallclockUpdated: returnZero,
  SetCallbacks: justReturn,
} satisfies Record<string, Body>;
