// What every paravirtual model does before the guest runs, as its hypervisor would (docs/hypervisors.md,
// "Presence" and "Where the ROM is mapped"):
// - map the shared area at virtual_top (backed by guest RAM at MEM.sharedBacking) and sign it (magic,
//   hypervisor id, contract version), so that the ROM's Init finds it. The guest's boot code maps nothing
//   there: without a model the area is absent, as on a machine without the hypervisor.
// - on a layout with a high alias (api13), map physical 0-4 MiB at it, where GetRelocationInfo's answers point
//   once paging is on: the guest calls the ROM there after dropping its identity map (Sanos).
// Both go into the page directory the guest runs on now (CR3), which the guest keeps when it moves to another
// directory (it copies the entries). Runs with paging on and interrupts off, before the probe.

import { cr3, dword, eax, ecx, edi, type Assembler } from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { HYPERVISOR_IDS, SHARED_MAGIC, SHARED_VERSION, sharedAddress, type HypervisorName } from "../../src/layout/shared-area.ts";
import type { GuestAsm } from "../emitter.ts";
import { MEM, PTE_PWU, SHARED_PAGES } from "../memory.ts";

/** Present, writable, supervisor: the ROM runs at ring 0. */
const PTE_PW = 0x3;

export function presentHypervisor(g: GuestAsm, layout: Layout, name: HypervisorName): void {
  const a = g.a;
  mapSharedArea(a, layout.virtualTop);
  a.mov(dword(sharedAddress(layout.virtualTop, "magic")), SHARED_MAGIC);
  a.mov(dword(sharedAddress(layout.virtualTop, "hypervisor")), HYPERVISOR_IDS[name]);
  a.mov(dword(sharedAddress(layout.virtualTop, "version")), SHARED_VERSION);
  if (layout.highAlias !== undefined) mapHighAlias(a, layout.highAlias);
}

/** The shared area: SHARED_PAGES pages of MEM.sharedBacking at virtualTop, through MEM.sharedTable. */
export function mapSharedArea(a: Assembler, virtualTop: number): void {
  const first = (virtualTop >>> 12) & 0x3ff;
  fill(a, MEM.sharedTable + first * 4, SHARED_PAGES, MEM.sharedBacking | PTE_PWU);
  setDirectoryEntry(a, virtualTop, MEM.sharedTable | PTE_PWU);
}

/** Physical 0-4 MiB at `alias` (4 MiB aligned), through MEM.highAliasTable: 4 KiB pages, so CR4.PSE is the guest's business. */
export function mapHighAlias(a: Assembler, alias: number): void {
  fill(a, MEM.highAliasTable, 1024, PTE_PW);
  setDirectoryEntry(a, alias, MEM.highAliasTable | PTE_PW);
}

/** `count` dwords at `address`: value, value + 4 KiB, ... (clobbers EAX, ECX, EDI). */
function fill(a: Assembler, address: number, count: number, value: number): void {
  const loop = a.newLabel();
  a.mov(edi, address);
  a.mov(eax, value);
  a.mov(ecx, count);
  a.label(loop);
  a.stosd();
  a.add(eax, 0x1000);
  a.loop(loop);
}

/** The page-directory entry of `va` in the directory CR3 points at (identity-mapped), then a TLB flush. */
function setDirectoryEntry(a: Assembler, va: number, entry: number): void {
  a.mov(eax, cr3);
  a.and(eax, ~0xfff);
  a.mov(dword(eax, (va >>> 22) * 4), entry);
  a.mov(eax, cr3);
  a.mov(cr3, eax);
}
