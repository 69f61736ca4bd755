// Page-table entries, TLB maintenance and the paging hints a hypervisor would use. Natively a PTE update
// is a store (atomic where the interface says so), and the hints (allocate, release, lazy mode, linear
// mappings, deferred calls) have nothing to do.

import { cr3, cr4, cl, dword, eax, ebx, ecx, edx, esi, mem, qword, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { justReturn, thenReturn } from "../shared/bodies.ts";

const FLUSH_GLOBAL = 0x02; // FlushTLB flag: global entries too
const CR4_PGE_LOW = 0x80; // CR4.PGE, in CL

/** EAX = pte, EDX = ptep (the layouts' SetPxE order; ECX = flags is a hint). */
const setPxE: Body = thenReturn((a) => a.mov(dword(edx, 0), eax));

/**
 * EAX:EDX = pte (low, high), ECX = ptep, flags on the stack. Linux's native PAE store order: the high half
 * first, so that the entry is never present with a stale high half.
 */
const setPxELong: Body = thenReturn((a) => {
  a.mov(dword(ecx, 4), edx);
  a.mov(dword(ecx, 0), eax);
});

/**
 * 64-bit compare-exchange loop: replaces [ESI] with ECX:EBX (set up by `load`) and returns the old value
 * in EDX:EAX. EBX and ESI are callee-saved in regparm, so they are pushed around it.
 */
function exchange64(a: Assembler, load: (a: Assembler) => void): void {
  const retry = a.newLabel();
  a.push(ebx);
  a.push(esi);
  load(a);
  a.mov(eax, dword(esi, 0));
  a.mov(edx, dword(esi, 4));
  a.label(retry);
  a.lock().cmpxchg8b(qword(esi, 0)); // on failure EDX:EAX is reloaded with the current value
  a.jnz(retry);
  a.pop(esi);
  a.pop(ebx);
  a.ret();
}

/** EAX = ptep, EDX = bit → EAX = the bit's old value (0/1). The bit offset may exceed 31 (Long variants). */
function testAndChange(op: "bts" | "btr"): Body {
  return thenReturn((a) => {
    a.lock()[op](dword(eax, 0), edx);
    a.sbb(eax, eax);
    a.and(eax, 1);
  });
}

export const pagingCalls = {
  SetPxE: setPxE,
  SetPxE0: setPxE,
  SetPxELong: setPxELong,
  SetPxELong0: setPxELong,
  // The 13.0 prototypes: GetPxE(ptep), SwapPxE(ptep, pte) → old pte.
  GetPxE: thenReturn((a) => a.mov(eax, dword(eax, 0))),
  SwapPxE: thenReturn((a) => {
    a.xchg(dword(eax, 0), edx);
    a.mov(eax, edx);
  }),
  // GetPxELong(ptep) → EDX:EAX, read in one piece: cmpxchg8b with equal old and new values.
  GetPxELong: (a) => {
    a.push(ebx);
    a.push(esi);
    a.mov(esi, eax);
    a.xor(eax, eax);
    a.xor(edx, edx);
    a.xor(ebx, ebx);
    a.xor(ecx, ecx);
    a.lock().cmpxchg8b(qword(esi, 0)); // stores 0 over 0, or loads the value
    a.pop(esi);
    a.pop(ebx);
    a.ret();
  },
  // SwapPxELongAtomic(pte in EAX:EDX, ptep in ECX) → old pte.
  SwapPxELongAtomic: (a) =>
    exchange64(a, (x) => {
      x.mov(esi, ecx);
      x.mov(ebx, eax);
      x.mov(ecx, edx);
    }),
  // DeactivatePxELongAtomic(ptep) → old pte, leaving the entry clear (Linux's ptep_get_and_clear).
  DeactivatePxELongAtomic: (a) =>
    exchange64(a, (x) => {
      x.mov(esi, eax);
      x.xor(ebx, ebx);
      x.xor(ecx, ecx);
    }),
  TestAndSetPxEBit: testAndChange("bts"),
  TestAndClearPxEBit: testAndChange("btr"),
  TestAndSetPxELongBit: testAndChange("bts"),
  TestAndClearPxELongBit: testAndChange("btr"),
  UpdatePxE: justReturn, // the store already happened; only a shadowing hypervisor cares
  UpdatePxELong: justReturn,
  AllocatePage: justReturn,
  ReleasePage: justReturn,
  InvalPage: thenReturn((a) => a.invlpg(mem(eax))), // EAX = va
  // EAX = flags: reload CR3; with GLOBAL, also toggle CR4.PGE, which drops global entries.
  FlushTLB: (a) => {
    const local = a.newLabel();
    a.test(eax, FLUSH_GLOBAL);
    a.jz(local);
    a.mov(ecx, cr4);
    a.mov(edx, ecx);
    a.and(cl, ~CR4_PGE_LOW & 0xff);
    a.mov(cr4, ecx);
    a.mov(cr4, edx);
    a.label(local);
    a.mov(ecx, cr3);
    a.mov(cr3, ecx);
    a.ret();
  },
  FlushDeferredCalls: justReturn,
  SetLazyMode: justReturn,
  SetLinearMapping: justReturn,
  // No machine/physical distinction natively: EAX in, EAX out.
  MachineToPhysical: justReturn,
  PhysicalToMachine: justReturn,
} satisfies Record<string, Body>;
