// The xen backend's shared routines: the ROM's own hypercall page, the machine address of a linear address,
// one page-table entry written (now through mmu_update, or queued in lazy/deferred mode), one mmuext_op, and
// VMIFlush — the queue sent as ONE multicall. Register conventions are regparm's: EBX, ESI and EDI are
// callee-saved, so a routine that loads Xen's argument registers saves them itself.

import { byte, dword, eax, ebx, ecx, edi, edx, esi, esp, plus, type Assembler, type Mem32, type Mem8 } from "../../src/asm/index.ts";
import type { BodyContext, SharedRoutine } from "../../src/image/program.ts";
import { QUEUE_ENTRY, sharedAddress } from "../../src/layout/shared-area.ts";
import { routine } from "../shared/bodies.ts";
import { ENQUEUE_ROUTINE, FLUSH_ROUTINE, TRANSLATE_ROUTINE, modeField, queueCountField } from "../shared/paravirt.ts";
import {
  DOMID_SELF,
  HYPERCALL,
  HYPERCALL_ENTRY,
  HYPERCALL_PAGE_ENTRIES,
  MMU_NORMAL_PT_UPDATE,
  MMU_REQUEST_SIZE,
  MULTICALL_ENTRY_SIZE,
  SCRATCH,
  SHARED_INFO,
  type HypercallName,
  type SharedInfoField,
} from "./abi.ts";

export const PAGE_ROUTINE = "XenHypercallPage";
export const MACHINE_ROUTINE = "XenMachineAddress";
export const SET_ENTRY_ROUTINE = "XenSetEntry";
export const SET_ENTRY64_ROUTINE = "XenSetEntry64";
export const MMUEXT_ROUTINE = "XenMmuextOp";

/** VMI_PAGE_DEFER in a SetPxE's flags: the update may wait for the next flush. */
export const PAGE_DEFER = 0x20;
/** mode bit that batches page-table updates (api3 lazy MMU mode). */
export const MODE_MMU = 0x1;

type Ctx = Pick<BodyContext, "layout" | "shared">;

/** A shared_info field's linear address (`extra` bytes further). */
export function infoAddress(ctx: Pick<BodyContext, "layout">, field: SharedInfoField, extra = 0): number {
  return sharedAddress(ctx.layout.virtualTop, "backendPage", SHARED_INFO[field].offset + extra);
}
/** A shared_info field as a dword operand. */
export function info(ctx: Pick<BodyContext, "layout">, field: SharedInfoField, extra = 0): Mem32 {
  return dword(infoAddress(ctx, field, extra));
}
/** A shared_info field as a byte operand. */
export function infoByte(ctx: Pick<BodyContext, "layout">, field: SharedInfoField): Mem8 {
  return byte(infoAddress(ctx, field));
}

/** A dword of the ROM's scratch state. */
export function scratch(ctx: Pick<BodyContext, "layout">, offset: number) {
  return dword(sharedAddress(ctx.layout.virtualTop, "scratch", offset));
}

/** `call` hypercall `name` through the ROM's page (EAX is loaded by the page entry). */
export function hypercall(a: Assembler, ctx: Ctx, name: HypercallName): void {
  a.call(plus(routine(ctx, PAGE_ROUTINE), HYPERCALL[name] * HYPERCALL_ENTRY));
}

/**
 * The hypercall page: entry i at page + i*32 holds `mov $i,%eax; int $0x82; ret`; iret's holds `push %eax;
 * mov $23,%eax; int $0x82` and ends in ud2 (the hypercall does not return). Entries the ROM does not use are
 * filler (0xCC); the page ends after the highest number used.
 */
export const hypercallPage: SharedRoutine = {
  name: PAGE_ROUTINE,
  emit(a, ctx) {
    const used = new Set<number>(Object.values(HYPERCALL));
    for (let i = 0; i < HYPERCALL_PAGE_ENTRIES; i++) {
      let size = 0;
      if (i === HYPERCALL.iret) {
        a.push(eax);
        a.mov(eax, i);
        a.int(0x82);
        a.ud2();
        size = 1 + 5 + 2 + 2;
      } else if (used.has(i)) {
        a.mov(eax, i);
        a.int(0x82);
        a.ret();
        size = 5 + 2 + 1;
      }
      a.fill(HYPERCALL_ENTRY - size, ctx.layout.filler);
    }
  },
};

/** EAX = linear address → EAX = machine address (VMITranslate, then + machineOffset). Flags only besides. */
export const machineAddress: SharedRoutine = {
  name: MACHINE_ROUTINE,
  emit(a, ctx) {
    a.call(routine(ctx, TRANSLATE_ROUTINE));
    a.add(eax, info(ctx, "machineOffset"));
    a.ret();
  },
};

/** Loads ECX = count, EDX = 0, ESI = DOMID_SELF and makes `name` (mmu_update/mmuext_op) with EBX = the list. */
function listHypercall(a: Assembler, ctx: Ctx, name: HypercallName, count: number): void {
  a.mov(ebx, esp);
  a.mov(ecx, count);
  a.xor(edx, edx);
  a.mov(esi, DOMID_SELF);
  hypercall(a, ctx, name);
}

/** Appends (EAX = machine address, EDX = value) to the queue as one mmu_update (clobbers EAX, ECX, EDX). */
function enqueueUpdate(a: Assembler, ctx: Ctx): void {
  a.xor(ecx, ecx);
  a.push(HYPERCALL.mmu_update);
  a.push(0);
  a.call(routine(ctx, ENQUEUE_ROUTINE));
  a.add(esp, 8);
}

/**
 * XenSetEntry(EAX = entry's linear address, EDX = value, ECX = VMI flags): a 4-byte entry written through
 * mmu_update at its machine address now, or queued when the flags carry VMI_PAGE_DEFER or lazy MMU mode is on.
 * Clobbers EAX, ECX, EDX.
 */
export const setEntry: SharedRoutine = {
  name: SET_ENTRY_ROUTINE,
  emit(a, ctx) {
    const queue = a.newLabel();
    a.call(routine(ctx, MACHINE_ROUTINE));
    a.test(ecx, PAGE_DEFER);
    a.jnz(queue);
    a.test(modeField(ctx.layout.virtualTop), MODE_MMU);
    a.jnz(queue);
    a.push(ebx);
    a.push(esi);
    a.push(0); // request: ptr (low, high), val (low, high)
    a.push(edx);
    a.push(0);
    if (MMU_NORMAL_PT_UPDATE !== 0) a.or(eax, MMU_NORMAL_PT_UPDATE);
    a.push(eax);
    listHypercall(a, ctx, "mmu_update", 1);
    a.add(esp, MMU_REQUEST_SIZE);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
    a.label(queue);
    enqueueUpdate(a, ctx);
    a.ret();
  },
};

/**
 * XenSetEntry64(EAX = entry's linear address, EDX:ECX = value (low, high), [esp+4] = VMI flags): two 4-byte
 * requests in one mmu_update, the high half first (the entry is never present with a stale high half), or both
 * queued. Clobbers EAX, ECX, EDX; the caller pops the flags.
 */
export const setEntry64: SharedRoutine = {
  name: SET_ENTRY64_ROUTINE,
  emit(a, ctx) {
    const queue = a.newLabel();
    a.call(routine(ctx, MACHINE_ROUTINE));
    a.test(byte(esp, 4), PAGE_DEFER);
    a.jnz(queue);
    a.test(modeField(ctx.layout.virtualTop), MODE_MMU);
    a.jnz(queue);
    a.push(ebx);
    a.push(esi);
    a.push(0); // second request: the low half at the entry
    a.push(edx);
    a.push(0);
    a.push(eax);
    a.add(eax, 4);
    a.push(0); // first request: the high half
    a.push(ecx);
    a.push(0);
    a.push(eax);
    listHypercall(a, ctx, "mmu_update", 2);
    a.add(esp, 2 * MMU_REQUEST_SIZE);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
    a.label(queue);
    a.push(eax);
    a.push(edx);
    a.add(eax, 4);
    a.mov(edx, ecx);
    enqueueUpdate(a, ctx);
    a.pop(edx);
    a.pop(eax);
    enqueueUpdate(a, ctx);
    a.ret();
  },
};

/**
 * XenMmuextOp(EAX = command, EDX = arg1): flushes the queue (the operation must see every update), then one
 * mmuext_op. Clobbers EAX, ECX, EDX.
 */
export const mmuextOp: SharedRoutine = {
  name: MMUEXT_ROUTINE,
  emit(a, ctx) {
    a.call(routine(ctx, FLUSH_ROUTINE));
    a.push(ebx);
    a.push(esi);
    a.push(0); // arg2
    a.push(edx); // arg1
    a.push(eax); // cmd
    listHypercall(a, ctx, "mmuext_op", 1);
    a.add(esp, 12);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
  },
};

/**
 * VMIFlush: every queued update becomes one mmu_update request (in scratch) and one multicall entry
 * {op = the entry's hypercall, args = (&request, 1, 0, DOMID_SELF)}; ONE multicall sends them all, and the
 * queue is empty. Nothing queued: no hypercall. Preserves every register but the flags.
 */
export const flushRoutine: SharedRoutine = {
  name: FLUSH_ROUTINE,
  emit(a, ctx) {
    const top = ctx.layout.virtualTop;
    const count = queueCountField(top);
    const done = a.newLabel(),
      next = a.newLabel();
    const queued = (f: keyof Omit<typeof QUEUE_ENTRY, "size">) => dword({ base: eax, disp: sharedAddress(top, "queue", QUEUE_ENTRY[f]) });
    const request = (off: number) => dword({ base: edx, disp: sharedAddress(top, "scratch", SCRATCH.requests + off) });
    const entry = (off: number) => dword({ base: edi, disp: sharedAddress(top, "scratch", SCRATCH.multicalls + off) });
    a.cmp(count, 0);
    a.je(done);
    a.pusha();
    a.xor(esi, esi); // entry number
    a.label(next);
    a.imul(eax, esi, QUEUE_ENTRY.size);
    a.mov(edx, esi);
    a.shl(edx, 4); // * MMU_REQUEST_SIZE
    a.mov(edi, esi);
    a.shl(edi, 5); // * MULTICALL_ENTRY_SIZE
    a.mov(ecx, queued("pa"));
    a.mov(request(0), ecx);
    a.mov(request(4), 0);
    a.mov(ecx, queued("value"));
    a.mov(request(8), ecx);
    a.mov(ecx, queued("arg1"));
    a.mov(request(12), ecx);
    a.mov(ecx, queued("hypercall"));
    a.mov(entry(0), ecx); // op
    a.mov(entry(4), 0); // result
    a.lea(ecx, request(0));
    a.mov(entry(8), ecx);
    a.mov(entry(12), 1);
    a.mov(entry(16), 0);
    a.mov(entry(20), DOMID_SELF);
    a.inc(esi);
    a.cmp(esi, count);
    a.jb(next);
    a.mov(ebx, sharedAddress(top, "scratch", SCRATCH.multicalls));
    a.mov(ecx, esi);
    a.mov(count, 0);
    hypercall(a, ctx, "multicall");
    a.popa();
    a.label(done);
    a.ret();
  },
};
if (MMU_REQUEST_SIZE !== 16 || MULTICALL_ENTRY_SIZE !== 32) throw new Error("VMIFlush scales entry numbers by shifting 4 and 5");

// Every xen body reaches the routines through `routine`.
export { routine };
