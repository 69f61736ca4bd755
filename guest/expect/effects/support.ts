// What the effect tests share: device ports and constants, the test window's entries, 64-bit
// comparisons, copying, and a timer interrupt made pending on purpose.

import { al, eax, ecx, edi, edx, esi, type Assembler, type Label } from "../../../src/asm/index.ts";
import type { TestCtx } from "../../context.ts";
import { MEM, PTE_PWU, TEST_VA } from "../../memory.ts";
import type { CallTest } from "../types.ts";

export const EFLAGS_IF = 0x200;
export const EFLAGS_IOPL = 0x3000;
export const ARITH_FLAGS = 0x8d5; // CF PF AF ZF SF OF
export const CR0_WP = 0x10000;
export const CR0_TS = 0x8;
export const CR4_TSD = 0x4;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_EIP = 0x176;
export const CMOS_INDEX = 0x70;
export const CMOS_DATA = 0x71;
/** A CMOS byte no firmware field uses (qemu keeps 128 bytes of CMOS RAM). */
export const CMOS_SCRATCH = 0x50;
export const PCI_ADDR = 0xcf8;
export const PCI_DATA = 0xcfc;
/** PCI config address of 00:00.0 register 0 (host bridge vendor/device). */
export const PCI_HOST_ID = 0x80000000;
/** 00:01.0 (PIIX3 ISA bridge) register 0x3C: interrupt line, a byte software may write. */
export const PCI_ISA_INTLINE = 0x80000800 | 0x3c;
export const DEBUG_PORT = 0x402;
/** Flat ring-0 data descriptor (low, high dwords). */
export const FLAT_DATA = [0x0000ffff, 0x00cf9200] as const;

export const PAGE = 0x1000;
export const pte = (page: number): number => page | PTE_PWU;
export const testEntry = (i: number): number => MEM.testTable + 4 * i;
export const testVa = (i: number): number => TEST_VA + PAGE * i;

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
export function bareRdmsr(a: Assembler, msr: number): void {
  a.mov(ecx, msr);
  a.rdmsr();
}

/** Unsigned 64-bit earlier < later, values in dword variables. */
export function expectU64Less(t: TestCtx, earlier: string, later: string, what: string): void {
  const a = t.a;
  a.mov(eax, t.v(`${later}_lo`));
  a.mov(edx, t.v(`${later}_hi`));
  a.sub(eax, t.v(`${earlier}_lo`));
  a.sbb(edx, t.v(`${earlier}_hi`));
  t.expectCond(
    (ok) => {
      const fail = a.newLabel();
      a.jc(fail);
      a.or(eax, edx);
      a.jne(ok);
      a.label(fail);
    },
    what,
    t.v(`${later}_lo`),
    t.v(`${earlier}_lo`),
  );
}

export function save64(t: TestCtx, name: string): void {
  t.a.mov(t.v(`${name}_lo`), eax);
  t.a.mov(t.v(`${name}_hi`), edx);
}

/** Copies `bytes` bytes from `from` to `to` (clobbers ESI, EDI, ECX). */
export function copy(t: TestCtx, from: Label | number, to: Label | number, bytes: number): void {
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
export function makeTimerIrqPending(t: TestCtx): void {
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
  const wait = a.newLabel(),
    pending = a.newLabel();
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
  t.model?.postEvent?.(t.g);
}

export function maskIrqs(t: TestCtx): void {
  t.a.cli();
  t.a.mov(al, 0xff);
  t.a.out(0x21, al);
}
