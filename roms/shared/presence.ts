// Is our hypervisor there? A paravirtual ROM's Init asks this before anything else and fails (EAX != 0,
// the guest stays native) when the answer is no. The question must be safe on a bare machine or the wrong
// hypervisor: no hypercall (it would be #UD or a stray interrupt) and no read of the shared area before we
// know it is mapped. So the check walks the guest's own page tables, reached the way both guests have low
// memory mapped while they call Init, then reads the signature (docs/hypervisors.md, "Presence").
//
// Low memory: the ROM lies below 4 MiB physically and guests map low memory at a 4 MiB-aligned offset
// (Sanos: identity, offset 0; Linux: PAGE_OFFSET), so "where this code runs, rounded down to 4 MiB" is that
// offset. A table is only read when it lies inside what that mapping is known to cover.

import { byte, cr0, cr3, cr4, dword, eax, ecx, edx, type Assembler, type Label } from "../../src/asm/index.ts";
import type { SharedRoutine } from "../../src/image/program.ts";
import {
  HYPERVISOR_IDS,
  LAUNCH_BLOCK,
  SHARED_AREA,
  SHARED_AREA_SIZE,
  SHARED_MAGIC,
  SHARED_VERSION,
  type HypervisorName,
} from "../../src/layout/shared-area.ts";

const CR0_PG = 0x80000000;
const CR4_PSE = 0x10;
const CR4_PAE = 0x20;
const PDE_P = 0x01;
const PDE_PS = 0x80;
const FOUR_MIB = 0x400000;
/** Identity map (offset 0): Sanos maps 0-4 MiB. A PAGE_OFFSET-style alias: Linux's lowmem ends at 896 MiB. */
const IDENTITY_LIMIT = FOUR_MIB;
const LOWMEM_LIMIT = 0x38000000;

export const PRESENCE_ROUTINE = "VMIProbeHypervisor";

/**
 * EDX = the low-memory offset the ROM is running through (its own address rounded down to 4 MiB), ECX =
 * the highest physical address (exclusive) that offset is known to map. Clobbers nothing else.
 */
export function emitLowMemoryWindow(a: Assembler): void {
  const here = a.newLabel(),
    identity = a.newLabel(),
    done = a.newLabel();
  a.call(here);
  a.label(here);
  a.pop(edx);
  a.and(edx, ~(FOUR_MIB - 1));
  a.jz(identity);
  a.mov(ecx, LOWMEM_LIMIT);
  a.jmp(done);
  a.label(identity);
  a.mov(ecx, IDENTITY_LIMIT);
  a.label(done);
}

/**
 * Reads one paging-structure entry without faulting: EAX = physical address of the table (page aligned),
 * `index` = entry number; EDX = low-memory offset, ECX = limit (emitLowMemoryWindow). EAX = the entry, or
 * a jump to `fail` when the table lies beyond the limit.
 */
export function emitReadTableEntry(a: Assembler, index: number, fail: Label): void {
  a.and(eax, ~0xfff);
  a.cmp(eax, ecx);
  a.jae(fail);
  a.mov(eax, dword({ base: eax, index: edx, scale: 1, disp: index * 4 }));
}

/**
 * The shared routine: EAX = 0 when hypervisor `name` is present (shared area mapped at virtual_top and
 * signed by it), else EAX = -1. Clobbers ECX, EDX and flags.
 *
 * Late launch (docs/hypervisors.md): when virtual_top's page-directory entry is empty and a valid launch block
 * lies in low memory, the routine installs the block's entry there and calls the hypervisor's launch entry
 * with EAX = the id it wants. The hypervisor either returns at CPL 1 with EAX = 0, the area now mapped and
 * signed (the signature is still checked, with no privileged instruction on that path), or refuses with
 * EAX = -1 at CPL 0, and the entry is removed again.
 */
export function presenceRoutine(name: HypervisorName): SharedRoutine {
  return {
    name: PRESENCE_ROUTINE,
    emit(a, ctx) {
      const top = ctx.layout.virtualTop;
      const fail = a.newLabel(),
        mapped = a.newLabel();
      a.mov(eax, cr0);
      a.test(eax, CR0_PG);
      a.jz(fail); // paging off: there is no shared area to look at
      a.mov(eax, cr4);
      a.test(eax, CR4_PAE);
      a.jnz(fail); // PAE: CR3 names a PDPT of 8-byte entries, which this walk does not read
      emitLowMemoryWindow(a);
      a.mov(eax, cr3);
      emitReadTableEntry(a, top >>> 22, fail);
      const launch = a.newLabel();
      a.test(eax, PDE_P);
      a.jz(launch);
      a.test(eax, PDE_PS);
      const table = a.newLabel();
      a.jz(table);
      // A 4 MiB page counts only when the CPU honours it (CR4.PSE); it covers the whole area.
      a.push(eax);
      a.mov(eax, cr4);
      a.test(eax, CR4_PSE);
      a.pop(eax);
      a.jnz(mapped);
      a.label(table);
      // Every page of the area must be present before any of it is read.
      const first = (top >>> 12) & 0x3ff,
        pages = SHARED_AREA_SIZE / 0x1000;
      if (first + pages > 1024) throw new Error(`the shared area at 0x${top.toString(16)} crosses a page-table boundary`);
      a.and(eax, ~0xfff);
      a.cmp(eax, ecx);
      a.jae(fail);
      for (let page = 0; page < pages; page++) {
        a.test(byte({ base: eax, index: edx, scale: 1, disp: (first + page) * 4 }), PDE_P);
        a.jz(fail);
      }
      a.label(mapped);
      a.cmp(dword(top + SHARED_AREA.magic.offset), SHARED_MAGIC);
      a.jne(fail);
      a.cmp(dword(top + SHARED_AREA.hypervisor.offset), HYPERVISOR_IDS[name]);
      a.jne(fail);
      a.cmp(dword(top + SHARED_AREA.version.offset), SHARED_VERSION);
      a.jne(fail);
      a.xor(eax, eax);
      a.ret();
      a.label(fail);
      a.or(eax, -1);
      a.ret();
      emitLateLaunch(a, top, HYPERVISOR_IDS[name], { launch, mapped, fail });
    },
  };
}

/** The launch path of presenceRoutine: EDX = the low-memory offset, CR3's directory inside the window. */
function emitLateLaunch(a: Assembler, top: number, id: number, to: { launch: Label; mapped: Label; fail: Label }): void {
  const { launch, mapped, fail } = to;
  const block = (field: keyof typeof LAUNCH_BLOCK.fields) => dword({ base: edx, disp: LAUNCH_BLOCK.address + LAUNCH_BLOCK.fields[field] });
  const pdeSlot = (pd: typeof eax) => dword({ base: pd, index: edx, scale: 1, disp: (top >>> 22) * 4 });
  a.label(launch);
  a.cmp(block("magic"), LAUNCH_BLOCK.magic);
  a.jne(fail);
  a.mov(eax, block("magic"));
  a.add(eax, block("pde"));
  a.add(eax, block("entry"));
  a.not(eax);
  a.cmp(eax, block("check"));
  a.jne(fail);
  a.mov(eax, cr3);
  a.and(eax, ~0xfff);
  a.mov(ecx, block("pde"));
  a.mov(pdeSlot(eax), ecx);
  a.mov(eax, cr3);
  a.mov(cr3, eax);
  a.mov(ecx, block("entry"));
  a.mov(eax, id);
  a.call(ecx);
  a.test(eax, eax);
  a.jz(mapped);
  a.mov(eax, cr3);
  a.and(eax, ~0xfff);
  a.mov(pdeSlot(eax), 0);
  a.mov(eax, cr3);
  a.mov(cr3, eax);
  a.jmp(fail);
}
