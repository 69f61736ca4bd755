// Every way control can arrive unasked: exception stubs for vectors 0-31 (an unexpected one prints the
// vector, EIP, error code and the call under test, then exits with the fatal status), the expected-fault
// catcher tests use, the single-step (#DB) instruction counter, the hypercall transports (vmcall/vmmcall
// raise #UD under qemu's software CPU, int $0x82 arrives through the IDT) recorded in a log and handed
// to the backend's hypervisor model, the IRQ handlers, and the gate ring 3 uses to come back.

import { al, byte, cr2, dword, eax, ebp, edi, esi, esp, word, type Label } from "../src/asm/index.ts";
import type { Layout } from "../src/layout/types.ts";
import type { HypercallField } from "./api.ts";
import type { Gate } from "./boot.ts";
import type { GuestAsm } from "./emitter.ts";
import { EXIT, HC_ENTRY_SIZE, HC_LOG_MAX, MEM, VEC } from "./memory.ts";

/** Exceptions for which the CPU pushes an error code. */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

export const EXCEPTION_NAMES = [
  "DE",
  "DB",
  "NMI",
  "BP",
  "OF",
  "BR",
  "UD",
  "NM",
  "DF",
  "MF9",
  "TS",
  "NP",
  "SS",
  "GP",
  "PF",
  "R15",
  "MF",
  "AC",
  "MC",
  "XM",
  "VE",
  "CP",
  "R22",
  "R23",
  "R24",
  "R25",
  "R26",
  "R27",
  "HV",
  "VC",
  "SX",
  "R31",
] as const;

/** Offsets in the frame the stubs build: pushad, then vector, error code, and the CPU's eip/cs/eflags. */
export const FRAME = { edi: 0, esi: 4, ebp: 8, ebx: 16, edx: 20, ecx: 24, eax: 28, vector: 32, error: 36, eip: 40, cs: 44, eflags: 48 } as const;

/** Hypercall transports the guest can catch, as recorded in the log (field `via`). */
export const TRANSPORTS = { vmcall: 1, vmmcall: 2, int82: 3 } as const;
export type Transport = keyof typeof TRANSPORTS;

/** Offsets in a hypercall log record (HC_ENTRY_SIZE bytes at MEM.hcLog + seq * HC_ENTRY_SIZE); api.ts names the same fields. */
export const HC_RECORD = { seq: 0, via: 4, eax: 8, ebx: 12, ecx: 16, edx: 20, esi: 24, edi: 28, eip: 32, result: 36 } as const satisfies Record<
  HypercallField,
  number
>;

/**
 * The hypervisor a paravirtual backend talks to, played by the guest. `emit` runs once per hypercall
 * with EBP pointing at the trap frame (FRAME offsets: the caller's registers) and EDI at the hypercall's
 * log record; it performs the hypercall's effect and leaves the result in the frame's saved EAX. It must
 * preserve EBP, EDI and ESP; the other registers are free.
 */
export interface HypervisorModel {
  transports: readonly Transport[];
  emit?: (g: GuestAsm) => void;
  /**
   * At boot, before the probe: what the hypervisor has done before the guest runs (map and sign the shared area
   * at virtual_top, map the ROM where docs/hypervisors.md says). Runs with paging on, interrupts off.
   */
  setup?: (g: GuestAsm, layout: Layout) => void;
  /**
   * The guest-visible interrupt flag: emits code that leaves EAX = 0x200 when the guest's (virtual)
   * interrupts are enabled, else 0, preserving every other register. Absent: EFLAGS.IF.
   */
  interruptFlag?: (g: GuestAsm) => void;
  /**
   * An interrupt is now pending at the PIC while the guest has interrupts off: post it as an event, as the
   * hypervisor would (e.g. set the shared area's pending word). Preserves every register.
   */
  postEvent?: (g: GuestAsm) => void;
}

export interface TrapLabels {
  gates: Gate[];
  /** Handler for the WriteIDTEntry test's gate (counts hits in var `int90_hits`). */
  written: Label;
}

/** Emits all handlers; returns the gates the boot code installs. */
export function emitTraps(g: GuestAsm, model: HypervisorModel | undefined): TrapLabels {
  const a = g.a;
  const gates: Gate[] = [];
  const common = a.newLabel("exc_common");
  const dispatch = a.newLabel("exc_dispatch");
  const dbEntry = a.newLabel("exc_db");
  const udEntry = a.newLabel("exc_ud");

  for (let v = 0; v < 32; v++) {
    if (v === 1) {
      gates.push({ vector: v, handler: dbEntry, dpl: 0 });
      continue;
    }
    if (v === 6) {
      gates.push({ vector: v, handler: udEntry, dpl: 0 });
      continue;
    }
    const stub = a.newLabel(`exc_${v}`);
    a.label(stub);
    if (!HAS_ERROR_CODE.has(v)) a.push(0);
    a.push(v);
    a.jmp(common);
    gates.push({ vector: v, handler: stub, dpl: 0 });
  }

  // --- common path: an expected fault resumes the test, anything else is fatal.
  a.label(common);
  a.pusha();
  a.label(dispatch);
  const fatal = a.newLabel("exc_fatal");
  a.mov(eax, dword(esp, FRAME.vector));
  a.cmp(eax, g.v("expect_fault_vec"));
  a.jne(fatal);
  a.mov(g.v("fault_got_vec"), eax);
  a.mov(eax, dword(esp, FRAME.error));
  a.mov(g.v("fault_got_err"), eax);
  a.mov(eax, dword(esp, FRAME.eip));
  a.mov(g.v("fault_got_eip"), eax);
  a.mov(g.v("expect_fault_vec"), -1);
  a.mov(g.v("counting"), 0);
  a.mov(esp, g.v("fault_esp"));
  a.jmp(g.v("fault_resume"));

  a.label(fatal);
  g.printKeyHex("GUEST: FATAL vector=", dword(esp, FRAME.vector));
  g.printKeyHex(" err=", dword(esp, FRAME.error));
  g.printKeyHex(" eip=", dword(esp, FRAME.eip));
  g.printKeyHex(" cs=", dword(esp, FRAME.cs));
  g.printKeyHex(" eflags=", dword(esp, FRAME.eflags));
  a.mov(eax, cr2);
  g.printKeyHex(" cr2=", eax);
  // Is the faulting EIP inside the ROM (through the alias it was called by)?
  a.mov(eax, dword(esp, FRAME.eip));
  a.sub(eax, g.v("rom_lo"));
  a.cmp(eax, g.v("rom_size"));
  const notRom = a.newLabel();
  a.jae(notRom);
  g.printKeyHex(" rom_offset=", eax);
  a.label(notRom);
  g.print(" test=");
  g.printStrAt(g.v("cur_test"));
  g.print(" call=");
  g.printStrAt(g.v("cur_call"));
  g.print(" path=");
  g.printStrAt(g.v("cur_path"));
  g.print("\nGUEST: REGS");
  for (const r of ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"] as const) g.printKeyHex(` ${r}=`, dword(esp, FRAME[r]));
  g.print("\n");
  a.push(EXIT.fatal);
  a.call(g.rt.exit);

  // --- #DB: while counting, one trap per instruction; count those whose address lies in the ROM.
  // The trap frame's EIP is the next instruction, so the one just executed is the previous trap's EIP.
  a.label(dbEntry);
  const dbFatal = a.newLabel();
  a.cmp(g.v("counting"), 0);
  a.je(dbFatal);
  a.push(eax);
  const counted = a.newLabel(),
    shadow = a.newLabel();
  a.mov(eax, g.v("prev_eip"));
  a.sub(eax, g.v("rom_lo"));
  a.cmp(eax, g.v("rom_size"));
  a.jae(counted);
  a.inc(g.v("count"));
  // sti, mov ss and pop ss hold off the trap after the next instruction (the interrupt shadow), and
  // qemu's software CPU skips the trap after pause (it leaves the translated block without it): the
  // instruction that followed ran unseen, so it counts here too.
  a.mov(eax, g.v("prev_eip"));
  a.cmp(byte(eax, 0), 0xfb);
  a.je(shadow);
  a.cmp(word(eax, 0), 0x90f3);
  a.je(shadow);
  a.cmp(byte(eax, 0), 0x17);
  a.je(shadow);
  a.cmp(byte(eax, 0), 0x8e);
  a.jne(counted);
  a.movzx(eax, byte(eax, 1));
  a.and(eax, 0x38);
  a.cmp(eax, 0x10);
  a.jne(counted);
  a.label(shadow);
  a.inc(g.v("count"));
  a.label(counted);
  a.mov(eax, dword(esp, 4));
  a.mov(g.v("prev_eip"), eax);
  a.pop(eax);
  a.iret();
  a.label(dbFatal);
  a.push(0);
  a.push(1);
  a.jmp(common);

  // --- #UD: a vmcall/vmmcall the model catches is a hypercall; anything else is a fault.
  a.label(udEntry);
  a.push(0);
  a.push(6);
  a.pusha();
  const notHc = a.newLabel();
  a.mov(esi, dword(esp, FRAME.eip));
  a.cmp(word(esi, 0), 0x010f);
  a.jne(notHc);
  for (const [via, byte3] of [
    ["vmcall", 0xc1],
    ["vmmcall", 0xd9],
  ] as const) {
    const next = a.newLabel();
    a.cmp(byte(esi, 2), byte3);
    a.jne(next);
    a.test(g.v("hc_transports"), 1 << TRANSPORTS[via]);
    a.je(notHc);
    a.mov(eax, TRANSPORTS[via]);
    a.jmp(emitHypercallTail(g, model, 3));
    a.label(next);
  }
  a.label(notHc);
  a.jmp(dispatch);

  // --- int $0x82
  const hc82 = a.newLabel("hc_int82");
  a.label(hc82);
  a.push(0);
  a.push(VEC.hypercall);
  a.pusha();
  a.test(g.v("hc_transports"), 1 << TRANSPORTS.int82);
  a.je(dispatch);
  a.mov(eax, TRANSPORTS.int82);
  a.jmp(emitHypercallTail(g, model, 2));
  gates.push({ vector: VEC.hypercall, handler: hc82, dpl: 3 });

  // --- IRQs: the timer counts ticks (the Halt and interrupt-delivery tests wait for one).
  const timer = a.newLabel("irq_timer");
  a.label(timer);
  a.push(eax);
  a.inc(g.v("ticks"));
  a.mov(al, 0x20);
  a.out(0x20, al);
  a.pop(eax);
  a.iret();
  gates.push({ vector: VEC.irqBase, handler: timer, dpl: 0 });
  const otherIrq = a.newLabel("irq_other");
  a.label(otherIrq);
  a.push(eax);
  a.inc(g.v("irq_other"));
  a.mov(al, 0x20);
  a.out(0xa0, al);
  a.out(0x20, al);
  a.pop(eax);
  a.iret();
  for (let i = 1; i < 16; i++) gates.push({ vector: VEC.irqBase + i, handler: otherIrq, dpl: 0 });

  // --- ring 3 → kernel: record what ring 3 ran with, drop the frame, resume the kernel continuation.
  const toKernel = a.newLabel("to_kernel");
  a.label(toKernel);
  a.mov(eax, dword(esp, 0));
  a.mov(g.v("user_eip"), eax);
  a.mov(eax, dword(esp, 4));
  a.mov(g.v("user_cs"), eax);
  a.mov(eax, dword(esp, 8));
  a.mov(g.v("user_eflags"), eax);
  a.mov(esp, g.v("kernel_esp"));
  a.jmp(g.v("kernel_resume"));
  gates.push({ vector: VEC.toKernel, handler: toKernel, dpl: 3 });

  const written = a.newLabel("int90_handler");
  a.label(written);
  a.inc(g.v("int90_hits"));
  a.iret();

  return { gates, written };
}

/** EAX = address of an executed instruction: count it if it lies in the ROM (clobbers EAX). */
function countIfInRom(g: GuestAsm): void {
  const a = g.a;
  const skip = a.newLabel();
  a.sub(eax, g.v("rom_lo"));
  a.cmp(eax, g.v("rom_size"));
  a.jae(skip);
  a.inc(g.v("count"));
  a.label(skip);
}

/**
 * The shared end of both transports (EAX = transport, the pushad frame at ESP): record, let the model
 * act, step over the `length`-byte instruction (vmcall) or not (int: EIP is already past it), return.
 */
function emitHypercallTail(g: GuestAsm, model: HypervisorModel | undefined, length: number): Label {
  const a = g.a;
  const tail = a.newLabel();
  a.label(tail);
  a.mov(ebp, esp);
  a.mov(edi, g.v("hc_seq"));
  const full = a.newLabel(),
    stored = a.newLabel();
  a.cmp(edi, HC_LOG_MAX);
  a.jae(full);
  a.imul(edi, edi, HC_ENTRY_SIZE);
  a.add(edi, MEM.hcLog);
  for (const r of ["eax", "ebx", "ecx", "edx", "esi", "edi"] as const) {
    a.mov(esi, dword(ebp, FRAME[r]));
    a.mov(dword(edi, HC_RECORD[r]), esi);
  }
  a.mov(esi, dword(ebp, FRAME.eip));
  if (length === 2) a.sub(esi, 2);
  a.mov(dword(edi, HC_RECORD.eip), esi);
  a.jmp(stored);
  a.label(full);
  a.mov(edi, g.buffer(HC_ENTRY_SIZE));
  a.label(stored);
  a.mov(dword(edi, HC_RECORD.via), eax);
  a.mov(esi, g.v("hc_seq"));
  a.mov(dword(edi, HC_RECORD.seq), esi);
  g.printKeyDec("GUEST: HC seq=", g.v("hc_seq"));
  g.printKeyDec(" via=", dword(edi, HC_RECORD.via));
  for (const r of ["eax", "ebx", "ecx", "edx", "esi", "edi"] as const) g.printKeyHex(` ${r}=`, dword(ebp, FRAME[r]));
  g.printKeyHex(" eip=", dword(edi, HC_RECORD.eip));
  g.print("\n");
  if (model?.emit) {
    // The guest's own hook self-test runs before the model is switched on.
    const off = a.newLabel();
    a.cmp(g.v("hc_model_on"), 0);
    a.je(off);
    model.emit(g);
    a.label(off);
  }
  a.mov(esi, dword(ebp, FRAME.eax));
  a.mov(dword(edi, HC_RECORD.result), esi);
  a.inc(g.v("hc_seq"));
  // While counting, the trapping instruction executed (no single-step trap reports it): count it here
  // and make the instruction we return to the next one the #DB handler attributes.
  const notCounting = a.newLabel();
  a.cmp(g.v("counting"), 0);
  a.je(notCounting);
  a.mov(eax, dword(edi, HC_RECORD.eip));
  countIfInRom(g);
  a.label(notCounting);
  if (length === 3) a.add(dword(ebp, FRAME.eip), 3);
  a.mov(eax, dword(ebp, FRAME.eip));
  a.mov(g.v("prev_eip"), eax);
  a.popa();
  a.add(esp, 8);
  a.iret();
  return tail;
}
