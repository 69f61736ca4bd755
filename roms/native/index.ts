// The native backend: every VMI call does what the bare instruction does, at ring 0, so the ROM runs on a
// bare CPU or under qemu without a hypervisor. Init has nothing to set up on api3; on api13 it maps the ROM at
// the layout's high alias (init.ts).
//
// On api3 the timer and wallclock calls are left out (relocation NONE): Linux turns its VMI timer on for
// any answer to GetCycleFrequency but NONE and then drives time through SetAlarm and the wallclock calls,
// which a bare machine cannot provide; with NONE it keeps its own PIT/TSC/RTC code. api13 allows only
// CALL_REL, so there they exist and answer zero.
//
// Every backend has the same plan (docs/architecture.md, "The backends"): a file per call group, the same
// names in each, and this index only assembling the program. The paravirtual backends take their native
// bodies from these files, group by group.

import type { CallDef, Layout } from "../../src/layout/types.ts";
import type { RomProgram } from "../../src/image/program.ts";
import { cpuCalls } from "./cpu.ts";
import { descriptorCalls } from "./descriptors.ts";
import { nativeInit } from "./init.ts";
import { interruptCalls } from "./interrupts.ts";
import { ioCalls } from "./io.ts";
import { pagingCalls } from "./paging.ts";
import { platformCalls } from "./platform.ts";
import { registerCalls } from "./registers.ts";

export const API3_LEFT_OUT: ReadonlySet<string> = new Set(["GetCycleFrequency", "SetAlarm", "CancelAlarm", "GetWallclockTime", "WallclockUpdated"]);

export const native: RomProgram = {
  backend: "native",
  description: "pass-through: each call runs the bare instruction at ring 0",
  init: nativeInit,
  calls: {
    ...cpuCalls,
    ...registerCalls,
    ...descriptorCalls,
    ...interruptCalls,
    ...pagingCalls,
    ...ioCalls,
    ...platformCalls,
  },
  omit: (call: CallDef, layout: Layout) =>
    layout.version.major === 3 && API3_LEFT_OUT.has(call.name)
      ? "a bare machine has no alarm or wallclock service; with NONE Linux keeps its own PIT/TSC/RTC time code"
      : undefined,
};
