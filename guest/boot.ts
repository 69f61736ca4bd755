// From the multiboot entry to a protected-mode, paged kernel: multiboot v1 header (a.out kludge), our own
// flat GDT with ring-0/ring-3 segments, two TSSes and an LDT, the IDT, the PIC moved off the exception
// vectors and masked, and paging (identity map of 16 MiB, the PAGE_OFFSET alias, a test window, the local
// APIC page). Nothing at virtual_top: the shared area exists only when a hypervisor model's setup maps it
// (models/present.ts), so a ROM on a machine without its hypervisor finds none. A Sanos-style guest (api13)
// runs on a copy of the page directory below 4 MiB until it drops its identity map (reloc.ts).

import { al, ax, byte, cr0, cr3, dword, ds, eax, ecx, edi, es, esi, esp, far, fs, gs, mem, plus, ss, word, type Label } from "../src/asm/index.ts";
import type { Layout } from "../src/layout/types.ts";
import type { GuestAsm } from "./emitter.ts";
import type { GuestKind } from "./probe.ts";
import {
  APIC_BASE,
  GDT_ENTRIES,
  HC_ENTRY_SIZE,
  HC_LOG_MAX,
  IDENTITY_BYTES,
  IDT_ENTRIES,
  LDT_ENTRIES,
  MARK,
  MEM,
  PAGE_OFFSET,
  PTE_PCD,
  PTE_PWU,
  SEL,
  SHARED_PAGES,
  TEST_VA,
  TSS_SIZE,
  VEC,
} from "./memory.ts";

const MB_MAGIC = 0x1badb002;
const MB_FLAGS = 0x00010000; // bit 16: the load addresses are in the header (a.out kludge)

/** One IDT gate the boot code installs. */
export interface Gate {
  vector: number;
  handler: Label;
  /** 0 for kernel-only gates, 3 for gates ring 3 may invoke with `int`. */
  dpl: 0 | 3;
}

/** Labels of the descriptor tables other parts read or copy. */
export interface Tables {
  gdt: Label;
  gdtPtr: Label;
  idt: Label;
  idtPtr: Label;
  ldt: Label;
  tss0: Label;
  tss1: Label;
}

/** The multiboot header: must be the first thing in the image. */
export function emitMultibootHeader(g: GuestAsm, entry: Label, loadEnd: Label): void {
  const a = g.a;
  const header = a.label("multiboot_header");
  a.dd(MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS) >>> 0);
  // header_addr, load_addr, load_end_addr, bss_end_addr (no bss: fixed areas are zeroed by the guest), entry.
  a.dd(header, header, loadEnd, loadEnd, entry);
}

export function declareTables(g: GuestAsm): Tables {
  const gdtBytes = new Uint8Array(GDT_ENTRIES * 8);
  const flat = (i: number, access: number) => {
    // base 0, limit 0xFFFFF pages, 32-bit, 4 KiB granular.
    gdtBytes.set([0xff, 0xff, 0, 0, 0, access, 0xcf, 0], i * 8);
  };
  flat(SEL.code0 >> 3, 0x9a);
  flat(SEL.data0 >> 3, 0x92);
  flat(SEL.code3 >> 3, 0xfa);
  flat(SEL.data3 >> 3, 0xf2);
  return {
    gdt: g.buffer(GDT_ENTRIES * 8, 8, gdtBytes),
    gdtPtr: g.buffer(8, 8),
    idt: g.buffer(IDT_ENTRIES * 8, 8),
    idtPtr: g.buffer(8, 8),
    ldt: g.buffer(LDT_ENTRIES * 8, 8),
    tss0: g.buffer(TSS_SIZE, 16),
    tss1: g.buffer(TSS_SIZE, 16),
  };
}

/** Writes a system descriptor (TSS, LDT) whose base is a label, at run time. */
export function emitSystemDescriptor(g: GuestAsm, gdt: Label, selector: number, base: Label, limit: number, access: number): void {
  const a = g.a;
  const at = (k: number) => plus(gdt, (selector & ~7) + k);
  a.mov(eax, base);
  a.mov(word(at(0)), limit & 0xffff);
  a.mov(word(at(2)), ax);
  a.shr(eax, 16);
  a.mov(byte(at(4)), al);
  a.mov(byte(at(5)), access);
  a.mov(byte(at(6)), (limit >>> 16) & 0xf);
  a.shr(eax, 8);
  a.mov(byte(at(7)), al);
}

/** Fills `count` dwords at `address` with `value`, `value + step`, ... (clobbers EAX, ECX, EDI). */
function fillDwords(g: GuestAsm, address: number, count: number, value: number, step: number): void {
  const a = g.a;
  a.mov(edi, address);
  a.mov(eax, value >>> 0);
  a.mov(ecx, count);
  const l = a.newLabel();
  a.label(l);
  a.stosd();
  if (step) a.add(eax, step);
  a.loop(l);
}

function zero(g: GuestAsm, address: number, bytes: number): void {
  const a = g.a;
  a.mov(edi, address);
  a.xor(eax, eax);
  a.mov(ecx, bytes / 4);
  a.rep().stosd();
}

const pde = (va: number): number => MEM.pageDir + (va >>> 22) * 4;

/**
 * The boot path; falls through into whatever is emitted next with paging on and interrupts off. CR3 is
 * MEM.pageDir for Linux (api3); for Sanos (api13) a copy of it below 4 MiB, MEM.bootPageDir.
 */
export function emitBoot(g: GuestAsm, t: Tables, gates: readonly Gate[], kind: GuestKind): void {
  const a = g.a;
  a.cli();
  a.cld();
  // The descriptor-table pointers (limit, base) are filled in here; tests load them again to restore.
  a.mov(word(t.gdtPtr), GDT_ENTRIES * 8 - 1);
  a.mov(dword(plus(t.gdtPtr, 2)), t.gdt);
  a.lgdt(mem(t.gdtPtr));
  const reload = a.newLabel();
  a.jmp(far(SEL.code0, reload));
  a.label(reload);
  a.mov(ax, SEL.data0);
  a.mov(ss, ax);
  a.mov(esp, MEM.stackTop);
  // Data segments are the DPL-3 flat segment: usable at ring 0, and an iret to ring 3 keeps them.
  a.mov(ax, SEL.data3);
  a.mov(ds, ax);
  a.mov(es, ax);
  a.mov(fs, ax);
  a.mov(gs, ax);

  // Fixed areas: page tables, hypercall log, shared-area backing, the three marker pages.
  zero(g, MEM.bootPageDir, 0x1000);
  zero(g, MEM.sharedTable, 0x1000);
  zero(g, MEM.pageDir, MEM.highAliasTable + 0x1000 - MEM.pageDir);
  zero(g, MEM.hcLog, HC_ENTRY_SIZE * HC_LOG_MAX);
  zero(g, MEM.sharedBacking, SHARED_PAGES * 0x1000);
  zero(g, MEM.pageA, 3 * 0x1000);
  a.mov(dword(MEM.pageA), MARK.A);
  a.mov(dword(MEM.pageB), MARK.B);
  a.mov(dword(MEM.pageC), MARK.C);

  // TSSes: ring-0 stack for ring 3 → 0 transitions; I/O map base beyond the limit (no I/O bitmap).
  for (const tss of [t.tss0, t.tss1]) {
    a.mov(dword(plus(tss, 4)), MEM.ring0StackTop);
    a.mov(dword(plus(tss, 8)), SEL.data0);
    a.mov(word(plus(tss, 0x66)), TSS_SIZE);
  }
  emitSystemDescriptor(g, t.gdt, SEL.tss0, t.tss0, TSS_SIZE - 1, 0x89);
  emitSystemDescriptor(g, t.gdt, SEL.tss1, t.tss1, TSS_SIZE - 1, 0x89);
  emitSystemDescriptor(g, t.gdt, SEL.ldt, t.ldt, LDT_ENTRIES * 8 - 1, 0x82);
  a.mov(ax, SEL.tss0);
  a.ltr(ax);

  // IDT: one 32-bit gate per entry of `gates`; absent vectors stay not-present (#NP names them).
  for (const gate of gates) {
    const at = (k: number) => plus(t.idt, gate.vector * 8 + k);
    a.mov(eax, gate.handler);
    a.mov(word(at(0)), ax);
    a.mov(word(at(2)), SEL.code0);
    a.mov(word(at(4)), gate.dpl === 3 ? 0xee00 : 0x8e00);
    a.shr(eax, 16);
    a.mov(word(at(6)), ax);
  }
  a.mov(word(t.idtPtr), IDT_ENTRIES * 8 - 1);
  a.mov(dword(plus(t.idtPtr, 2)), t.idt);
  a.lidt(mem(t.idtPtr));

  // PIC: IRQs 0-15 to vectors 0x20-0x2F (SeaBIOS leaves IRQ 0 on vector 8, #DF), all masked.
  const outb = (port: number, v: number) => {
    a.mov(al, v);
    a.out(port, al);
  };
  outb(0x20, 0x11);
  outb(0xa0, 0x11);
  outb(0x21, VEC.irqBase);
  outb(0xa1, VEC.irqBase + 8);
  outb(0x21, 4);
  outb(0xa1, 2);
  outb(0x21, 1);
  outb(0xa1, 1);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);

  // Paging: 4 KiB pages, no PAE.
  const tables = IDENTITY_BYTES >>> 22;
  fillDwords(g, MEM.identityTables, IDENTITY_BYTES >>> 12, PTE_PWU, 0x1000);
  fillDwords(g, pde(0), tables, MEM.identityTables | PTE_PWU, 0x1000);
  fillDwords(g, pde(PAGE_OFFSET), tables, MEM.identityTables | PTE_PWU, 0x1000);
  a.mov(dword(MEM.testTable), MEM.pageA | PTE_PWU);
  a.mov(dword(MEM.testTable + 4), MEM.pageA | PTE_PWU);
  a.mov(dword(pde(TEST_VA)), MEM.testTable | PTE_PWU);
  a.mov(dword(MEM.apicTable + ((APIC_BASE >>> 12) & 0x3ff) * 4), APIC_BASE | PTE_PCD | 3);
  a.mov(dword(pde(APIC_BASE)), MEM.apicTable | PTE_PWU);
  if (kind === "sanos") {
    a.mov(esi, MEM.pageDir);
    a.mov(edi, MEM.bootPageDir);
    a.mov(ecx, 1024);
    a.rep().movsd();
    a.mov(eax, MEM.bootPageDir);
  } else a.mov(eax, MEM.pageDir);
  a.mov(cr3, eax);
  a.mov(eax, cr0);
  a.or(eax, 0x80000000);
  a.mov(cr0, eax);
  // No jump needed after enabling paging: the code is identity-mapped.
}

/** Checks the generation-time facts the boot code relies on. */
export function bootProblems(layout: Layout): string[] {
  const virtualTop = layout.virtualTop;
  const out: string[] = [];
  if (virtualTop % 0x1000) out.push(`virtual_top 0x${virtualTop.toString(16)} is not page aligned`);
  if (((virtualTop >>> 12) & 0x3ff) + SHARED_PAGES > 1024) out.push(`the shared area at 0x${virtualTop.toString(16)} crosses a page-table boundary`);
  const pd = (va: number) => va >>> 22;
  const used = [0, 1, 2, 3, pd(PAGE_OFFSET), pd(PAGE_OFFSET) + 3, pd(TEST_VA), pd(APIC_BASE)];
  if (used.includes(pd(virtualTop)) || (pd(virtualTop) >= pd(PAGE_OFFSET) && pd(virtualTop) <= pd(PAGE_OFFSET) + 3)) {
    out.push(`the shared area at 0x${virtualTop.toString(16)} collides with another mapping of the guest`);
  }
  if (layout.highAlias !== undefined && [...used, pd(virtualTop)].includes(pd(layout.highAlias))) {
    out.push(`the high alias at 0x${layout.highAlias.toString(16)} collides with another mapping of the guest`);
  }
  return out;
}
