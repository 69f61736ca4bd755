// Page-table entries under direct paging: the tables are the hypervisor's, so every entry write goes to the
// entry's machine address through mmu_update (XenSetEntry/XenSetEntry64: at once, or queued in lazy/deferred
// mode and sent as one multicall), page-table pages are pinned and unpinned, and TLB maintenance is
// mmuext_op. Reads stay plain loads.

import { al, dword, eax, ecx, edx, esp, type Assembler, type Reg32 } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { FLUSH_ROUTINE, modeField, setLinearMapping } from "../shared/paravirt.ts";
import { pagingCalls as native } from "../native/paging.ts";
import { MMUEXT } from "./abi.ts";
import { MMUEXT_ROUTINE, SET_ENTRY64_ROUTINE, SET_ENTRY_ROUTINE, info, routine } from "./routines.ts";

/** VMI_PAGE_PD in AllocatePage's flags. */
const VMI_PAGE_PD = 0x02;

/** ECX = the machine frame of pfn EAX (machine = physical + machineOffset). */
function pinFrame(a: Assembler, ctx: BodyContext): void {
  a.mov(ecx, info(ctx, "machineOffset"));
  a.shr(ecx, 12);
  a.add(ecx, eax);
}

// EAX = pte, EDX = ptep, ECX = flags. The routines are called, not jumped to: a routine one slot alone jumps
// to reads back (from the bytes) as that call's cold part.
const setPxE: Body = (a, ctx) => {
  a.xchg(eax, edx);
  a.call(routine(ctx, SET_ENTRY_ROUTINE));
  a.ret();
};

// EAX:EDX = pte, ECX = ptep, [esp+4] = flags (passed on).
const setPxELong: Body = (a, ctx) => {
  a.xchg(eax, ecx);
  a.xchg(ecx, edx);
  a.push(dword(esp, 4));
  a.call(routine(ctx, SET_ENTRY64_ROUTINE));
  a.add(esp, 4);
  a.ret();
};

/**
 * Replaces the 64-bit entry at [`ptep`] and returns the old one in EDX:EAX: the old value is read first, then
 * `load` leaves EAX = ptep and EDX = low, ECX = high half of the new value, as XenSetEntry64 takes them, and the
 * update goes through mmu_update (or the queue) like every other entry write.
 */
function exchange64(a: Assembler, ctx: BodyContext, ptep: Reg32, load: (a: Assembler) => void): void {
  a.push(dword(ptep, 4));
  a.push(dword(ptep, 0));
  load(a);
  a.push(0);
  a.call(routine(ctx, SET_ENTRY64_ROUTINE));
  a.add(esp, 4);
  a.pop(eax);
  a.pop(edx);
  a.ret();
}

/** EAX = ptep, EDX = bit → EAX = the bit's old value; the dword holding the bit is rewritten through mmu_update. */
function testAndChange(op: "bts" | "btr", long: boolean): Body {
  return (a, ctx) => {
    if (long) {
      a.mov(ecx, edx);
      a.shr(ecx, 5);
      a.lea(eax, dword({ base: eax, index: ecx, scale: 4 }));
    }
    a.mov(ecx, dword(eax, 0));
    a[op](ecx, edx); // register form: the bit number is taken mod 32
    a.sbb(edx, edx);
    a.push(edx);
    a.mov(edx, ecx);
    a.xor(ecx, ecx);
    a.call(routine(ctx, SET_ENTRY_ROUTINE));
    a.pop(eax);
    a.neg(eax);
    a.ret();
  };
}

export const pagingCalls: Record<string, Body> = {
  ...native,
  SetPxE: setPxE,
  SetPxELong: setPxELong,
  GetPxE: (a) => {
    a.mov(eax, dword(eax, 0));
    a.ret();
  },
  // The old entry is read first: Xen's mmu_update does not exchange (the CPU's A/D bits may race, as with
  // Linux's Xen code).
  SwapPxE: (a, ctx) => {
    a.push(dword(eax, 0));
    a.xor(ecx, ecx);
    a.call(routine(ctx, SET_ENTRY_ROUTINE));
    a.pop(eax);
    a.ret();
  },
  // Both halves read until the high half is stable (no locked read: the table is the hypervisor's to write).
  GetPxELong: (a) => {
    const again = a.newLabel();
    a.mov(ecx, eax);
    a.label(again);
    a.mov(edx, dword(ecx, 4));
    a.mov(eax, dword(ecx, 0));
    a.cmp(edx, dword(ecx, 4));
    a.jne(again);
    a.ret();
  },
  // SwapPxELongAtomic(pte in EAX:EDX, ptep in ECX) → old pte.
  SwapPxELongAtomic: (a, ctx) =>
    exchange64(a, ctx, ecx, (x) => {
      x.xchg(eax, ecx);
      x.xchg(ecx, edx);
    }),
  // DeactivatePxELongAtomic(ptep in EAX) → old pte, the entry left clear.
  DeactivatePxELongAtomic: (a, ctx) =>
    exchange64(a, ctx, eax, (x) => {
      x.xor(edx, edx);
      x.xor(ecx, ecx);
    }),
  TestAndSetPxEBit: testAndChange("bts", false),
  TestAndClearPxEBit: testAndChange("btr", false),
  TestAndSetPxELongBit: testAndChange("bts", true),
  TestAndClearPxELongBit: testAndChange("btr", true),
  // UpdatePxE(ptep = EAX, flags = EDX): the guest stored the entry itself (Linux's ptep_get_and_clear and
  // friends). Xen would have trapped the store (writable page tables); this contract has the ROM report it
  // instead, as an mmu_update of the entry's current value (queued like any update under lazy mode).
  UpdatePxE: (a, ctx) => {
    a.mov(ecx, edx);
    a.mov(edx, dword(eax, 0));
    a.call(routine(ctx, SET_ENTRY_ROUTINE));
    a.ret();
  },
  UpdatePxELong: (a, ctx) => {
    a.push(edx);
    a.mov(ecx, dword(eax, 4));
    a.mov(edx, dword(eax, 0));
    a.call(routine(ctx, SET_ENTRY64_ROUTINE));
    a.add(esp, 4);
    a.ret();
  },
  // AllocatePage(pfn = EAX, flags = EDX): pin the page as a page table (L2 for VMI_PAGE_PD, else L1), Xen's way
  // of telling the hypervisor which pages are page tables; ReleasePage unpins. Both take the machine frame.
  AllocatePage: (a, ctx) => {
    pinFrame(a, ctx);
    // PIN_L1_TABLE (0) or PIN_L2_TABLE (1) from VMI_PAGE_PD (2), without a branch: the body fits its slot.
    if (MMUEXT.PIN_L1_TABLE !== 0 || MMUEXT.PIN_L2_TABLE !== VMI_PAGE_PD >> 1) throw new Error("PIN_L1/L2_TABLE are not 0/1");
    a.mov(eax, edx);
    a.and(eax, VMI_PAGE_PD);
    a.shr(eax, 1);
    a.mov(edx, ecx);
    a.jmp(routine(ctx, MMUEXT_ROUTINE));
  },
  ReleasePage: (a, ctx) => {
    pinFrame(a, ctx);
    a.mov(edx, ecx);
    a.mov(eax, MMUEXT.UNPIN_TABLE);
    a.jmp(routine(ctx, MMUEXT_ROUTINE));
  },
  // EAX = va.
  InvalPage: (a, ctx) => {
    a.mov(edx, eax);
    a.mov(eax, MMUEXT.INVLPG_LOCAL);
    a.jmp(routine(ctx, MMUEXT_ROUTINE));
  },
  // EAX = flags: 1 TLB, 2 GLOBAL as well.
  FlushTLB: (a, ctx) => {
    const go = a.newLabel();
    a.test(al, 2);
    a.mov(eax, MMUEXT.TLB_FLUSH_LOCAL);
    a.jz(go);
    a.mov(eax, MMUEXT.TLB_FLUSH_ALL);
    a.label(go);
    a.xor(edx, edx);
    a.jmp(routine(ctx, MMUEXT_ROUTINE));
  },
  FlushDeferredCalls: (a, ctx) => a.jmp(routine(ctx, FLUSH_ROUTINE)),
  // EAX = 0 off (flush), 1 MMU (page-table updates queued), 2 CPU (nothing is queued for it).
  SetLazyMode: (a, ctx) => {
    const stay = a.newLabel();
    a.mov(modeField(ctx.layout.virtualTop), eax);
    a.test(eax, eax);
    a.jnz(stay);
    a.jmp(routine(ctx, FLUSH_ROUTINE));
    a.label(stay);
    a.ret();
  },
  SetLinearMapping: setLinearMapping,
  // api3 (not used by Linux): EAX = address in, EAX = address out, through the machine offset.
  PhysicalToMachine: (a, ctx) => {
    a.add(eax, info(ctx, "machineOffset"));
    a.ret();
  },
  MachineToPhysical: (a, ctx) => {
    a.sub(eax, info(ctx, "machineOffset"));
    a.ret();
  },
  SetPxE0: setPxE,
  SetPxELong0: setPxELong,
};
