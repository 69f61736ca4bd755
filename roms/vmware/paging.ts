// Page-table entries under shadow paging: the ROM writes every entry straight into guest memory (the
// hypervisor traces page-table pages) and tells the hypervisor only about interesting changes, as
// asynchronous SetPxEAsync updates queued through VMIEnqueue — VMware's own algorithm (docs/vmi-interface.md
// §6). The hot path (store + the changed-bits half of the test) sits in the slot; the present half of the
// test, the translation and the enqueue are the cold part. The queue reaches the hypervisor in one FlushQueue
// hypercall: when full, on FlushTLB/InvalPage/SetCR3/ReleasePage, on leaving lazy mode, FlushDeferredCalls.

import { cl, dword, eax, ebx, ecx, edx, esi, esp, qword, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { justReturn, routine } from "../shared/bodies.ts";
import {
  ENQUEUE_ROUTINE,
  FLUSH_ROUTINE,
  INTERESTING_PTE_BITS,
  PTE_PRESENT,
  TRANSLATE_ROUTINE,
  emitInterestingBits,
  setLinearMapping,
} from "../shared/paravirt.ts";
import { pagingCalls as nativePaging } from "../native/paging.ts";
import { ASYNC } from "./hypercalls.ts";
import { viaHypercall } from "./transport.ts";

type Shared = Pick<BodyContext, "shared">;

/**
 * EAX = linear address of the entry, EDX = value (low half), ECX = high half (64-bit entries): translates
 * EAX and enqueues {pa, value, high or 0, 0, SetPxE(Long)Async}. Clobbers EAX, ECX, EDX.
 */
function enqueueUpdate(a: Assembler, ctx: Shared, long: boolean): void {
  a.call(routine(ctx, TRANSLATE_ROUTINE));
  a.push(long ? ASYNC.SetPxELongAsync.number : ASYNC.SetPxEAsync.number);
  a.push(0);
  if (!long) a.xor(ecx, ecx);
  a.call(routine(ctx, ENQUEUE_ROUTINE));
  a.add(esp, 8);
}

/** Calls VMIFlush (preserves every register). */
export function flushQueue(ctx: Shared): (a: Assembler) => void {
  return (a) => a.call(routine(ctx, FLUSH_ROUTINE));
}

/**
 * SetPxE(pte = EAX, ptep = EDX): xchg stores atomically and yields the old entry; uninteresting in 6
 * instructions. Cold: ECX = old ^ new.
 */
const setPxE: Body = (a, ctx) => {
  const cold = ctx.cold((c) => {
    const done = c.newLabel();
    c.xor(ecx, eax); // old
    c.or(ecx, eax);
    c.test(cl, PTE_PRESENT);
    c.jz(done);
    c.xchg(eax, edx); // EAX = ptep, EDX = pte
    enqueueUpdate(c, ctx, false);
    c.label(done);
    c.ret();
  });
  a.mov(ecx, eax);
  a.xchg(dword(edx, 0), ecx);
  a.xor(ecx, eax);
  emitInterestingBits(a, cl, cold);
  a.ret();
};

/**
 * SwapPxE(ptep = EAX, pte = EDX) → old entry (the 13.0 prototype). Uninteresting in 7 instructions.
 * Cold: EDX = old, ECX = old ^ new.
 */
const swapPxE: Body = (a, ctx) => {
  const cold = ctx.cold((c) => {
    const done = c.newLabel();
    c.push(edx); // the answer
    c.xor(ecx, edx); // new
    c.or(edx, ecx);
    c.test(edx, PTE_PRESENT);
    c.jz(done);
    c.mov(edx, ecx);
    enqueueUpdate(c, ctx, false);
    c.label(done);
    c.pop(eax);
    c.ret();
  });
  a.mov(ecx, edx);
  a.xchg(dword(eax, 0), edx);
  a.xor(ecx, edx);
  emitInterestingBits(a, cl, cold);
  a.mov(eax, edx);
  a.ret();
};

/**
 * SetPxELong(pte = EDX:EAX as low EAX / high EDX, ptep = ECX, flags on the stack): the high half first, then
 * the low half by xchg (Linux's order: never present with a stale high half). Uninteresting in 7.
 */
const setPxELong: Body = (a, ctx) => {
  const cold = ctx.cold((c) => {
    const done = c.newLabel();
    c.or(eax, edx); // (old ^ new) | new = old | new
    c.test(eax, PTE_PRESENT);
    c.jz(done);
    c.mov(eax, ecx);
    c.mov(ecx, dword(ecx, 4));
    enqueueUpdate(c, ctx, true);
    c.label(done);
    c.ret();
  });
  a.mov(dword(ecx, 4), edx);
  a.mov(edx, eax);
  a.xchg(dword(ecx, 0), eax);
  a.xor(eax, edx);
  a.test(eax, INTERESTING_PTE_BITS);
  a.jnz(cold);
  a.ret();
};

/** UpdatePxE(ptep = EAX, flags = EDX): the guest changed the entry itself; the old value is unknown, so always queue it. */
const updatePxE =
  (long: boolean): Body =>
  (a, ctx) => {
    a.mov(edx, dword(eax, 0));
    if (long) a.mov(ecx, dword(eax, 4));
    enqueueUpdate(a, ctx, long);
    a.ret();
  };

/**
 * The 64-bit exchanges: cmpxchg8b replaces [ESI] with ECX:EBX (set up by `load`), EDX:EAX = the old entry.
 * Interesting when the low halves differ in INTERESTING_PTE_BITS and either is present.
 */
function exchange64(load: (a: Assembler) => void): Body {
  // Too large for a slot whatever happens: the slow path stays in the (out-of-line) body.
  return (a, ctx) => {
    const retry = a.newLabel(),
      finish = a.newLabel(),
      slow = a.newLabel();
    a.push(ebx);
    a.push(esi);
    load(a);
    a.mov(eax, dword(esi, 0));
    a.mov(edx, dword(esi, 4));
    a.label(retry);
    a.lock().cmpxchg8b(qword(esi, 0));
    a.jnz(retry);
    a.xor(ebx, eax); // changed low bits
    a.test(ebx, INTERESTING_PTE_BITS);
    a.jnz(slow);
    a.label(finish);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
    a.label(slow);
    a.push(eax);
    a.push(edx);
    a.xor(ebx, eax); // new low
    a.or(ebx, eax);
    a.test(ebx, PTE_PRESENT);
    const skip = a.newLabel();
    a.jz(skip);
    a.mov(eax, esi); // the value queued is the entry as it is now (read back)
    a.mov(edx, dword(esi, 0));
    a.mov(ecx, dword(esi, 4));
    enqueueUpdate(a, ctx, true);
    a.label(skip);
    a.pop(edx);
    a.pop(eax);
    a.jmp(finish);
  };
}

/**
 * TestAndSet/ClearPxE(Long)Bit(ptep = EAX, bit = EDX) → the bit's old value. Only a change of an interesting
 * bit (below 8, in the mask) of a present entry — or of P itself — is queued.
 */
function testAndChange(op: "bts" | "btr", long: boolean): Body {
  return (a, ctx) => {
    const changedOld = op === "bts" ? 0 : 1;
    const cold = ctx.cold((c) => {
      const done = c.newLabel(),
        notify = c.newLabel();
      c.cmp(edx, 8);
      c.jae(done);
      c.mov(ecx, INTERESTING_PTE_BITS);
      c.bt(ecx, edx);
      c.jnc(done);
      c.test(edx, edx);
      c.jz(notify);
      c.test(dword(eax, 0), PTE_PRESENT);
      c.jz(done);
      c.label(notify);
      c.mov(edx, dword(eax, 0));
      if (long) c.mov(ecx, dword(eax, 4));
      enqueueUpdate(c, ctx, long);
      c.label(done);
      c.mov(eax, changedOld);
      c.ret();
    });
    a.lock()[op](dword(eax, 0), edx);
    if (op === "bts") {
      a.jnc(cold); // was clear: changed
      a.mov(eax, 1);
    } else {
      a.jc(cold); // was set: changed
      a.xor(eax, eax);
    }
    a.ret();
  };
}

/** SetLazyMode(mode = EAX): record it; a bit that goes away (leaving MMU or CPU batching) flushes. */
const setLazyMode: Body = (a, ctx) => {
  const mode = dword(sharedAddress(ctx.layout.virtualTop, "mode"));
  const cold = ctx.cold((c) => {
    c.jmp(routine(ctx, FLUSH_ROUTINE));
  });
  a.mov(edx, eax);
  a.xchg(mode, edx); // EDX = the previous mode
  a.not(eax);
  a.test(edx, eax);
  a.jnz(cold);
  a.ret();
};

export const pagingCalls: Record<string, Body> = {
  SetPxE: setPxE,
  SetPxE0: setPxE,
  SwapPxE: swapPxE,
  SetPxELong: setPxELong,
  SetPxELong0: setPxELong,
  UpdatePxE: updatePxE(false),
  UpdatePxELong: updatePxE(true),
  // Reads need no hypervisor: the guest's tables are the truth under shadow paging.
  GetPxE: nativePaging.GetPxE,
  GetPxELong: nativePaging.GetPxELong,
  SwapPxELongAtomic: exchange64((x) => {
    x.mov(esi, ecx);
    x.mov(ebx, eax);
    x.mov(ecx, edx);
  }),
  DeactivatePxELongAtomic: exchange64((x) => {
    x.mov(esi, eax);
    x.xor(ebx, ebx);
    x.xor(ecx, ecx);
  }),
  TestAndSetPxEBit: testAndChange("bts", false),
  TestAndClearPxEBit: testAndChange("btr", false),
  TestAndSetPxELongBit: testAndChange("bts", true),
  TestAndClearPxELongBit: testAndChange("btr", true),
  AllocatePage: viaHypercall("AllocatePage", [eax, edx, ecx, { stack: 1 }, { stack: 2 }]),
  ReleasePage: (a, ctx) => viaHypercall("ReleasePage", [eax, edx], flushQueue(ctx))(a, ctx),
  InvalPage: (a, ctx) => viaHypercall("InvalPage", [eax], flushQueue(ctx))(a, ctx),
  FlushTLB: (a, ctx) => viaHypercall("FlushTLB", [eax], flushQueue(ctx))(a, ctx),
  // api13 (flags 0x80 page-table updates, 0x40 CPU state): only page-table updates are ever queued.
  FlushDeferredCalls: (a, ctx) => a.jmp(routine(ctx, FLUSH_ROUTINE)),
  SetLazyMode: setLazyMode,
  SetLinearMapping: setLinearMapping,
  // Shadow paging: the guest's physical addresses are what the hypervisor works with.
  MachineToPhysical: justReturn,
  PhysicalToMachine: justReturn,
};
