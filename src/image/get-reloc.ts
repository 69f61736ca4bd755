// GetRelocationInfo, the image machinery's own code (no backend writes it): EAX = call number →
// EAX = linear address of the call's entry, EDX = relocation type (low byte); 0/0 (NONE) for numbers past
// the table and for calls left out. The ROM runs wherever the BIOS copied it and guests reach it through
// other mappings too (Linux uses PAGE_OFFSET + physical), so the address is computed at run time from where
// this code is executing (call/pop), never taken from link time. Clobbers EAX, ECX, EDX and flags only.
//
// A layout with `highAlias` (api13) makes the answers outlive a guest's identity map (Sanos drops it right
// after asking): while paging is on the answer is highAlias + the entry's physical address, whatever alias the
// question came through; while it is off, the physical address (where the code runs then). Physical = the
// running address modulo 4 MiB: the ROM lies below 1 MiB and every alias guests reach it through (identity,
// Linux's PAGE_OFFSET, highAlias) is 4 MiB-aligned.

import { eax, ecx, edx, byte, cr0, word, plus, type Assembler, type Label } from "../asm/index.ts";
import type { Layout } from "../layout/types.ts";
import { RELOC_HEADER_SIZE } from "./reloc-table.ts";

const FOUR_MIB = 0x400000;

export function emitGetRelocationInfo(a: Assembler, layout: Layout, relocTable: Label): void {
  const none = a.newLabel();
  const here = a.newLabel();
  const entries = plus(relocTable, RELOC_HEADER_SIZE);
  a.cmp(eax, layout.slots.count);
  a.jae(none); // unsigned: negative numbers are out of range too
  a.call(here);
  a.label(here);
  a.pop(ecx);
  a.sub(ecx, here); // the program's origin is 0, so `here` is its offset: ECX = where the ROM starts now
  a.movzx(edx, byte({ base: ecx, index: eax, scale: 4, disp: plus(entries, 2) }));
  a.movzx(eax, word({ base: ecx, index: eax, scale: 4, disp: entries }));
  a.test(eax, eax);
  a.jz(none); // a NONE entry has target 0: answer 0/0, not the ROM base
  a.add(eax, ecx);
  if (layout.highAlias !== undefined) {
    const unpaged = a.newLabel();
    a.mov(ecx, cr0);
    a.test(ecx, ecx);
    a.jns(unpaged); // CR0.PG is bit 31
    a.and(eax, FOUR_MIB - 1);
    a.or(eax, layout.highAlias >>> 0);
    a.label(unpaged);
  }
  a.ret();
  a.label(none);
  a.xor(eax, eax);
  a.xor(edx, edx);
  a.ret();
}
