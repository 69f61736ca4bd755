// Routines both paravirtual backends share, written once: VMITranslate (VA → PA through the linear-map
// lookaside the guest fills with SetLinearMapping), VMIEnqueue (append one update to the queue in the shared
// area, flushing a full queue first), SetLinearMapping itself, and VMware's "interesting PTE change" test.
// The flush is the backend's own (one hypercall on vmware, a multicall on xen): it is the shared routine
// named FLUSH_ROUTINE, which every backend using VMIEnqueue provides. Layout of the area: src/layout/shared-area.ts.

import { dword, eax, ebx, ecx, edx, esp, type Assembler, type Label, type Mem32, type Reg32, type Reg8 } from "../../src/asm/index.ts";
import type { Body, SharedRoutine } from "../../src/image/program.ts";
import { LINEAR_MAP_ENTRY, LINEAR_MAP_SLOTS, QUEUE_CAPACITY, QUEUE_ENTRY, sharedAddress } from "../../src/layout/shared-area.ts";
import { routine } from "./bodies.ts";

export const TRANSLATE_ROUTINE = "VMITranslate";
export const ENQUEUE_ROUTINE = "VMIEnqueue";
/** The backend's flush: sends every queued update to the hypervisor and sets queueCount to 0. */
export const FLUSH_ROUTINE = "VMIFlush";

/** PTE bits whose change the hypervisor must hear about: P, R/W, U/S, D, PS (VMware's low-byte mask). */
export const INTERESTING_PTE_BITS = 0xc7;
export const PTE_PRESENT = 0x01;

/**
 * VMITranslate: EAX = linear address → EAX = physical address. The first lookaside entry with
 * startVA <= va < endVA gives pa = va + physOffset; no match: the address is taken as identity-mapped
 * (as VMware's ROM does). Unrolled: entry 0 (Linux's PAGE_OFFSET map) costs five instructions. Preserves
 * every register but EAX and the flags.
 */
export const translateRoutine: SharedRoutine = {
  name: TRANSLATE_ROUTINE,
  emit(a, ctx) {
    const top = ctx.layout.virtualTop;
    for (let slot = 0; slot < LINEAR_MAP_SLOTS; slot++) {
      const field = (f: "startVA" | "endVA" | "physOffset") => dword(sharedAddress(top, "linearMap", slot * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY[f]));
      const next = a.newLabel();
      a.cmp(eax, field("startVA"));
      a.jb(next);
      a.cmp(eax, field("endVA"));
      a.jae(next);
      a.add(eax, field("physOffset"));
      a.ret();
      a.label(next);
    }
    a.ret();
  },
};

/**
 * VMIEnqueue(pa = EAX, value = EDX, arg1 = ECX, [esp+4] = arg2, [esp+8] = hypercall number): appends one
 * entry; a full queue is flushed first (FLUSH_ROUTINE, which preserves EAX, ECX and EDX). Regparm: the caller
 * pops the two stack words. Clobbers EAX, ECX, EDX and flags.
 */
export const enqueueRoutine: SharedRoutine = {
  name: ENQUEUE_ROUTINE,
  emit(a, ctx) {
    const top = ctx.layout.virtualTop;
    const count = dword(sharedAddress(top, "queueCount"));
    const room = a.newLabel();
    const entry = (f: keyof Omit<typeof QUEUE_ENTRY, "size">) => dword({ base: ebx, disp: sharedAddress(top, "queue", QUEUE_ENTRY[f]) });
    a.push(ebx);
    a.mov(ebx, count);
    a.cmp(ebx, QUEUE_CAPACITY);
    a.jb(room);
    a.call(routine(ctx, FLUSH_ROUTINE));
    a.xor(ebx, ebx);
    a.label(room);
    a.inc(count);
    a.imul(ebx, ebx, QUEUE_ENTRY.size);
    a.mov(entry("pa"), eax);
    a.mov(entry("value"), edx);
    a.mov(entry("arg1"), ecx);
    a.mov(eax, dword(esp, 8)); // after push ebx: [esp] = ebx, [esp+4] = return address, [esp+8] = arg2
    a.mov(entry("arg2"), eax);
    a.mov(eax, dword(esp, 12));
    a.mov(entry("hypercall"), eax);
    a.pop(ebx);
    a.ret();
  },
};

/**
 * SetLinearMapping(slot = EAX, va = EDX, pages = ECX, [esp+4] = pfn): fills lookaside entry `slot`
 * (startVA = va, endVA = va + pages * 4096, physOffset = pfn * 4096 - va). Slots past the lookaside are
 * ignored, as are mappings of zero pages (they clear the entry: endVA = startVA).
 */
export const setLinearMapping: Body = (a, ctx) => {
  const top = ctx.layout.virtualTop;
  const done = a.newLabel();
  const field = (f: "startVA" | "endVA" | "physOffset") => dword({ base: eax, disp: sharedAddress(top, "linearMap", LINEAR_MAP_ENTRY[f]) });
  a.cmp(eax, LINEAR_MAP_SLOTS);
  a.jae(done);
  a.shl(eax, 4); // * LINEAR_MAP_ENTRY.size
  a.mov(field("startVA"), edx);
  a.shl(ecx, 12);
  a.add(ecx, edx);
  a.mov(field("endVA"), ecx);
  a.mov(ecx, dword(esp, 4));
  a.shl(ecx, 12);
  a.sub(ecx, edx);
  a.mov(field("physOffset"), ecx);
  a.label(done);
  a.ret();
};
if (LINEAR_MAP_ENTRY.size !== 16) throw new Error("setLinearMapping scales the slot number by shifting 4");

/**
 * Jumps to `interesting` when a PTE change matters to the hypervisor: `changed` (8-bit: the low byte of
 * old XOR new) has one of INTERESTING_PTE_BITS set. The present half of the test (old or new present) is
 * left to the slow path, where `emitPresentTest` finishes it: most changes the guest makes touch only A/D
 * bits the CPU sets itself, or only the frame of a not-present entry, and stop here.
 */
export function emitInterestingBits(a: Assembler, changed: Reg8, interesting: Label): void {
  a.test(changed, INTERESTING_PTE_BITS);
  a.jnz(interesting);
}

/** Jumps to `notPresent` when neither `oldPte` nor `newPte` is present (clobbers `scratch`). */
export function emitPresentTest(a: Assembler, oldPte: Reg32, newPte: Reg32 | Mem32, scratch: Reg32, notPresent: Label): void {
  a.mov(scratch, newPte as Reg32);
  a.or(scratch, oldPte);
  a.test(scratch, PTE_PRESENT);
  a.jz(notPresent);
}

/** The mode field's address (api3 lazy mode / api13 deferred bits). */
export function modeField(virtualTop: number): Mem32 {
  return dword(sharedAddress(virtualTop, "mode"));
}
/** The queue count's address. */
export function queueCountField(virtualTop: number): Mem32 {
  return dword(sharedAddress(virtualTop, "queueCount"));
}

/** The shared routines every paravirtual backend includes (plus its own FLUSH_ROUTINE and presence check). */
export const paravirtRoutines: readonly SharedRoutine[] = [translateRoutine, enqueueRoutine];
