// What every paravirtual model does before the guest runs, as its hypervisor would: sign the shared area at
// virtual_top (magic, hypervisor id, contract version — docs/hypervisors.md, "Presence"), so that the ROM's
// Init finds it. The area itself is mapped by the guest's boot code (test/guest/boot.ts).

import { dword } from "../../../src/asm/index.ts";
import type { Layout } from "../../../src/layout/types.ts";
import { HYPERVISOR_IDS, SHARED_MAGIC, SHARED_VERSION, sharedAddress, type HypervisorName } from "../../../src/layout/shared-area.ts";
import type { GuestAsm } from "../emitter.ts";

export function presentHypervisor(g: GuestAsm, layout: Layout, name: HypervisorName): void {
  const a = g.a;
  a.mov(dword(sharedAddress(layout.virtualTop, "magic")), SHARED_MAGIC);
  a.mov(dword(sharedAddress(layout.virtualTop, "hypervisor")), HYPERVISOR_IDS[name]);
  a.mov(dword(sharedAddress(layout.virtualTop, "version")), SHARED_VERSION);
}
