// The xen backend: direct paging under a Xen 3.x-style hypervisor (docs/hypervisors.md, "xen"). The ROM carries
// its own hypercall page (ring-1 PV form, `int $0x82`) and turns VMI's regparm calls into Xen hypercalls with
// Xen's argument registers; page-table entries are written at their machine addresses through mmu_update, and
// batched into one multicall in lazy/deferred mode. Calls Xen leaves to the kernel run the native instruction.

import { eax } from "../../src/asm/index.ts";
import type { RomProgram } from "../../src/image/program.ts";
import { modeField, paravirtRoutines, queueCountField } from "../shared/paravirt.ts";
import { PRESENCE_ROUTINE, presenceRoutine } from "../shared/presence.ts";
import { nativeCalls } from "../native/calls.ts";
import { xenCalls } from "./calls.ts";
import { flushRoutine, hypercallPage, machineAddress, mmuextOp, setEntry, setEntry64 } from "./routines.ts";

export const xen: RomProgram = {
  backend: "xen",
  description: "direct paging: Xen 3.x PV hypercalls through the ROM's own hypercall page (int $0x82)",
  // Presence first (no hypercall before it), then an empty queue and no batching.
  init: (a, ctx) => {
    const done = a.newLabel();
    a.call(ctx.shared[PRESENCE_ROUTINE]!);
    a.test(eax, eax);
    a.jnz(done);
    a.mov(modeField(ctx.layout.virtualTop), eax);
    a.mov(queueCountField(ctx.layout.virtualTop), eax);
    a.label(done);
    a.ret();
  },
  calls: {
    // What the kernel keeps doing itself: the native bodies.
    ...nativeCalls,
    // What goes to the hypervisor.
    ...xenCalls,
  },
  shared: [hypercallPage, ...paravirtRoutines, machineAddress, setEntry, setEntry64, mmuextOp, flushRoutine, presenceRoutine("xen")],
};
