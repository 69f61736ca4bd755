// The xen backend's call bodies: what Xen 3.x takes over from a PV kernel goes through the ROM's hypercall page
// (page tables, CR3, TLB, descriptors, kernel stack, the event mask, IRET, halt, timer, debug registers, TS);
// the rest runs the native instruction, as the native backend does (port I/O with IOPL, CPUID, RDTSC, the
// APIC, the other control registers, IDTR/LDTR/TR loads). Argument orders: roms/xen/abi.ts.

import { ah, al, bl, bx, ch, cl, cx, dl, dword, eax, ebp, ebx, ecx, edi, edx, esi, esp, plus, word, type Assembler, type Reg32 } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { emitSysexitFrame, justReturn, returnZero } from "../shared/bodies.ts";
import { FLUSH_ROUTINE, modeField, setLinearMapping } from "../shared/paravirt.ts";
import { HYPERCALL, HYPERCALL_ENTRY, MMUEXT, SCHEDOP, VCPUOP, SCRATCH, SHUTDOWN_REASON, TRAP_INFO_CLEAR_MASK, XENVER_VERSION } from "./abi.ts";
import { MACHINE_ROUTINE, MMUEXT_ROUTINE, PAGE_ROUTINE, SET_ENTRY64_ROUTINE, SET_ENTRY_ROUTINE, hypercall, info, infoByte, scratch } from "./routines.ts";

const EFLAGS_IF_HIGH = 0x200 >> 8;
const EFLAGS_IF = 0x200;
/** Low byte kept when the event mask (byte 1 of the word at vcpu_info) is cleared: upcall_pending. */
const KEEP_PENDING = 0x00ff;
const TSS_ESP0 = 4;
const TSS_SS0 = 8;
const NS_PER_SECOND = 1_000_000_000;

const shared = (ctx: BodyContext, name: string) => ctx.shared[name]!;

/**
 * Enabling: clear upcall_mask and test upcall_pending in one locked `and` of the vcpu_info word (pending is its
 * low byte, the mask its high byte): ZF clear means an event waits, and any hypercall (xen_version, as Linux's
 * xen_irq_enable does) lets the hypervisor deliver it. The cold part keeps every register.
 */
function enableEvents(a: Assembler, ctx: BodyContext): void {
  const deliver = ctx.cold((c) => {
    c.push(eax);
    c.push(ebx);
    c.push(ecx);
    c.mov(ebx, XENVER_VERSION);
    c.xor(ecx, ecx);
    hypercall(c, ctx, "xen_version");
    c.pop(ecx);
    c.pop(ebx);
    c.pop(eax);
    c.ret();
  });
  a.lock().and(word(sharedAddress(ctx.layout.virtualTop, "backendPage")), KEEP_PENDING);
  a.jnz(deliver);
  a.ret();
}

const interruptCalls: Record<string, Body> = {
  EnableInterrupts: enableEvents,
  DisableInterrupts: (a, ctx) => {
    a.mov(infoByte(ctx, "upcallMask"), 1);
    a.ret();
  },
  // mask 0 → CF set → EAX = -1 & 0x200; mask 1 → 0.
  GetInterruptMask: (a, ctx) => {
    a.cmp(infoByte(ctx, "upcallMask"), 1);
    a.sbb(eax, eax);
    a.and(eax, EFLAGS_IF);
    a.ret();
  },
  // EAX = mask (preserved): IF set enables (and delivers a pending event), clear masks.
  SetInterruptMask: (a, ctx) => {
    const off = a.newLabel();
    a.test(ah, EFLAGS_IF_HIGH);
    a.jz(off);
    enableEvents(a, ctx);
    a.label(off);
    a.mov(infoByte(ctx, "upcallMask"), 1);
    a.ret();
  },
  // The iret hypercall takes the caller's EAX on top of the frame; api13 guests call, so the return address goes.
  IRET: (a, ctx) => {
    if (ctx.call.relocs[0] !== "JUMP_REL") a.add(esp, 4);
    a.jmp(plus(shared(ctx, PAGE_ROUTINE), HYPERCALL.iret * HYPERCALL_ENTRY));
  },
  // EDX = user EIP, ECX = user ESP: a ring-1 kernel cannot sysexit (nor sti), so the return is the iret
  // hypercall on a frame built as sysexit would load it; its EFLAGS.IF unmasks events (Xen fakes sysexit so too).
  SYSEXIT: (a, ctx) => {
    emitSysexitFrame(a);
    a.jmp(plus(shared(ctx, PAGE_ROUTINE), HYPERCALL.iret * HYPERCALL_ENTRY));
  },
};

/** EDX:EAX = cycles → EDX:EAX = ns, by shared_info's scale: ((cycles << tsc_shift) × tsc_to_system_mul) >> 32. Clobbers EBX, ESI. */
function cyclesToNs(a: Assembler, ctx: BodyContext): void {
  shiftByTscShift(a, ctx, "left");
  a.mov(esi, edx);
  a.mul(info(ctx, "tscToSystemMul"));
  a.mov(ebx, edx);
  a.mov(eax, esi);
  a.mul(info(ctx, "tscToSystemMul"));
  a.add(eax, ebx);
  a.adc(edx, 0);
}

/** vcpu_op(stop_periodic_timer, vcpu 0). EBX is the caller's to save. */
function stopPeriodic(a: Assembler, ctx: BodyContext): void {
  a.mov(ebx, VCPUOP.stop_periodic_timer);
  a.xor(ecx, ecx);
  a.xor(edx, edx);
  hypercall(a, ctx, "vcpu_op");
}

/** VMI_PAGE_PD in AllocatePage's flags. */
const VMI_PAGE_PD = 0x02;

/** ECX = the machine frame of pfn EAX (machine = physical + machineOffset). */
function pinFrame(a: Assembler, ctx: BodyContext): void {
  a.mov(ecx, info(ctx, "machineOffset"));
  a.shr(ecx, 12);
  a.add(ecx, eax);
}

/** sched_op(cmd, arg) with EBX saved. */
function schedOp(a: Assembler, ctx: BodyContext, cmd: number, reason?: number): void {
  a.push(ebx);
  if (reason !== undefined) {
    a.push(reason);
    a.mov(ecx, esp);
  } else a.xor(ecx, ecx);
  a.mov(ebx, cmd);
  hypercall(a, ctx, "sched_op");
  if (reason !== undefined) a.add(esp, 4);
  a.pop(ebx);
  a.ret();
}

const cpuCalls: Record<string, Body> = {
  // Block clears the event mask and returns once an event has been delivered (VMI's sti; hlt).
  Halt: (a, ctx) => schedOp(a, ctx, SCHEDOP.block),
  Reboot: (a, ctx) => schedOp(a, ctx, SCHEDOP.shutdown, SHUTDOWN_REASON.reboot),
  Shutdown: (a, ctx) => schedOp(a, ctx, SCHEDOP.shutdown, SHUTDOWN_REASON.poweroff),
  CLTS: (a, ctx) => {
    a.push(ebx);
    a.xor(ebx, ebx);
    hypercall(a, ctx, "fpu_taskswitch");
    a.pop(ebx);
    a.ret();
  },
  // EAX = register number, EDX = value.
  SetDR: (a, ctx) => {
    a.push(ebx);
    a.mov(ebx, eax);
    a.mov(ecx, edx);
    hypercall(a, ctx, "set_debugreg");
    a.pop(ebx);
    a.ret();
  },
  GetDR: (a, ctx) => {
    a.push(ebx);
    a.mov(ebx, eax);
    hypercall(a, ctx, "get_debugreg");
    a.pop(ebx);
    a.ret();
  },
};

const pagingCalls: Record<string, Body> = {
  // EAX = pte, EDX = ptep, ECX = flags. The routines are called, not jumped to: a routine one slot alone jumps
  // to reads back (from the bytes) as that call's cold part.
  SetPxE: (a, ctx) => {
    a.xchg(eax, edx);
    a.call(shared(ctx, SET_ENTRY_ROUTINE));
    a.ret();
  },
  // EAX:EDX = pte, ECX = ptep, [esp+4] = flags (passed on).
  SetPxELong: (a, ctx) => {
    a.xchg(eax, ecx);
    a.xchg(ecx, edx);
    a.push(dword(esp, 4));
    a.call(shared(ctx, SET_ENTRY64_ROUTINE));
    a.add(esp, 4);
    a.ret();
  },
  GetPxE: (a) => {
    a.mov(eax, dword(eax, 0));
    a.ret();
  },
  // The old entry is read first: Xen's mmu_update does not exchange (the CPU's A/D bits may race, as with
  // Linux's Xen code).
  SwapPxE: (a, ctx) => {
    a.push(dword(eax, 0));
    a.xor(ecx, ecx);
    a.call(shared(ctx, SET_ENTRY_ROUTINE));
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
    a.call(shared(ctx, SET_ENTRY_ROUTINE));
    a.ret();
  },
  UpdatePxELong: (a, ctx) => {
    a.push(edx);
    a.mov(ecx, dword(eax, 4));
    a.mov(edx, dword(eax, 0));
    a.call(shared(ctx, SET_ENTRY64_ROUTINE));
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
    a.jmp(shared(ctx, MMUEXT_ROUTINE));
  },
  ReleasePage: (a, ctx) => {
    pinFrame(a, ctx);
    a.mov(edx, ecx);
    a.mov(eax, MMUEXT.UNPIN_TABLE);
    a.jmp(shared(ctx, MMUEXT_ROUTINE));
  },
  // EAX = va.
  InvalPage: (a, ctx) => {
    a.mov(edx, eax);
    a.mov(eax, MMUEXT.INVLPG_LOCAL);
    a.jmp(shared(ctx, MMUEXT_ROUTINE));
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
    a.jmp(shared(ctx, MMUEXT_ROUTINE));
  },
  // EAX = physical address of the page directory (+ PCD/PWT) → its machine frame.
  SetCR3: (a, ctx) => {
    a.add(eax, info(ctx, "machineOffset"));
    a.shr(eax, 12);
    a.mov(edx, eax);
    a.mov(eax, MMUEXT.NEW_BASEPTR);
    a.jmp(shared(ctx, MMUEXT_ROUTINE));
  },
  FlushDeferredCalls: (a, ctx) => a.jmp(shared(ctx, FLUSH_ROUTINE)),
  // EAX = 0 off (flush), 1 MMU (page-table updates queued), 2 CPU (nothing is queued for it).
  SetLazyMode: (a, ctx) => {
    const stay = a.newLabel();
    a.mov(modeField(ctx.layout.virtualTop), eax);
    a.test(eax, eax);
    a.jnz(stay);
    a.jmp(shared(ctx, FLUSH_ROUTINE));
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
};
pagingCalls.SetPxE0 = pagingCalls.SetPxE!;
pagingCalls.SetPxELong0 = pagingCalls.SetPxELong!;

/** EAX = ptep, EDX = bit → EAX = the bit's old value; the dword holding the bit is rewritten through mmu_update. */
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
  a.call(shared(ctx, SET_ENTRY64_ROUTINE));
  a.add(esp, 4);
  a.pop(eax);
  a.pop(edx);
  a.ret();
}

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
    a.call(shared(ctx, SET_ENTRY_ROUTINE));
    a.pop(eax);
    a.neg(eax);
    a.ret();
  };
}

const descriptorCalls: Record<string, Body> = {
  // EAX = &dtr {u16 limit, u32 base}: the machine frames of every page the table spans, pushed last page first
  // so the list runs upwards from ESP.
  SetGDT: (a, ctx) => {
    const page = a.newLabel(), listed = a.newLabel();
    a.push(ebx);
    a.push(esi);
    a.push(edi);
    a.push(ebp);
    a.mov(ebp, esp);
    a.mov(esi, eax);
    a.mov(edi, dword(esi, 2));
    a.movzx(ecx, word(esi, 0));
    a.add(ecx, edi);
    a.and(ecx, ~0xfff);
    a.and(edi, ~0xfff);
    a.label(page);
    a.mov(eax, ecx);
    a.call(shared(ctx, MACHINE_ROUTINE));
    a.shr(eax, 12);
    a.push(eax);
    a.cmp(ecx, edi);
    a.je(listed);
    a.sub(ecx, 0x1000);
    a.jmp(page);
    a.label(listed);
    a.mov(ebx, esp);
    a.movzx(ecx, word(esi, 0));
    a.inc(ecx);
    a.shr(ecx, 3);
    a.mov(edx, dword(esi, 2));
    a.and(edx, 0xfff);
    hypercall(a, ctx, "set_gdt");
    a.mov(esp, ebp);
    a.pop(ebp);
    a.pop(edi);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
  },
  // EAX = table, EDX = index, ECX = low dword, [esp+4] = high dword → update_descriptor(ma, desc).
  WriteGDTEntry: writeDescriptor,
  WriteLDTEntry: writeDescriptor,
  // The IDT is the hypervisor's: the gate goes in as a one-entry trap table (vector, DPL, CS, address; an
  // interrupt gate also masks events). EAX (the table) is not needed.
  WriteIDTEntry: (a, ctx) => {
    const trapGate = a.newLabel();
    a.push(ebx);
    a.push(0); // the terminating entry (address 0)
    a.push(0);
    a.mov(eax, dword(esp, 16)); // high dword: offset 31..16, P, DPL, type
    a.mov(ebx, eax);
    a.and(ebx, 0xffff0000);
    a.mov(bx, cx); // offset 15..0 from the low dword
    a.push(ebx); // entry.address
    a.shr(eax, 8); // AL = P, DPL, S, type
    a.mov(ebx, eax);
    a.shr(ebx, 5);
    a.and(ebx, 3); // DPL
    a.and(al, 0x0f);
    a.cmp(al, 0x0e); // an interrupt gate masks events
    a.jne(trapGate);
    a.or(bl, TRAP_INFO_CLEAR_MASK);
    a.label(trapGate);
    a.and(ecx, 0xffff0000); // CS << 16
    a.mov(cl, dl); // vector
    a.mov(ch, bl); // flags
    a.push(ecx);
    a.mov(ebx, esp);
    hypercall(a, ctx, "set_trap_table");
    a.add(esp, 16);
    a.pop(ebx);
    a.ret();
  },
  UpdateKernelStack: (a, ctx) => {
    a.push(ebx);
    if (ctx.api === 3) {
      a.mov(ebx, eax); // Linux passes the kernel data selector
    } else {
      a.mov(dword(eax, TSS_ESP0), edx); // api13: EAX = &TSS, as the native call does
      a.movzx(ebx, word(eax, TSS_SS0));
    }
    a.mov(ecx, edx);
    hypercall(a, ctx, "stack_switch");
    a.pop(ebx);
    a.ret();
  },
};

function writeDescriptor(a: Assembler, ctx: BodyContext): void {
  a.lea(eax, dword({ base: eax, index: edx, scale: 8 }));
  a.call(shared(ctx, MACHINE_ROUTINE));
  a.push(ebx);
  a.push(esi);
  a.mov(ebx, eax);
  a.mov(edx, ecx);
  a.mov(esi, dword(esp, 12));
  a.xor(ecx, ecx);
  hypercall(a, ctx, "update_descriptor");
  a.pop(esi);
  a.pop(ebx);
  a.ret();
}

/**
 * EDX:EAX shifted by shared_info's signed tsc_shift: towards `positive` when tsc_shift >= 0, the other way by
 * -tsc_shift when it is negative (clobbers CL). Cycles → system time shifts left; the frequency, right.
 */
function shiftByTscShift(a: Assembler, ctx: BodyContext, positive: "left" | "right"): void {
  const negative = a.newLabel(), done = a.newLabel();
  const shift = (dir: "left" | "right") => {
    if (dir === "left") {
      a.shld(edx, eax, cl);
      a.shl(eax, cl);
    } else {
      a.shrd(eax, edx, cl);
      a.shr(edx, cl);
    }
  };
  a.mov(cl, infoByte(ctx, "tscShift"));
  a.test(cl, cl);
  a.js(negative);
  shift(positive);
  a.jmp(done);
  a.label(negative);
  a.neg(cl);
  shift(positive === "left" ? "right" : "left");
  a.label(done);
}

const timeCalls: Record<string, Body> = {
  // EDX:EAX = 10^9 * 2^32 / tsc_to_system_mul, shifted right by tsc_shift (left when negative); 0 without a scale.
  GetCycleFrequency: (a, ctx) => {
    const none = a.newLabel();
    a.push(ebx);
    a.mov(ecx, info(ctx, "tscToSystemMul"));
    a.xor(eax, eax);
    a.xor(edx, edx);
    a.test(ecx, ecx);
    a.jz(none);
    a.mov(eax, NS_PER_SECOND);
    a.div(ecx);
    a.mov(ebx, eax);
    a.xor(eax, eax);
    a.div(ecx);
    a.mov(edx, ebx);
    shiftByTscShift(a, ctx, "right");
    a.label(none);
    a.pop(ebx);
    a.ret();
  },
  // Every counter is the TSC (a PV guest may read it); system time is derived from it through shared_info.
  GetCycleCounter: (a) => {
    a.rdtsc();
    a.ret();
  },
  // EDX:EAX = (wc_sec * 10^9 + wc_nsec) + system_time, read again while wc_version is odd or changes.
  GetWallclockTime: (a, ctx) => {
    const again = a.newLabel();
    a.push(esi);
    a.label(again);
    a.mov(esi, info(ctx, "wcVersion"));
    a.mov(eax, info(ctx, "wcSec"));
    a.mov(ecx, NS_PER_SECOND);
    a.mul(ecx);
    a.add(eax, info(ctx, "wcNsec"));
    a.adc(edx, 0);
    a.add(eax, info(ctx, "systemTime"));
    a.adc(edx, info(ctx, "systemTime", 4));
    a.cmp(esi, info(ctx, "wcVersion"));
    a.jne(again);
    a.test(esi, 1);
    a.jnz(again);
    a.mov(scratch(ctx, SCRATCH.wcSeen), esi);
    a.pop(esi);
    a.ret();
  },
  // 1 when wc_version moved since GetWallclockTime last read the wallclock.
  WallclockUpdated: (a, ctx) => {
    a.mov(eax, info(ctx, "wcVersion"));
    a.cmp(eax, scratch(ctx, SCRATCH.wcSeen));
    a.setne(al);
    a.movzx(eax, al);
    a.ret();
  },
  // EAX = flags, EDX:ECX = expiry in cycles (the period on the stack is not kept: set_timer_op is one-shot).
  // system time = system_time + (((expiry - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32.
  // The expiry (cycles) becomes system time for set_timer_op; a period (the stack's u64) becomes Xen's periodic
  // timer (vcpu_op set_periodic_timer, in ns), and none stops it: Linux's periodic tick needs one.
  SetAlarm: (a, ctx) => {
    const stop = a.newLabel(), done = a.newLabel();
    a.push(ebx);
    a.push(esi);
    a.mov(eax, edx);
    a.mov(edx, ecx);
    a.sub(eax, info(ctx, "tscTimestamp"));
    a.sbb(edx, info(ctx, "tscTimestamp", 4));
    cyclesToNs(a, ctx);
    a.add(eax, info(ctx, "systemTime"));
    a.adc(edx, info(ctx, "systemTime", 4));
    a.mov(ebx, eax);
    a.mov(ecx, edx);
    hypercall(a, ctx, "set_timer_op");
    a.mov(eax, dword(esp, 8 + 4));
    a.mov(edx, dword(esp, 8 + 8));
    a.mov(ecx, eax);
    a.or(ecx, edx);
    a.jz(stop);
    cyclesToNs(a, ctx);
    a.push(edx);
    a.push(eax);
    a.mov(edx, esp);
    a.mov(ebx, VCPUOP.set_periodic_timer);
    a.xor(ecx, ecx);
    hypercall(a, ctx, "vcpu_op");
    a.add(esp, 8);
    a.jmp(done);
    a.label(stop);
    stopPeriodic(a, ctx);
    a.label(done);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
  },
  CancelAlarm: (a, ctx) => {
    a.push(ebx);
    a.xor(ebx, ebx);
    a.xor(ecx, ecx);
    hypercall(a, ctx, "set_timer_op");
    stopPeriodic(a, ctx);
    a.pop(ebx);
    a.ret();
  },
  SetInitialAPState: returnZero,
  SetCallbacks: justReturn,
};

export const xenCalls: Record<string, Body> = {
  ...interruptCalls,
  ...cpuCalls,
  ...pagingCalls,
  ...descriptorCalls,
  ...timeCalls,
};

