// The native ROM's Init. On api3 there is nothing to set up. On a layout with a high alias (api13) the ROM
// maps itself there, because GetRelocationInfo answers addresses inside it and Sanos drops its identity map of
// low memory right after asking: one 4 MiB page-directory entry (index highAlias >> 22 = 1023: present,
// writable, supervisor, PS) mapping physical 0-4 MiB, with CR4.PSE turned on.
//
// It reaches the page directory through the low-memory mapping it is called through (roms/shared/presence.ts:
// identity → CR3 must lie below 4 MiB; Linux-style PAGE_OFFSET → below 896 MiB), and answers -1 (the guest
// stays native) whenever it cannot map itself safely:
// - PAE paging (CR4.PAE): the directory has 8-byte entries behind a PDPT; a 4-byte PDE would be wrong;
// - the CPU has no 4 MiB pages (CPUID.1:EDX.PSE clear);
// - CR3 outside the window the ROM can see;
// - the entry is present and is not already exactly this mapping (accessed/dirty aside): it is the guest's;
// - CR4.PSE is off and some present page-directory entry has bit 7 set: turning PSE on would change its meaning.
// An entry that already is exactly this mapping is accepted: a second Init (or a guest that set the alias up
// itself) finds the state Init would create, and rewriting it changes nothing.
// With paging off Init maps nothing and answers 0: GetRelocationInfo then answers physical addresses.

import { cr0, cr3, cr4, dword, eax, ebx, ecx, edx, mem, type Assembler } from "../../src/asm/index.ts";
import type { BodyContext } from "../../src/image/program.ts";
import { emitLowMemoryWindow, emitReadTableEntry } from "../shared/presence.ts";

const PDE_P = 0x01,
  PDE_RW = 0x02,
  PDE_PS = 0x80;
const PDE_ACCESSED_DIRTY = 0x60;
/** What Init installs: physical frame 0, present, writable, supervisor, 4 MiB. */
export const HIGH_ALIAS_PDE = PDE_P | PDE_RW | PDE_PS;
const CR4_PSE = 0x10,
  CR4_PAE = 0x20;
const CPUID_PSE = 0x8;

export function nativeInit(a: Assembler, ctx: BodyContext): void {
  const alias = ctx.layout.highAlias;
  const ok = a.newLabel();
  if (alias === undefined) {
    a.xor(eax, eax);
    a.ret();
    return;
  }
  const index = alias >>> 22;
  const fail = a.newLabel(),
    install = a.newLabel(),
    pseOn = a.newLabel(),
    scan = a.newLabel();
  emitLowMemoryWindow(a); // EDX = the window's linear offset, ECX = its physical limit
  a.mov(eax, cr0);
  a.test(eax, eax);
  a.jns(ok); // CR0.PG (bit 31) clear: nothing to map
  a.push(ebx);
  a.mov(eax, cr4);
  a.test(eax, CR4_PAE);
  a.jnz(fail);
  a.push(ecx);
  a.push(edx);
  a.mov(eax, 1);
  a.cpuid();
  a.test(edx, CPUID_PSE);
  a.pop(edx);
  a.pop(ecx);
  a.jz(fail);
  a.mov(eax, cr3);
  emitReadTableEntry(a, index, fail); // CR3 beyond the window: fail
  a.test(eax, PDE_P);
  a.jz(install);
  a.and(eax, ~PDE_ACCESSED_DIRTY);
  a.cmp(eax, HIGH_ALIAS_PDE);
  a.jne(fail);
  a.label(install);
  a.mov(eax, cr4);
  a.test(eax, CR4_PSE);
  a.jnz(pseOn);
  // PSE off: bit 7 of a PDE is ignored now and would mean "4 MiB page" once PSE is on.
  a.mov(eax, cr3);
  a.and(eax, ~0xfff);
  a.add(eax, edx);
  a.mov(ecx, 1024);
  a.label(scan);
  a.mov(ebx, dword({ base: eax, index: ecx, scale: 4, disp: -4 }));
  a.and(ebx, PDE_P | PDE_PS);
  a.cmp(ebx, PDE_P | PDE_PS);
  a.je(fail);
  a.loop(scan);
  a.mov(eax, cr4);
  a.or(eax, CR4_PSE);
  a.mov(cr4, eax);
  a.label(pseOn);
  a.mov(eax, cr3);
  a.and(eax, ~0xfff);
  a.mov(dword({ base: eax, index: edx, scale: 1, disp: index * 4 }), HIGH_ALIAS_PDE);
  a.invlpg(mem(alias >>> 0));
  a.pop(ebx);
  a.label(ok);
  a.xor(eax, eax);
  a.ret();
  a.label(fail);
  a.pop(ebx);
  a.or(eax, -1);
  a.ret();
}
