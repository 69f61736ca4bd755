// The xen backend: direct paging under a Xen 3.x-style hypervisor (docs/hypervisors.md, "xen"). The ROM carries
// its own hypercall page (ring-1 PV form, `int $0x82`) and turns VMI's regparm calls into Xen hypercalls with
// Xen's argument registers; page-table entries are written at their machine addresses through mmu_update, and
// batched into one multicall in lazy/deferred mode. Calls Xen leaves to the kernel run the native instruction:
// each call group (the same files as the native backend's) starts from the native bodies and replaces what goes
// to the hypervisor. The contract's numbers are in abi.ts, the shared routines in routines.ts.

import type { RomProgram } from "../../src/image/program.ts";
import { paravirtRoutines } from "../shared/paravirt.ts";
import { presenceRoutine } from "../shared/presence.ts";
import { cpuCalls } from "./cpu.ts";
import { descriptorCalls } from "./descriptors.ts";
import { xenInit } from "./init.ts";
import { interruptCalls } from "./interrupts.ts";
import { ioCalls } from "./io.ts";
import { pagingCalls } from "./paging.ts";
import { platformCalls } from "./platform.ts";
import { registerCalls } from "./registers.ts";
import { flushRoutine, hypercallPage, machineAddress, mmuextOp, setEntry, setEntry64 } from "./routines.ts";

export const xen: RomProgram = {
  backend: "xen",
  description: "direct paging: Xen 3.x PV hypercalls through the ROM's own hypercall page (int $0x82)",
  init: xenInit,
  calls: {
    ...cpuCalls,
    ...registerCalls,
    ...descriptorCalls,
    ...interruptCalls,
    ...pagingCalls,
    ...ioCalls,
    ...platformCalls,
  },
  shared: [hypercallPage, ...paravirtRoutines, machineAddress, setEntry, setEntry64, mmuextOp, flushRoutine, presenceRoutine("xen")],
};
