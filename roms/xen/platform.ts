// Time through shared_info and Xen's timers: the cycle frequency and wallclock are computed from shared_info's
// scale and wallclock fields, the alarm is set_timer_op (one-shot) plus vcpu_op's periodic timer. The local
// APIC stays native (loads and stores); there is no processor state to hand over and no callback to register.

import { al, cl, dword, eax, ebx, ecx, edx, esi, esp, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { justReturn, returnZero } from "../shared/bodies.ts";
import { platformCalls as native } from "../native/platform.ts";
import { SCRATCH, VCPUOP } from "./abi.ts";
import { hypercall, info, infoByte, scratch } from "./routines.ts";

const NS_PER_SECOND = 1_000_000_000;

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

/**
 * EDX:EAX shifted by shared_info's signed tsc_shift: towards `positive` when tsc_shift >= 0, the other way by
 * -tsc_shift when it is negative (clobbers CL). Cycles → system time shifts left; the frequency, right.
 */
function shiftByTscShift(a: Assembler, ctx: BodyContext, positive: "left" | "right"): void {
  const negative = a.newLabel(),
    done = a.newLabel();
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

export const platformCalls: Record<string, Body> = {
  ...native,
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
    const stop = a.newLabel(),
      done = a.newLabel();
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
