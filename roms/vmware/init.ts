// The vmware ROM's Init: find the hypervisor, then start the shared state the other calls keep.

import { dword, eax, ecx } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { LINEAR_MAP_ENTRY, LINEAR_MAP_SLOTS, sharedAddress } from "../../src/layout/shared-area.ts";
import { routine } from "../shared/bodies.ts";
import { PRESENCE_ROUTINE } from "../shared/presence.ts";

const EFLAGS_IF = 0x200;

/**
 * Init: is the hypervisor there (VMIProbeHypervisor: page-table walk, then the signature, or a late launch)?
 * No: EAX = -1, nothing written. Yes: the virtual interrupt flag starts as the guest's EFLAGS.IF (read before
 * the probe: after a late launch Init runs at CPL 1, where EFLAGS.IF is the hypervisor's), the queue empty,
 * batching off, the lookaside empty (no entry matches: start = end = 0); EAX = 0.
 */
export const vmwareInit: Body = (a, ctx) => {
  const top = ctx.layout.virtualTop;
  const absent = a.newLabel();
  a.pushf();
  a.call(routine(ctx, PRESENCE_ROUTINE));
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
