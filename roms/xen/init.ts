// The xen ROM's Init: find the hypervisor first (no hypercall before it), then an empty queue and no batching.

import { eax } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { modeField, queueCountField } from "../shared/paravirt.ts";
import { PRESENCE_ROUTINE } from "../shared/presence.ts";
import { routine } from "./routines.ts";

export const xenInit: Body = (a, ctx) => {
  const done = a.newLabel();
  a.call(routine(ctx, PRESENCE_ROUTINE));
  a.test(eax, eax);
  a.jnz(done);
  a.mov(modeField(ctx.layout.virtualTop), eax);
  a.mov(queueCountField(ctx.layout.virtualTop), eax);
  a.label(done);
  a.ret();
};
