// Tests that check a call by its effect on the machine: what a bare i386 does when the guest runs the
// native instruction. They fit every backend whose calls must leave the machine in the native state
// (the native ROM does it directly; a paravirtual ROM through the hypervisor the guest plays), so a
// backend's expectation file composes them with its own checks.
//
// Each test names the calls it exercises; values are test vectors chosen to be distinct from what the
// machine holds already, and every effect is read back with the bare instruction as the oracle.

import {
  al,
  ax,
  byte,
  cr0,
  cr2,
  cr3,
  cr4,
  dr0,
  dr1,
  dr2,
  dr3,
  dr7,
  dword,
  dx,
  eax,
  ebp,
  ebx,
  ecx,
  edi,
  edx,
  esi,
  esp,
  far,
  fs,
  mem,
  plus,
  word,
  type Assembler,
  type DbgReg,
  type Label,
} from "../../../src/asm/index.ts";
import type { TestCtx } from "../context.ts";
import { APIC_BASE, GDT_ENTRIES, IDT_ENTRIES, MARK, MEM, PTE_PWU, SEL, TEST_VA, TSS_SIZE, VEC } from "../memory.ts";
import type { CallTest } from "./types.ts";

const EFLAGS_IF = 0x200;
const EFLAGS_IOPL = 0x3000;
const ARITH_FLAGS = 0x8d5; // CF PF AF ZF SF OF
const CR0_WP = 0x10000;
const CR0_TS = 0x8;
const CR4_TSD = 0x4;
const MSR_SYSENTER_CS = 0x174;
const MSR_SYSENTER_EIP = 0x176;
const CMOS_INDEX = 0x70;
const CMOS_DATA = 0x71;
/** A CMOS byte no firmware field uses (qemu keeps 128 bytes of CMOS RAM). */
const CMOS_SCRATCH = 0x50;
const PCI_ADDR = 0xcf8;
const PCI_DATA = 0xcfc;
/** PCI config address of 00:00.0 register 0 (host bridge vendor/device). */
const PCI_HOST_ID = 0x80000000;
/** 00:01.0 (PIIX3 ISA bridge) register 0x3C: interrupt line, a byte software may write. */
const PCI_ISA_INTLINE = 0x80000800 | 0x3c;
const DEBUG_PORT = 0x402;
/** Flat ring-0 data descriptor (low, high dwords). */
const FLAT_DATA = [0x0000ffff, 0x00cf9200] as const;

const PAGE = 0x1000;
const pte = (page: number): number => page | PTE_PWU;
const testEntry = (i: number): number => MEM.testTable + 4 * i;
const testVa = (i: number): number => TEST_VA + PAGE * i;

/** A test of one call that must simply return (no effect the guest can observe). */
export function returnsTest(call: string, native?: (a: Assembler) => void, setup?: (t: TestCtx) => void): CallTest {
  return {
    name: `returns-${call}`,
    calls: [call],
    emit(t) {
      setup?.(t);
      t.call(call, native ? { native } : {});
    },
  };
}

/** Bare `rdmsr` of `msr` into EDX:EAX. */
function bareRdmsr(a: Assembler, msr: number): void {
  a.mov(ecx, msr);
  a.rdmsr();
}

/** Unsigned 64-bit earlier < later, values in dword variables. */
function expectU64Less(t: TestCtx, earlier: string, later: string, what: string): void {
  const a = t.a;
  a.mov(eax, t.v(`${later}_lo`));
  a.mov(edx, t.v(`${later}_hi`));
  a.sub(eax, t.v(`${earlier}_lo`));
  a.sbb(edx, t.v(`${earlier}_hi`));
  t.expectCond((ok) => {
    const fail = a.newLabel();
    a.jc(fail);
    a.or(eax, edx);
    a.jne(ok);
    a.label(fail);
  }, what, t.v(`${later}_lo`), t.v(`${earlier}_lo`));
}

function save64(t: TestCtx, name: string): void {
  t.a.mov(t.v(`${name}_lo`), eax);
  t.a.mov(t.v(`${name}_hi`), edx);
}

/** Copies `bytes` bytes from `from` to `to` (clobbers ESI, EDI, ECX). */
function copy(t: TestCtx, from: Label | number, to: Label | number, bytes: number): void {
  const a = t.a;
  a.mov(esi, from);
  a.mov(edi, to);
  a.mov(ecx, bytes);
  a.cld();
  a.rep().movsb();
}

/**
 * Makes exactly one timer interrupt pending at the PIC (interrupts off) and sets var `ticks` to 0.
 * The PIC latches edges even while IRQ 0 is masked, so a tick of the BIOS's periodic timer may already be
 * waiting: PIT channel 0 is first switched to one-shot mode (stopping the periodic ticks) and anything
 * pending is let in; then a fresh one-shot count is started and awaited in the PIC's IRR.
 */
function makeTimerIrqPending(t: TestCtx): void {
  const a = t.a;
  const oneShot = (count: number) => {
    a.mov(al, 0x30); // channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count)
    a.out(0x43, al);
    a.mov(al, count & 0xff);
    a.out(0x40, al);
    a.mov(al, count >> 8);
    a.out(0x40, al);
  };
  a.cli();
  oneShot(0xffff);
  a.mov(al, 0xfe);
  a.out(0x21, al);
  a.sti();
  a.nop();
  a.nop();
  a.cli();
  a.mov(t.v("ticks"), 0);
  oneShot(0x0400); // about 0.9 ms
  const wait = a.newLabel(), pending = a.newLabel();
  a.mov(ecx, 10_000_000);
  a.label(wait);
  a.mov(al, 0x0a); // OCW3: read IRR
  a.out(0x20, al);
  a.in(al, 0x20);
  a.test(al, 1);
  a.jne(pending);
  a.loop(wait);
  t.fail("the timer interrupt never became pending");
  a.label(pending);
}

function maskIrqs(t: TestCtx): void {
  t.a.cli();
  t.a.mov(al, 0xff);
  t.a.out(0x21, al);
}

export function cpuTests(): CallTest[] {
  return [
    {
      name: "cpuid",
      calls: ["CPUID"],
      emit(t) {
        const a = t.a;
        for (const leaf of [0, 1]) {
          a.mov(eax, leaf);
          a.xor(ecx, ecx);
          a.cpuid();
          for (const r of [eax, ebx, ecx, edx]) a.mov(t.v(`bare_${r.name}`), r);
          a.mov(eax, leaf);
          a.xor(ecx, ecx);
          t.call("CPUID", { path: `leaf${leaf}`, native: (x) => x.cpuid(), preserves: [esi, edi, ebp] });
          for (const r of [eax, ebx, ecx, edx]) t.expectEq(r, t.v(`bare_${r.name}`), `leaf ${leaf}: ${r.name} as the bare cpuid`);
        }
      },
    },
    {
      name: "msr",
      calls: ["WRMSR", "RDMSR"],
      emit(t) {
        const a = t.a;
        for (const [msr, value, path] of [[MSR_SYSENTER_CS, SEL.code0, "sysenter_cs"], [MSR_SYSENTER_EIP, 0xcafe1234, "sysenter_eip"]] as const) {
          a.mov(ecx, msr);
          a.mov(eax, value);
          a.xor(edx, edx);
          t.call("WRMSR", { path, native: (x) => x.wrmsr() });
          bareRdmsr(a, msr);
          t.expectEq(eax, value, `msr 0x${msr.toString(16)} after WRMSR (bare rdmsr), low`);
          t.expectEq(edx, 0, `msr 0x${msr.toString(16)} after WRMSR (bare rdmsr), high`);
          a.mov(ecx, msr);
          a.mov(eax, 0x5a5a5a5a);
          a.mov(edx, 0x5a5a5a5a);
          t.call("RDMSR", { path, native: (x) => x.rdmsr() });
          t.expectEq(eax, value, `RDMSR 0x${msr.toString(16)} low`);
          t.expectEq(edx, 0, `RDMSR 0x${msr.toString(16)} high`);
        }
      },
    },
    {
      name: "rdtsc",
      calls: ["RDTSC"],
      emit(t) {
        const a = t.a;
        t.call("RDTSC", { path: "first", native: (x) => x.rdtsc() });
        save64(t, "tsc1");
        a.rdtsc();
        save64(t, "tsc2");
        t.call("RDTSC", { path: "second", native: (x) => x.rdtsc() });
        save64(t, "tsc3");
        expectU64Less(t, "tsc1", "tsc2", "RDTSC before the bare rdtsc");
        expectU64Less(t, "tsc2", "tsc3", "bare rdtsc before RDTSC");
      },
    },
    {
      name: "rdpmc",
      calls: ["RDPMC"],
      emit(t) {
        // qemu's software CPU does not implement performance counters: the bare instruction raises #UD,
        // so the call must do the same (the native ROM runs the instruction).
        const a = t.a;
        a.xor(ecx, ecx);
        t.expectFault(6, () => a.rdpmc(), "bare rdpmc raises #UD under qemu (the oracle)");
        a.xor(ecx, ecx);
        t.expectFault(6, () => t.call("RDPMC", { count: false, native: (x) => x.rdpmc() }), "RDPMC behaves as the bare rdpmc (#UD)");
      },
    },
    {
      name: "clts",
      calls: ["CLTS"],
      emit(t) {
        const a = t.a;
        a.mov(eax, cr0);
        a.or(eax, CR0_TS);
        a.mov(cr0, eax);
        t.call("CLTS", { native: (x) => x.clts() });
        a.mov(eax, cr0);
        t.expectMasked(eax, CR0_TS, 0, "CR0.TS after CLTS");
      },
    },
  ];
}

export function controlRegisterTests(): CallTest[] {
  const roundTrip = (n: 0 | 4, toggle: number): CallTest => {
    const reg = n === 0 ? cr0 : cr4;
    return {
      name: `cr${n}`,
      calls: [`SetCR${n}`, `GetCR${n}`],
      emit(t) {
        const a = t.a;
        a.mov(eax, reg);
        a.mov(t.v(`cr${n}_orig`), eax);
        a.xor(eax, toggle);
        a.mov(t.v(`cr${n}_want`), eax);
        t.call(`SetCR${n}`, { path: "toggled", native: (x) => x.mov(reg, eax) });
        a.mov(eax, reg);
        t.expectEq(eax, t.v(`cr${n}_want`), `CR${n} after SetCR${n} (bare read)`);
        t.call(`GetCR${n}`, { path: "toggled", native: (x) => x.mov(eax, reg) });
        t.expectEq(eax, t.v(`cr${n}_want`), `GetCR${n}`);
        a.mov(eax, t.v(`cr${n}_orig`));
        t.call(`SetCR${n}`, { path: "restore", native: (x) => x.mov(reg, eax) });
        a.mov(eax, reg);
        t.expectEq(eax, t.v(`cr${n}_orig`), `CR${n} restored by SetCR${n}`);
      },
      cleanup(t) {
        t.a.mov(eax, t.v(`cr${n}_orig`));
        t.a.mov(reg, eax);
      },
    };
  };
  return [
    roundTrip(0, CR0_WP),
    roundTrip(4, CR4_TSD),
    {
      name: "cr2",
      calls: ["SetCR2", "GetCR2"],
      emit(t) {
        const a = t.a;
        a.mov(eax, 0xdeadb000);
        t.call("SetCR2", { native: (x) => x.mov(cr2, eax) });
        a.mov(eax, cr2);
        t.expectEq(eax, 0xdeadb000, "CR2 after SetCR2 (bare read)");
        a.xor(eax, eax);
        t.call("GetCR2", { native: (x) => x.mov(eax, cr2) });
        t.expectEq(eax, 0xdeadb000, "GetCR2");
      },
    },
    {
      // A copy of the page directory that maps the test window onto page C: loading it must switch
      // address spaces (and flush the old translation), restoring the original must switch back.
      name: "cr3",
      calls: ["SetCR3", "GetCR3"],
      emit(t) {
        const a = t.a;
        copy(t, MEM.pageDir, MEM.pageDirCopy, PAGE);
        a.mov(dword(MEM.pageDirCopy + (TEST_VA >>> 22) * 4), pte(MEM.testTableCopy));
        a.mov(dword(MEM.testTableCopy), pte(MEM.pageC));
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.A, "the test window shows page A before");
        a.mov(eax, MEM.pageDirCopy);
        t.call("SetCR3", { path: "copy", native: (x) => x.mov(cr3, eax) });
        a.mov(eax, cr3);
        t.expectEq(eax, MEM.pageDirCopy, "CR3 after SetCR3 (bare read)");
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.C, "the test window through the new page directory");
        a.xor(eax, eax);
        t.call("GetCR3", { native: (x) => x.mov(eax, cr3) });
        t.expectEq(eax, MEM.pageDirCopy, "GetCR3");
        a.mov(eax, MEM.pageDir);
        t.call("SetCR3", { path: "restore", native: (x) => x.mov(cr3, eax) });
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.A, "the test window after restoring CR3");
      },
      cleanup(t) {
        t.a.mov(eax, MEM.pageDir);
        t.a.mov(cr3, eax);
      },
    },
    {
      name: "debug-registers",
      calls: ["SetDR", "GetDR"],
      emit(t) {
        const a = t.a;
        const regs: Array<[number, DbgReg, number]> = [[0, dr0, 0x11110000], [1, dr1, 0x22220004], [2, dr2, 0x33330008], [3, dr3, 0x4444000c], [7, dr7, 0x400]];
        for (const [n, r, value] of regs) {
          a.mov(eax, n);
          a.mov(edx, value);
          t.call("SetDR", { path: `dr${n}`, native: (x) => x.mov(r, edx) });
          a.mov(eax, r);
          t.expectEq(eax, value, `DR${n} after SetDR (bare read)`);
          a.mov(eax, n);
          t.call("GetDR", { path: `dr${n}`, native: (x) => x.mov(eax, r) });
          t.expectEq(eax, value, `GetDR(${n})`);
        }
      },
      cleanup(t) {
        t.a.xor(eax, eax);
        for (const r of [dr0, dr1, dr2, dr3]) t.a.mov(r, eax);
        t.a.mov(eax, 0x400);
        t.a.mov(dr7, eax);
      },
    },
  ];
}

export function descriptorTests(): CallTest[] {
  const tableTest = (kind: "GDT" | "IDT"): CallTest => ({
    name: kind.toLowerCase(),
    calls: [`Set${kind}`, `Get${kind}`],
    emit(t) {
      const a = t.a;
      const { gdt, idt } = t.labels;
      const size = kind === "GDT" ? GDT_ENTRIES * 8 : IDT_ENTRIES * 8;
      const table = kind === "GDT" ? gdt : idt;
      const copyTable = t.scratch(size, 8);
      const dtr = t.scratch(8, 8);
      const seen = t.scratch(8, 8);
      const store = (m: ReturnType<typeof mem>) => (kind === "GDT" ? a.sgdt(m) : a.sidt(m));
      copy(t, table, copyTable, size);
      a.mov(word(dtr), size - 1);
      a.mov(dword(plus(dtr, 2)), copyTable);
      a.mov(eax, dtr);
      t.call(`Set${kind}`, { path: "copy", native: (x) => (kind === "GDT" ? x.lgdt(mem(eax)) : x.lidt(mem(eax))) });
      store(mem(seen));
      t.expectEq(dword(plus(seen, 2)), copyTable, `${kind}R base after Set${kind} (bare s${kind.toLowerCase()})`);
      a.movzx(eax, word(seen));
      t.expectEq(eax, size - 1, `${kind}R limit after Set${kind}`);
      if (kind === "GDT") {
        // Reload every segment register from the copy.
        const reloaded = a.newLabel();
        a.jmp(far(SEL.code0, reloaded));
        a.label(reloaded);
        a.mov(ax, SEL.data3);
        a.mov(fs, ax);
      } else {
        // An exception must now go through the copy.
        t.expectFault(6, () => a.ud2(), "an exception through the IDT copy");
      }
      a.mov(dword(seen), 0);
      a.mov(dword(plus(seen, 4)), 0);
      a.mov(eax, seen);
      t.call(`Get${kind}`, { native: (x) => (kind === "GDT" ? x.sgdt(mem(eax)) : x.sidt(mem(eax))) });
      t.expectEq(dword(plus(seen, 2)), copyTable, `Get${kind} base`);
      a.movzx(eax, word(seen));
      t.expectEq(eax, size - 1, `Get${kind} limit`);
      a.mov(eax, kind === "GDT" ? t.labels.gdtPtr : t.labels.idtPtr);
      t.call(`Set${kind}`, { path: "restore", native: (x) => (kind === "GDT" ? x.lgdt(mem(eax)) : x.lidt(mem(eax))) });
      store(mem(seen));
      t.expectEq(dword(plus(seen, 2)), table, `${kind}R base restored by Set${kind}`);
    },
    cleanup(t) {
      if (kind === "GDT") t.a.lgdt(mem(t.labels.gdtPtr));
      else t.a.lidt(mem(t.labels.idtPtr));
    },
  });

  const writeEntry = (kind: "GDT" | "LDT" | "IDT"): CallTest => ({
    name: `write-${kind.toLowerCase()}-entry`,
    calls: [`Write${kind}Entry`],
    emit(t) {
      const a = t.a;
      const table = kind === "GDT" ? t.labels.gdt : kind === "LDT" ? t.labels.ldt : t.labels.idt;
      const index = kind === "GDT" ? SEL.spare >> 3 : kind === "LDT" ? 1 : VEC.written;
      if (kind === "IDT") {
        // An interrupt gate to the guest's counting handler.
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff);
        a.or(eax, SEL.code0 << 16);
        a.mov(t.v("desc_lo"), eax);
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff0000);
        a.or(eax, 0x8e00);
        a.mov(t.v("desc_hi"), eax);
      } else {
        a.mov(t.v("desc_lo"), FLAT_DATA[0]);
        a.mov(t.v("desc_hi"), FLAT_DATA[1]);
      }
      a.mov(eax, table);
      a.mov(edx, index);
      a.mov(ecx, t.v("desc_lo"));
      t.call(`Write${kind}Entry`, { stack: [t.v("desc_hi")] });
      a.mov(eax, t.v("desc_lo"));
      t.expectEq(dword(plus(table, index * 8)), eax, `${kind}[${index}] low dword`);
      a.mov(eax, t.v("desc_hi"));
      t.expectEq(dword(plus(table, index * 8 + 4)), eax, `${kind}[${index}] high dword`);
      // The entry must work.
      if (kind === "IDT") {
        a.mov(t.v("int90_hits"), 0);
        a.int(VEC.written);
        t.expectEq(t.v("int90_hits"), 1, "int 0x90 through the written gate");
      } else if (kind === "GDT") {
        a.mov(ax, SEL.spare);
        a.mov(fs, ax);
      } else {
        a.mov(ax, SEL.ldt);
        a.lldt(ax);
        a.mov(ax, (1 << 3) | 4);
        a.mov(fs, ax);
      }
    },
    cleanup(t) {
      const a = t.a;
      a.mov(ax, SEL.data3);
      a.mov(fs, ax);
      if (kind === "IDT") {
        a.mov(dword(plus(t.labels.idt, VEC.written * 8)), 0);
        a.mov(dword(plus(t.labels.idt, VEC.written * 8 + 4)), 0);
      }
      if (kind === "LDT") {
        a.xor(eax, eax);
        a.lldt(ax);
      }
    },
  });

  return [
    tableTest("GDT"),
    tableTest("IDT"),
    writeEntry("GDT"),
    writeEntry("LDT"),
    writeEntry("IDT"),
    {
      name: "ldt",
      calls: ["SetLDT", "GetLDT"],
      emit(t) {
        const a = t.a;
        a.mov(dword(plus(t.labels.ldt, 8)), FLAT_DATA[0]);
        a.mov(dword(plus(t.labels.ldt, 12)), FLAT_DATA[1]);
        a.mov(eax, SEL.ldt);
        t.call("SetLDT", { path: "load", native: (x) => x.lldt(ax) });
        a.xor(eax, eax);
        a.sldt(ax);
        t.expectEq(eax, SEL.ldt, "LDTR after SetLDT (bare sldt)");
        a.mov(ax, (1 << 3) | 4);
        a.mov(fs, ax);
        a.mov(eax, 0xffffffff);
        t.call("GetLDT", { path: "loaded", native: (x) => { x.xor(eax, eax); x.sldt(ax); } });
        t.expectEq(eax, SEL.ldt, "GetLDT");
        a.mov(ax, SEL.data3);
        a.mov(fs, ax);
        a.xor(eax, eax);
        t.call("SetLDT", { path: "null", native: (x) => x.lldt(ax) });
        a.mov(eax, 0xffffffff);
        a.sldt(ax);
        a.movzx(eax, ax);
        t.expectEq(eax, 0, "LDTR after SetLDT(0)");
      },
      cleanup(t) {
        t.a.mov(ax, SEL.data3);
        t.a.mov(fs, ax);
        t.a.xor(eax, eax);
        t.a.lldt(ax);
      },
    },
    {
      name: "task-register",
      calls: ["SetTR", "GetTR"],
      emit(t) {
        const a = t.a;
        a.mov(eax, SEL.tss1);
        t.call("SetTR", { native: (x) => x.ltr(ax) });
        a.xor(eax, eax);
        a.str(ax);
        t.expectEq(eax, SEL.tss1, "TR after SetTR (bare str)");
        a.movzx(eax, byte(plus(t.labels.gdt, SEL.tss1 + 5)));
        t.expectEq(eax, 0x8b, "the TSS descriptor is marked busy");
        a.mov(eax, 0xffffffff);
        t.call("GetTR", { native: (x) => { x.xor(eax, eax); x.str(ax); } });
        t.expectEq(eax, SEL.tss1, "GetTR");
      },
      cleanup(t) {
        // Back to TSS 0: clear both busy bits, load it.
        const a = t.a;
        a.and(byte(plus(t.labels.gdt, SEL.tss0 + 5)), 0xfd);
        a.and(byte(plus(t.labels.gdt, SEL.tss1 + 5)), 0xfd);
        a.mov(ax, SEL.tss0);
        a.ltr(ax);
      },
    },
  ];
}

/** UpdateKernelStack as api13 and the spec define it: EAX = &TSS, EDX = esp0 → TSS.esp0. */
export function kernelStackToTss(): CallTest {
  return {
    name: "update-kernel-stack",
    calls: ["UpdateKernelStack"],
    emit(t) {
      const tss = t.scratch(TSS_SIZE, 16);
      t.a.mov(eax, tss);
      t.a.mov(edx, 0x00abcde0);
      t.call("UpdateKernelStack");
      t.expectEq(dword(plus(tss, 4)), 0x00abcde0, "TSS.esp0 after UpdateKernelStack");
    },
  };
}

export function interruptTests(): CallTest[] {
  return [
    {
      name: "interrupt-flag",
      calls: ["EnableInterrupts", "DisableInterrupts", "GetInterruptMask", "SetInterruptMask"],
      emit(t) {
        const a = t.a;
        const saveFl = (x: Assembler) => { x.pushf(); x.pop(eax); };
        a.cli();
        t.call("EnableInterrupts", { native: (x) => x.sti() });
        t.expectMasked(t.flags(), EFLAGS_IF, EFLAGS_IF, "IF after EnableInterrupts");
        t.call("GetInterruptMask", { path: "if=1", native: saveFl });
        t.expectMasked(eax, EFLAGS_IF, EFLAGS_IF, "GetInterruptMask with IF=1");
        t.call("DisableInterrupts", { native: (x) => x.cli() });
        t.expectMasked(t.flags(), EFLAGS_IF, 0, "IF after DisableInterrupts");
        t.call("GetInterruptMask", { path: "if=0", native: saveFl });
        t.expectMasked(eax, EFLAGS_IF, 0, "GetInterruptMask with IF=0");
        a.mov(eax, EFLAGS_IF);
        t.call("SetInterruptMask", { path: "mask=0x200", native: (x) => { x.push(eax); x.popf(); } });
        t.expectMasked(t.flags(), EFLAGS_IF, EFLAGS_IF, "IF after SetInterruptMask(0x200)");
        a.xor(eax, eax);
        t.call("SetInterruptMask", { path: "mask=0", native: (x) => { x.push(eax); x.popf(); } });
        t.expectMasked(t.flags(), EFLAGS_IF, 0, "IF after SetInterruptMask(0)");
      },
      cleanup(t) {
        t.a.cli();
      },
    },
    {
      // With the timer interrupt pending, EnableInterrupts must let it in, and Halt must return after it.
      name: "interrupt-delivery",
      calls: ["EnableInterrupts", "Halt"],
      emit(t) {
        const a = t.a;
        makeTimerIrqPending(t);
        t.call("EnableInterrupts", { path: "irq-pending", native: (x) => x.sti() });
        a.nop();
        a.cli();
        t.expectEq(t.v("ticks"), 1, "the pending timer interrupt arrived after EnableInterrupts");
        makeTimerIrqPending(t);
        t.call("Halt", { native: (x) => { x.sti(); x.hlt(); } });
        a.cli();
        t.expectEq(t.v("ticks"), 1, "Halt returned after the timer interrupt");
        maskIrqs(t);
      },
      cleanup: maskIrqs,
    },
    {
      name: "iopl",
      calls: ["SetIOPLMask"],
      emit(t) {
        const a = t.a;
        for (const level of [3, 0]) {
          a.mov(eax, level << 12);
          t.call("SetIOPLMask", { path: `iopl=${level}` });
          t.expectMasked(t.flags(), EFLAGS_IOPL, level << 12, `IOPL after SetIOPLMask(${level} << 12)`);
        }
      },
      cleanup(t) {
        t.a.pushf();
        t.a.and(dword(esp, 0), ~EFLAGS_IOPL >>> 0);
        t.a.popf();
      },
    },
  ];
}

/** IRET and SYSEXIT: reached the way the relocation says (the site is patched to jmp or call). */
export function returnTests(): CallTest[] {
  const frameFlags = 0x2 | 0x1 | 0x40 | 0x800; // reserved bit, CF, ZF, OF; IF and TF clear
  return [
    {
      name: "iret-same-ring",
      calls: ["IRET"],
      emit(t) {
        const a = t.a;
        const landing = a.newLabel();
        a.push(frameFlags);
        a.push(SEL.code0);
        a.push(landing);
        const l = t.callNoReturn("IRET", landing, { path: "same-ring", native: (x) => x.iret() });
        t.land(l);
        t.expectMasked(t.flags(), ARITH_FLAGS | EFLAGS_IF, frameFlags & (ARITH_FLAGS | EFLAGS_IF), "EFLAGS loaded from the iret frame");
        a.mov(eax, esp);
        t.expectEq(eax, MEM.stackTop, "the iret frame was popped");
      },
    },
    {
      name: "iret-to-ring3",
      calls: ["IRET"],
      emit(t) {
        const a = t.a;
        const user = a.newLabel(), back = a.newLabel();
        t.kernelResumeAt(back);
        a.push(SEL.data3);
        a.push(MEM.userStackTop);
        a.push(0x202);
        a.push(SEL.code3);
        a.push(user);
        t.callNoReturn("IRET", back, { path: "to-ring3", native: (x) => x.iret() });
        a.label(user);
        t.backToKernel();
        t.land({ label: back, call: "IRET", path: "to-ring3", count: true });
        t.expectEq(t.v("user_cs"), SEL.code3, "ring 3 ran with the frame's CS");
        t.expectMasked(t.v("user_eflags"), EFLAGS_IF, EFLAGS_IF, "ring 3 ran with the frame's IF");
        a.mov(eax, user);
        a.add(eax, 2);
        t.expectEq(t.v("user_eip"), eax, "ring 3 started at the frame's EIP");
      },
    },
    {
      name: "sysexit",
      calls: ["SYSEXIT"],
      emit(t) {
        const a = t.a;
        const user = a.newLabel(), back = a.newLabel();
        a.mov(ecx, MSR_SYSENTER_CS);
        a.mov(eax, SEL.code0);
        a.xor(edx, edx);
        a.wrmsr();
        t.kernelResumeAt(back);
        a.cli();
        a.mov(edx, user);
        a.mov(ecx, MEM.userStackTop);
        t.callNoReturn("SYSEXIT", back, { native: (x) => { x.sti(); x.sysexit(); } });
        a.label(user);
        a.mov(t.v("user_esp"), esp);
        t.backToKernel();
        t.land({ label: back, call: "SYSEXIT", path: "default", count: true });
        t.expectEq(t.v("user_cs"), SEL.code3, "ring 3 runs with SYSENTER_CS + 16");
        t.expectMasked(t.v("user_eflags"), EFLAGS_IF, EFLAGS_IF, "SYSEXIT enabled interrupts (sti; sysexit)");
        t.expectEq(t.v("user_esp"), MEM.userStackTop, "ring 3 runs on the stack from ECX");
        a.mov(eax, user);
        a.add(eax, 6 + 2);
        t.expectEq(t.v("user_eip"), eax, "ring 3 started at EDX");
      },
    },
  ];
}

export function pagingTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const tests: CallTest[] = [];
  for (const name of ["SetPxE", "SetPxE0"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(2)), 0);
        a.invlpg(mem(testVa(2)));
        a.mov(eax, pte(MEM.pageB));
        a.mov(edx, testEntry(2));
        a.mov(ecx, 1); // level: page table
        t.call(name, { native: (x) => x.mov(dword(edx, 0), eax) });
        t.expectEq(dword(testEntry(2)), pte(MEM.pageB), "the PTE after SetPxE");
        a.invlpg(mem(testVa(2)));
        a.mov(eax, dword(testVa(2)));
        t.expectEq(eax, MARK.B, "the new mapping is used");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(2)), 0);
        t.a.invlpg(mem(testVa(2)));
      },
    });
  }
  for (const name of ["SetPxELong", "SetPxELong0"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        const entry = t.scratch(8, 8);
        a.mov(eax, 0x89abc007);
        a.mov(edx, 0x00000001);
        a.mov(ecx, entry);
        t.call(name, { stack: [1] });
        t.expectEq(dword(entry), 0x89abc007, "low half of the 64-bit entry");
        t.expectEq(dword(plus(entry, 4)), 1, "high half of the 64-bit entry");
      },
    });
  }
  for (const name of ["UpdatePxE", "UpdatePxELong"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        a.mov(eax, testEntry(0));
        a.mov(edx, 1);
        t.call(name);
        // The CPU itself sets accessed/dirty (0x20/0x40) as the window is used: ignore those.
        t.expectMasked(dword(testEntry(0)), ~0x60, pte(MEM.pageA), `${name} leaves the entry as it is`);
      },
    });
  }
  tests.push(
    {
      // A plain store to a PTE does not reach a cached translation; InvalPage must drop it.
      name: "inval-page",
      calls: ["InvalPage"],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(1)), pte(MEM.pageA));
        a.invlpg(mem(testVa(1)));
        a.mov(eax, dword(testVa(1)));
        t.expectEq(eax, MARK.A, "page A through the test window");
        a.mov(dword(testEntry(1)), pte(MEM.pageB));
        a.mov(eax, dword(testVa(1)));
        reportStale(t, "inval-page");
        a.mov(eax, testVa(1));
        t.call("InvalPage", { native: (x) => x.invlpg(mem(eax)) });
        a.mov(eax, dword(testVa(1)));
        t.expectEq(eax, MARK.B, "page B after InvalPage");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(1)), pte(MEM.pageA));
        t.a.invlpg(mem(testVa(1)));
      },
    },
    {
      name: "flush-tlb",
      calls: ["FlushTLB"],
      emit(t) {
        const a = t.a;
        for (const [flags, page, mark, path] of [[1, MEM.pageC, MARK.C, "tlb"], [3, MEM.pageB, MARK.B, "global"]] as const) {
          a.mov(eax, dword(testVa(1)));
          a.mov(dword(testEntry(1)), pte(page));
          a.mov(eax, flags);
          t.call("FlushTLB", { path, native: (x) => { x.mov(eax, cr3); x.mov(cr3, eax); } });
          a.mov(eax, dword(testVa(1)));
          t.expectEq(eax, mark, `the new mapping after FlushTLB(${flags})`);
        }
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(1)), pte(MEM.pageA));
        t.a.invlpg(mem(testVa(1)));
      },
    },
  );
  return tests;
}

/** Prints whether the read just done (EAX) still saw page A through a remapped entry (informational). */
function reportStale(t: TestCtx, test: string): void {
  const a = t.a;
  const stale = a.newLabel(), done = a.newLabel();
  a.cmp(eax, MARK.A);
  a.je(stale);
  t.g.print(`GUEST: INFO test=${test} tlb_stale=no\n`);
  a.jmp(done);
  a.label(stale);
  t.g.print(`GUEST: INFO test=${test} tlb_stale=yes\n`);
  a.label(done);
}

/** The api13 entry operations, as the 13.0 prototypes define them. */
export function pteOperationTests(): CallTest[] {
  return [
    {
      name: "pte-get",
      calls: ["GetPxE"],
      emit(t) {
        t.a.mov(eax, testEntry(0));
        t.call("GetPxE");
        t.expectEq(eax, dword(testEntry(0)), "GetPxE returns the entry (bare read)");
      },
    },
    {
      name: "pte-swap",
      calls: ["SwapPxE"],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(3)), pte(MEM.pageA));
        a.invlpg(mem(testVa(3)));
        a.mov(eax, testEntry(3));
        a.mov(edx, pte(MEM.pageC));
        t.call("SwapPxE");
        t.expectEq(eax, pte(MEM.pageA), "SwapPxE returns the old entry");
        t.expectEq(dword(testEntry(3)), pte(MEM.pageC), "the entry after SwapPxE");
        a.invlpg(mem(testVa(3)));
        a.mov(eax, dword(testVa(3)));
        t.expectEq(eax, MARK.C, "the swapped-in mapping is used");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(3)), 0);
        t.a.invlpg(mem(testVa(3)));
      },
    },
    ...(["TestAndSetPxEBit", "TestAndClearPxEBit", "TestAndSetPxELongBit", "TestAndClearPxELongBit"] as const).map((name): CallTest => {
      const set = name.includes("Set");
      const bit = name.includes("Long") ? 40 : 5;
      return {
        name: `pte-${name}`,
        calls: [name],
        emit(t) {
          const a = t.a;
          const entry = t.scratch(8, 8);
          const word = bit >> 5, mask = 1 << (bit & 31);
          const before = set ? 0 : mask, after = set ? mask : 0;
          for (const [pass, old] of [[1, set ? 0 : 1], [2, set ? 1 : 0]] as const) {
            if (pass === 1) a.mov(dword(plus(entry, 4 * word)), before);
            a.mov(eax, entry);
            a.mov(edx, bit);
            t.call(name, { path: `pass${pass}` });
            t.expectEq(eax, old, `${name}(bit ${bit}) returns the old bit, pass ${pass}`);
            t.expectEq(dword(plus(entry, 4 * word)), after >>> 0, `the entry after ${name}, pass ${pass}`);
          }
        },
      };
    }),
    {
      name: "pte-long-get-swap-clear",
      calls: ["GetPxELong", "SwapPxELongAtomic", "DeactivatePxELongAtomic"],
      emit(t) {
        const a = t.a;
        const entry = t.scratch(8, 8);
        a.mov(dword(entry), 0x11112222);
        a.mov(dword(plus(entry, 4)), 0x33334444);
        a.mov(eax, entry);
        t.call("GetPxELong");
        t.expectEq(eax, 0x11112222, "GetPxELong low");
        t.expectEq(edx, 0x33334444, "GetPxELong high");
        a.mov(eax, 0x55556666);
        a.mov(edx, 0x77778888);
        a.mov(ecx, entry);
        t.call("SwapPxELongAtomic");
        t.expectEq(eax, 0x11112222, "SwapPxELongAtomic returns the old low half");
        t.expectEq(edx, 0x33334444, "SwapPxELongAtomic returns the old high half");
        t.expectEq(dword(entry), 0x55556666, "low half after SwapPxELongAtomic");
        t.expectEq(dword(plus(entry, 4)), 0x77778888, "high half after SwapPxELongAtomic");
        a.mov(eax, entry);
        t.call("DeactivatePxELongAtomic");
        t.expectEq(eax, 0x55556666, "DeactivatePxELongAtomic returns the old low half");
        t.expectEq(edx, 0x77778888, "DeactivatePxELongAtomic returns the old high half");
        t.expectEq(dword(entry), 0, "low half after DeactivatePxELongAtomic");
        t.expectEq(dword(plus(entry, 4)), 0, "high half after DeactivatePxELongAtomic");
      },
    },
  ];
}

export function ioTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const first = (...names: string[]) => names.find(has) ?? names[0]!;
  const inL = first("INL", "IN"), outL = first("OUTL", "OUT"), insL = first("INSL", "INS"), outsL = first("OUTSL", "OUTS");
  const cmosWrite = (a: Assembler, index: number, value: number) => {
    a.mov(al, index);
    a.out(CMOS_INDEX, al);
    a.mov(al, value);
    a.out(CMOS_DATA, al);
  };
  const pciAddress = (a: Assembler, address: number) => {
    a.mov(dx, PCI_ADDR);
    a.mov(eax, address >>> 0);
    a.out(dx, eax);
  };
  const marker = (call: string) => `GUEST-PORT: ${call} reached the debug port`;
  /** OUTSB to the debug port: the text must show up in the log. */
  const outBytes = (call: string): CallTest => {
    const text = marker(call) + "\n";
    const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return {
      name: `port-${call}`,
      calls: [call],
      logMarkers: [marker(call)],
      emit(t) {
        const a = t.a;
        const buf = t.scratch(data.length, 4, data);
        a.cld();
        a.mov(esi, buf);
        a.mov(edx, DEBUG_PORT);
        a.mov(ecx, text.length);
        t.call(call, { preserves: [ebx, edi, ebp] });
        t.expectEq(ecx, 0, `${call} consumed the count`);
        a.mov(eax, buf);
        a.add(eax, data.length);
        t.expectEq(esi, eax, `${call} advanced ESI`);
      },
    };
  };
  /**
   * OUTSW/OUTSL to a PCI register that reads back (the debug port takes byte writes only): four elements,
   * the last one must be what the register holds afterwards. Words go to 00:01.0's interrupt line
   * (its pin byte above is read-only), dwords to the config address register.
   */
  const outWide = (call: string, unit: 2 | 4): CallTest => {
    const values = unit === 2 ? [0x0001, 0x0002, 0x0003, 0x000b] : [0x80000004, 0x80000008, 0x8000000c, PCI_HOST_ID];
    const data = new Uint8Array(4 * unit);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => (unit === 2 ? view.setUint16(2 * i, v, true) : view.setUint32(4 * i, v >>> 0, true)));
    return {
      name: `port-${call}`,
      calls: [call],
      emit(t) {
        const a = t.a;
        const buf = t.scratch(data.length, 4, data);
        if (unit === 2) {
          pciAddress(a, PCI_ISA_INTLINE);
          a.mov(dx, PCI_DATA);
          a.in(ax, dx);
          a.mov(t.v("intline_orig"), eax);
        }
        a.cld();
        a.mov(esi, buf);
        a.mov(edx, unit === 2 ? PCI_DATA : PCI_ADDR);
        a.mov(ecx, values.length);
        t.call(call, { preserves: [ebx, edi, ebp] });
        t.expectEq(ecx, 0, `${call} consumed the count`);
        a.mov(eax, buf);
        a.add(eax, data.length);
        t.expectEq(esi, eax, `${call} advanced ESI`);
        if (unit === 2) {
          a.mov(dx, PCI_DATA);
          a.in(al, dx);
          a.movzx(eax, al);
          t.expectEq(eax, values[3]!, `the interrupt line holds ${call}'s last word (bare read)`);
        } else {
          a.mov(dx, PCI_ADDR);
          a.in(eax, dx);
          t.expectEq(eax, values[3]! >>> 0, `the config address holds ${call}'s last dword (bare read)`);
        }
      },
      ...(unit === 2
        ? {
            cleanup(t: TestCtx) {
              pciAddress(t.a, PCI_ISA_INTLINE);
              t.a.mov(eax, t.v("intline_orig"));
              t.a.mov(dx, PCI_DATA);
              t.a.out(dx, al);
            },
          }
        : {}),
    };
  };
  const inString = (call: string, unit: 1 | 2 | 4, setup: (a: Assembler) => void, want: (t: TestCtx) => void): CallTest => ({
    name: `port-${call}`,
    calls: [call],
    emit(t) {
      const a = t.a;
      const buf = t.scratch(4 * unit, 4);
      setup(a);
      a.cld();
      a.mov(edi, buf);
      a.mov(edx, unit === 1 ? CMOS_DATA : PCI_DATA);
      a.mov(ecx, 4);
      t.call(call, { preserves: [ebx, esi, ebp] });
      t.expectEq(ecx, 0, `${call} consumed the count`);
      a.mov(eax, buf);
      a.add(eax, 4 * unit);
      t.expectEq(edi, eax, `${call} advanced EDI`);
      a.mov(t.v("ins_buf"), buf);
      want(t);
    },
  });
  const eachElement = (t: TestCtx, unit: 1 | 2 | 4, want: number | "bare-dword", what: string) => {
    const a = t.a;
    a.mov(esi, t.v("ins_buf"));
    for (let i = 0; i < 4; i++) {
      if (unit === 1) a.movzx(eax, byte(esi, i));
      else if (unit === 2) a.movzx(eax, word(esi, 2 * i));
      else a.mov(eax, dword(esi, 4 * i));
      t.expectEq(eax, want === "bare-dword" ? t.v("bare_id") : want, `${what} [${i}]`);
    }
  };
  return [
    {
      name: "port-byte",
      calls: ["OUTB", "INB"],
      emit(t) {
        const a = t.a;
        a.mov(eax, CMOS_SCRATCH);
        a.mov(edx, CMOS_INDEX);
        t.call("OUTB", { path: "cmos-index", native: (x) => x.out(dx, al) });
        a.mov(eax, 0xa5);
        a.mov(edx, CMOS_DATA);
        t.call("OUTB", { path: "cmos-data", native: (x) => x.out(dx, al) });
        a.mov(al, CMOS_SCRATCH);
        a.out(CMOS_INDEX, al);
        a.in(al, CMOS_DATA);
        a.movzx(eax, al);
        t.expectEq(eax, 0xa5, "CMOS byte written by OUTB (bare read)");
        cmosWrite(a, CMOS_SCRATCH, 0x3c);
        a.mov(al, CMOS_SCRATCH);
        a.out(CMOS_INDEX, al);
        a.mov(edx, CMOS_DATA);
        a.xor(eax, eax);
        t.call("INB", { native: (x) => x.in(al, dx) });
        t.expectMasked(eax, 0xff, 0x3c, "INB of the CMOS byte");
      },
    },
    {
      name: "port-OUTB-debug",
      calls: ["OUTB"],
      logMarkers: [marker("OUTB")],
      emit(t) {
        const a = t.a;
        const text = marker("OUTB") + "\n";
        for (let i = 0; i < text.length; i++) {
          a.mov(eax, text.charCodeAt(i));
          a.mov(edx, DEBUG_PORT);
          // Not counted: a COUNT line would land in the middle of the marker.
          t.call("OUTB", { path: "debugcon", count: false });
        }
      },
    },
    {
      name: "port-word",
      calls: ["OUTW", "INW"],
      emit(t) {
        const a = t.a;
        pciAddress(a, PCI_ISA_INTLINE);
        a.mov(dx, PCI_DATA);
        a.in(ax, dx);
        a.mov(t.v("intline_orig"), eax);
        a.mov(eax, 0x000a);
        a.mov(edx, PCI_DATA);
        t.call("OUTW", { path: "pci-intline", native: (x) => x.out(dx, ax) });
        a.mov(dx, PCI_DATA);
        a.in(al, dx);
        a.movzx(eax, al);
        t.expectEq(eax, 0x0a, "PCI 00:01.0 interrupt line written by OUTW (bare read)");
        pciAddress(a, PCI_HOST_ID);
        a.mov(dx, PCI_DATA);
        a.in(ax, dx);
        a.movzx(eax, ax);
        a.mov(t.v("bare_vendor"), eax);
        a.mov(edx, PCI_DATA);
        a.xor(eax, eax);
        t.call("INW", { path: "pci-vendor", native: (x) => x.in(ax, dx) });
        a.movzx(eax, ax);
        t.expectEq(eax, t.v("bare_vendor"), "INW of the host bridge's vendor ID");
      },
      cleanup(t) {
        const a = t.a;
        pciAddress(a, PCI_ISA_INTLINE);
        a.mov(eax, t.v("intline_orig"));
        a.mov(dx, PCI_DATA);
        a.out(dx, al);
      },
    },
    {
      name: "port-dword",
      calls: [outL, inL],
      emit(t) {
        const a = t.a;
        a.mov(eax, PCI_HOST_ID >>> 0);
        a.mov(edx, PCI_ADDR);
        t.call(outL, { path: "pci-address", native: (x) => x.out(dx, eax) });
        a.mov(dx, PCI_ADDR);
        a.in(eax, dx);
        t.expectEq(eax, PCI_HOST_ID >>> 0, `PCI config address written by ${outL} (bare read)`);
        a.mov(dx, PCI_DATA);
        a.in(eax, dx);
        a.mov(t.v("bare_id"), eax);
        a.mov(edx, PCI_DATA);
        a.xor(eax, eax);
        t.call(inL, { path: "pci-id", native: (x) => x.in(eax, dx) });
        t.expectEq(eax, t.v("bare_id"), `${inL} of the host bridge's vendor/device`);
      },
    },
    inString("INSB", 1, (a) => cmosWrite(a, CMOS_SCRATCH, 0x5a) /* leaves the index on the scratch byte */, (t) => eachElement(t, 1, 0x5a, "INSB read the CMOS byte")),
    inString("INSW", 2, (a) => pciAddress(a, PCI_HOST_ID), (t) => eachElement(t, 2, 0x8086, "INSW read the host bridge vendor")),
    inString(insL, 4, (a) => {
      pciAddress(a, PCI_HOST_ID);
      a.mov(dx, PCI_DATA);
      a.in(eax, dx);
    }, (t) => eachElement(t, 4, "bare-dword", `${insL} read the host bridge ID`)),
    outBytes("OUTSB"),
    outWide("OUTSW", 2),
    outWide(outsL, 4),
  ];
}

export function platformTests(): CallTest[] {
  return [
    {
      name: "apic",
      calls: ["APICRead", "APICWrite"],
      emit(t) {
        const a = t.a;
        const version = APIC_BASE + 0x30, tpr = APIC_BASE + 0x80;
        a.mov(eax, dword(version));
        a.mov(t.v("bare_apic_version"), eax);
        a.mov(eax, version);
        t.call("APICRead", { path: "version", native: (x) => x.mov(eax, dword(eax, 0)) });
        t.expectEq(eax, t.v("bare_apic_version"), "APICRead of the version register");
        a.mov(eax, tpr);
        a.mov(edx, 0x20);
        t.call("APICWrite", { path: "tpr", native: (x) => x.mov(dword(eax, 0), edx) });
        a.mov(eax, dword(tpr));
        t.expectMasked(eax, 0xff, 0x20, "the task priority written by APICWrite (bare read)");
      },
      cleanup(t) {
        t.a.mov(dword(APIC_BASE + 0x80), 0);
      },
    },
    {
      name: "cycle-counter",
      calls: ["GetCycleCounter"],
      emit(t) {
        const a = t.a;
        a.xor(eax, eax);
        t.call("GetCycleCounter", { path: "real", native: (x) => x.rdtsc() });
        save64(t, "cc1");
        a.rdtsc();
        save64(t, "cc2");
        a.xor(eax, eax);
        t.call("GetCycleCounter", { path: "real", count: false, native: (x) => x.rdtsc() });
        save64(t, "cc3");
        expectU64Less(t, "cc1", "cc2", "GetCycleCounter before the bare rdtsc");
        expectU64Less(t, "cc2", "cc3", "the bare rdtsc before GetCycleCounter");
      },
    },
  ];
}

/** Remapping a page C marker must not be touched by hint-only calls. */
export function pageHintTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const tests: CallTest[] = [
    {
      name: "allocate-release-page",
      calls: ["AllocatePage", "ReleasePage"],
      emit(t) {
        const a = t.a;
        a.mov(eax, MEM.pageC >>> 12);
        a.mov(edx, 1);
        a.xor(ecx, ecx);
        t.call("AllocatePage", { stack: [0, 0] });
        a.mov(eax, MEM.pageC >>> 12);
        a.mov(edx, 1);
        t.call("ReleasePage");
        t.expectEq(dword(MEM.pageC), MARK.C, "the page's contents are untouched");
      },
    },
    {
      name: "set-linear-mapping",
      calls: ["SetLinearMapping"],
      emit(t) {
        const a = t.a;
        a.xor(eax, eax);
        a.mov(edx, 0xc0000000);
        a.mov(ecx, 4096);
        t.call("SetLinearMapping", { stack: [0] });
      },
    },
  ];
  if (has("SetLazyMode")) {
    tests.push({
      name: "lazy-mode",
      calls: ["SetLazyMode"],
      emit(t) {
        for (const mode of [1, 2, 0]) {
          t.a.mov(eax, mode);
          t.call("SetLazyMode", { path: `mode=${mode}` });
        }
      },
    });
  }
  if (has("FlushDeferredCalls")) {
    tests.push({
      name: "flush-deferred",
      calls: ["FlushDeferredCalls"],
      emit(t) {
        t.a.mov(eax, 0xc0);
        t.call("FlushDeferredCalls");
      },
    });
  }
  return tests;
}
