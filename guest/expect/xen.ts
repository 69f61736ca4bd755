// The xen backend: the native effect tests as they are (the model makes each hypercall's effect real), plus the
// hypercalls themselves — the machine address mmu_update receives through each lookaside entry and the
// identity fallback, lazy/deferred updates batched into ONE multicall, a full queue flushing, a pending event
// delivered when interrupts are enabled, and the argument registers of every call that makes a hypercall
// (docs/hypervisors.md, "xen"; roms/xen/abi.ts).

import { al, dr2, dword, eax, ecx, edx, mem, plus, type Expr } from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { DOMID_SELF, HYPERCALL, MMUEXT, SCHEDOP, SCRATCH, VCPUOP } from "../../roms/xen/abi.ts";
import type { TestCtx } from "../context.ts";
import { MEM, SEL, GDT_ENTRIES, TSS_SIZE, VEC } from "../memory.ts";
import { MACHINE_OFFSET, XEN_TIME, XEN_VERSION, infoAddr, xenModel } from "../models/xen.ts";
import type { HC_RECORD } from "../traps.ts";
import {
  FLAT_DATA,
  commonEffectTests,
  initialApStateTest,
  kernelStackToTss,
  makeTimerIrqPending,
  maskIrqs,
  pte,
  returnsTest,
  testEntry,
  testVa,
} from "./effects/index.ts";
import type { BackendExpectations, CallTest } from "./types.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";

const PAGE_DEFER = 0x20;
const ma = (pa: number): number => (pa + MACHINE_OFFSET) >>> 0;
type Field = keyof typeof HC_RECORD;

/** The k-th hypercall since mark() carried these registers. */
function expectHypercall(t: TestCtx, k: number, name: keyof typeof HYPERCALL, fields: ReadonlyArray<readonly [Field, Expr]>, what: string): void {
  t.hc.expectField(k, "eax", HYPERCALL[name], `${what}: hypercall ${name} (EAX)`);
  for (const [f, want] of fields) t.hc.expectField(k, f, want, `${what}: ${name} ${f.toUpperCase()}`);
}

const LIST_ARGS = (count: number): ReadonlyArray<readonly [Field, Expr]> => [
  ["ecx", count],
  ["edx", 0],
  ["esi", DOMID_SELF],
];

/** The entry-writing call of the interface (api13 has both the 13.0 and the 13.3 SetPxE). */
const setPxE = (t: TestCtx): string => t.pick("SetPxE", "SetPxE0");
/** Flags that make an update wait: lazy MMU mode on api3 is switched on around the updates; api13 says DEFER. */
function lazyOn(t: TestCtx): number {
  if (t.has("SetLazyMode")) {
    t.a.mov(eax, 1);
    t.call("SetLazyMode", { path: "mode=1", count: false });
    return 1;
  }
  return 1 | PAGE_DEFER;
}
function lazyOff(t: TestCtx): void {
  if (t.has("SetLazyMode")) {
    t.a.xor(eax, eax);
    t.call("SetLazyMode", { path: "mode=0 flush" });
  } else {
    t.a.mov(eax, 0xc0);
    t.call("FlushDeferredCalls", { path: "flush" });
  }
}

function translationTest(): CallTest {
  const slots = [0, 1, 2, 3];
  const vaOf = (slot: number) => (0xd0000000 + slot * 0x01000000) >>> 0;
  return {
    name: "xen-translate",
    calls: ["SetLinearMapping"],
    emit(t) {
      const a = t.a;
      const set = setPxE(t);
      const write = (ptep: number, path: string) => {
        a.mov(dword(testEntry(2)), 0);
        t.hc.mark();
        a.mov(eax, pte(MEM.pageB));
        a.mov(edx, ptep);
        a.mov(ecx, 1);
        t.call(set, { path });
        t.hc.expectCount(1, `${path}: one hypercall`);
        expectHypercall(
          t,
          0,
          "mmu_update",
          [
            ["ecx", 1],
            ["edx", 0],
            ["esi", DOMID_SELF],
          ],
          path,
        );
        t.expectEq(t.v("xen_last_ptr"), ma(testEntry(2)), `${path}: mmu_update's machine address`);
        t.expectEq(dword(testEntry(2)), pte(MEM.pageB), `${path}: the entry written`);
      };
      // Every slot maps 16 pages at its own address onto the test table, so entry 2 is reached at va + 8.
      for (const slot of slots) {
        a.mov(eax, slot);
        a.mov(edx, vaOf(slot));
        a.mov(ecx, 16);
        t.call("SetLinearMapping", { path: `slot${slot}`, stack: [MEM.testTable >>> 12], count: false });
      }
      for (const slot of slots) write(vaOf(slot) + 8, `lookaside-slot${slot}`);
      write(testEntry(2), "identity"); // below every slot: no match, the address is physical
    },
    cleanup(t) {
      for (const slot of slots) {
        t.a.mov(eax, slot);
        t.a.xor(edx, edx);
        t.a.xor(ecx, ecx);
        t.call("SetLinearMapping", { path: "clear", stack: [0], count: false });
      }
      t.a.mov(dword(testEntry(2)), 0);
      t.a.invlpg(mem(testVa(2)));
    },
  };
}

function lazyTests(layout: Layout): CallTest[] {
  const flushCall = layout.calls.some((c) => c.name === "SetLazyMode") ? "SetLazyMode" : "FlushDeferredCalls";
  const N = 4;
  return [
    {
      name: "xen-lazy-batch",
      calls: [flushCall],
      emit(t) {
        const a = t.a;
        const entries = t.scratch(4 * N, 16);
        const flags = lazyOn(t);
        t.hc.mark();
        for (let i = 0; i < N; i++) {
          a.mov(eax, ((i + 1) << 12) | 7);
          a.mov(edx, plus(entries, 4 * i));
          a.mov(ecx, flags);
          t.call(setPxE(t), { path: "queued" });
        }
        t.hc.expectCount(0, "queued updates make no hypercall");
        t.expectEq(dword(entries), 0, "a queued update is not written yet");
        lazyOff(t);
        t.hc.expectCount(1, `${N} queued updates leave in ONE hypercall`);
        expectHypercall(
          t,
          0,
          "multicall",
          [
            ["ebx", sharedAddress(layout.virtualTop, "scratch", SCRATCH.multicalls)],
            ["ecx", N],
          ],
          "the flush",
        );
        t.expectEq(t.v("xen_mc_count"), N, "the multicall's entries");
        for (let i = 0; i < N; i++) t.expectEq(dword(plus(entries, 4 * i)), ((i + 1) << 12) | 7, `entry ${i} after the flush`);
        // Leaving the mode again with nothing queued costs nothing.
        t.hc.mark();
        lazyOff(t);
        t.hc.expectCount(0, "an empty queue is not sent");
      },
    },
    {
      name: "xen-queue-full",
      calls: [flushCall],
      emit(t) {
        const a = t.a;
        const total = 33;
        const entries = t.scratch(4 * total, 16);
        const flags = lazyOn(t);
        t.hc.mark();
        const loop = a.newLabel();
        a.mov(t.v("xen_i"), 0);
        a.label(loop);
        a.mov(ecx, t.v("xen_i"));
        a.mov(edx, ecx);
        a.shl(edx, 2);
        a.add(edx, entries);
        a.mov(eax, ecx);
        a.shl(eax, 12);
        a.or(eax, 0x10007);
        a.mov(ecx, flags);
        t.call(setPxE(t), { path: "queue-full", count: false });
        a.inc(t.v("xen_i"));
        a.cmp(t.v("xen_i"), total);
        a.jb(loop);
        t.hc.expectCount(1, "the 33rd update flushed the full queue first");
        expectHypercall(t, 0, "multicall", [["ecx", 32]], "the full queue");
        t.expectEq(dword(plus(entries, 4 * 31)), ((31 << 12) | 0x10007) >>> 0, "the 32nd entry written by the forced flush");
        t.expectEq(dword(plus(entries, 4 * 32)), 0, "the 33rd entry still queued");
        lazyOff(t);
        t.hc.expectCount(2, "leaving the mode sends the rest");
        expectHypercall(t, 1, "multicall", [["ecx", 1]], "the rest");
        t.expectEq(dword(plus(entries, 4 * 32)), ((32 << 12) | 0x10007) >>> 0, "the 33rd entry after the flush");
      },
    },
  ];
}

function eventTests(): CallTest[] {
  return [
    {
      name: "xen-event-delivery",
      calls: ["EnableInterrupts", "DisableInterrupts", "SetInterruptMask", "Halt"],
      emit(t) {
        const a = t.a;
        for (const call of ["EnableInterrupts", "SetInterruptMask"]) {
          t.call("DisableInterrupts", { count: false });
          makeTimerIrqPending(t);
          t.hc.mark();
          if (call === "SetInterruptMask") a.mov(eax, 0x200);
          t.call(call, { path: "event-pending" });
          if (call === "SetInterruptMask") t.expectEq(eax, 0x200, "SetInterruptMask preserves EAX");
          t.hc.expectCount(1, `${call} with an event pending makes one hypercall`);
          expectHypercall(
            t,
            0,
            "xen_version",
            [
              ["ebx", 0],
              ["ecx", 0],
            ],
            call,
          );
          t.hc.expectField(0, "result", XEN_VERSION, "xen_version's answer");
          t.expectEq(t.v("ticks"), 1, `the pending interrupt arrived through ${call}`);
          t.expectMasked(dword(infoAddr("upcallPending")), 0xffff, 0, "upcall_pending cleared, events unmasked");
          maskIrqs(t);
        }
        // Halt: sched_op(SCHEDOP_block, NULL).
        makeTimerIrqPending(t);
        t.hc.mark();
        t.call("Halt", { path: "args", count: false });
        t.hc.expectCount(1, "Halt makes one hypercall");
        expectHypercall(
          t,
          0,
          "sched_op",
          [
            ["ebx", SCHEDOP.block],
            ["ecx", 0],
          ],
          "Halt",
        );
        t.expectEq(t.v("ticks"), 1, "Halt returned after the event");
        maskIrqs(t);
      },
      cleanup: maskIrqs,
    },
  ];
}

/** One call, then its hypercall's registers (and the model's record of what the lists held). */
function argTest(name: string, calls: readonly string[], emit: (t: TestCtx) => void, cleanup?: (t: TestCtx) => void): CallTest {
  return { name: `xen-args-${name}`, calls, emit, ...(cleanup ? { cleanup } : {}) };
}

function argumentTests(layout: Layout): CallTest[] {
  const api3 = layout.version.major === 3;
  const mmuext = (t: TestCtx, call: string, path: string, cmd: number, arg1: number) => {
    t.hc.mark();
    t.call(call, { path, count: false });
    t.hc.expectCount(1, `${call} makes one hypercall`);
    expectHypercall(t, 0, "mmuext_op", LIST_ARGS(1), call);
    t.expectEq(t.v("xen_last_cmd"), cmd, `${call}: mmuext command`);
    t.expectEq(t.v("xen_last_arg1"), arg1, `${call}: mmuext arg1`);
  };
  const descriptor = (kind: "GDT" | "LDT", table: (t: TestCtx) => Expr, index: number) =>
    argTest(`write-${kind.toLowerCase()}-entry`, [`Write${kind}Entry`], (t) => {
      const a = t.a;
      t.hc.mark();
      a.mov(eax, table(t));
      a.mov(edx, index);
      a.mov(ecx, FLAT_DATA[0]);
      t.call(`Write${kind}Entry`, { stack: [FLAT_DATA[1]], count: false });
      expectHypercall(
        t,
        0,
        "update_descriptor",
        [
          ["ebx", plus(table(t), index * 8 + MACHINE_OFFSET)],
          ["ecx", 0],
          ["edx", FLAT_DATA[0]],
          ["esi", FLAT_DATA[1]],
        ],
        `Write${kind}Entry`,
      );
    });
  const tests: CallTest[] = [
    argTest("set-cr3", ["SetCR3"], (t) => {
      t.a.mov(eax, MEM.pageDir);
      mmuext(t, "SetCR3", "args", MMUEXT.NEW_BASEPTR, ma(MEM.pageDir) >>> 12);
    }),
    argTest("inval-page", ["InvalPage"], (t) => {
      t.a.mov(eax, testVa(1));
      mmuext(t, "InvalPage", "args", MMUEXT.INVLPG_LOCAL, testVa(1));
    }),
    argTest("flush-tlb", ["FlushTLB"], (t) => {
      t.a.mov(eax, 1);
      mmuext(t, "FlushTLB", "args-local", MMUEXT.TLB_FLUSH_LOCAL, 0);
      t.a.mov(eax, 3);
      mmuext(t, "FlushTLB", "args-global", MMUEXT.TLB_FLUSH_ALL, 0);
    }),
    argTest("set-gdt", ["SetGDT"], (t) => {
      t.hc.mark();
      t.a.mov(eax, t.labels.gdtPtr);
      t.call("SetGDT", { path: "args", count: false });
      expectHypercall(t, 0, "set_gdt", [["ecx", GDT_ENTRIES]], "SetGDT");
      t.expectEq(t.v("xen_gdt_base"), t.labels.gdt, "set_gdt: frames + offset give the table");
    }),
    descriptor("GDT", (t) => t.labels.gdt, SEL.spare >> 3),
    descriptor("LDT", (t) => t.labels.ldt, 1),
    argTest(
      "write-idt-entry",
      ["WriteIDTEntry"],
      (t) => {
        const a = t.a;
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff);
        a.or(eax, SEL.code0 << 16);
        a.mov(ecx, eax);
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff0000);
        a.or(eax, 0xee00); // DPL 3 interrupt gate
        a.mov(t.v("desc_hi"), eax);
        t.hc.mark();
        a.mov(eax, t.labels.idt);
        a.mov(edx, VEC.written);
        t.call("WriteIDTEntry", { stack: [t.v("desc_hi")], count: false });
        expectHypercall(t, 0, "set_trap_table", [], "WriteIDTEntry");
        t.expectEq(t.v("xen_trap_entries"), 1, "one trap_info entry before the terminator");
        a.mov(eax, t.v("desc_hi"));
        t.expectEq(dword(plus(t.labels.idt, VEC.written * 8 + 4)), eax, "the gate's DPL and type survive the trap table");
      },
      (t) => {
        t.a.mov(dword(plus(t.labels.idt, VEC.written * 8)), 0);
        t.a.mov(dword(plus(t.labels.idt, VEC.written * 8 + 4)), 0);
      },
    ),
    argTest("update-kernel-stack", ["UpdateKernelStack"], (t) => {
      const a = t.a;
      if (api3) {
        a.mov(eax, SEL.data0);
      } else {
        const tss = t.scratch(TSS_SIZE, 16);
        a.mov(dword(plus(tss, 8)), SEL.data0);
        a.mov(eax, tss);
      }
      a.mov(edx, MEM.ring0StackTop);
      t.hc.mark();
      t.call("UpdateKernelStack", { path: "args", count: false });
      expectHypercall(
        t,
        0,
        "stack_switch",
        [
          ["ebx", SEL.data0],
          ["ecx", MEM.ring0StackTop],
        ],
        "UpdateKernelStack",
      );
      t.expectEq(t.v("xen_kernel_sp"), MEM.ring0StackTop, "the kernel stack the hypervisor keeps");
    }),
    argTest("clts", ["CLTS"], (t) => {
      t.hc.mark();
      t.call("CLTS", { path: "args", count: false });
      expectHypercall(t, 0, "fpu_taskswitch", [["ebx", 0]], "CLTS");
    }),
    argTest(
      "debug-registers",
      ["SetDR", "GetDR"],
      (t) => {
        const a = t.a;
        t.hc.mark();
        a.mov(eax, 2);
        a.mov(edx, 0x55550000);
        t.call("SetDR", { path: "args", count: false });
        expectHypercall(
          t,
          0,
          "set_debugreg",
          [
            ["ebx", 2],
            ["ecx", 0x55550000],
          ],
          "SetDR",
        );
        a.mov(eax, 2);
        t.call("GetDR", { path: "args", count: false });
        a.mov(t.v("xen_dr"), eax); // expectField uses EAX
        expectHypercall(t, 1, "get_debugreg", [["ebx", 2]], "GetDR");
        t.expectEq(t.v("xen_dr"), 0x55550000, "GetDR(2) after SetDR(2)");
      },
      (t) => {
        t.a.xor(eax, eax);
        t.a.mov(dr2, eax);
      },
    ),
    argTest("pte-long", [t13or3(layout, "SetPxELong", "SetPxELong0")], (t) => {
      const a = t.a;
      const entry = t.scratch(8, 8);
      t.hc.mark();
      a.mov(eax, 0x11223007);
      a.mov(edx, 0x5);
      a.mov(ecx, entry);
      t.call(t13or3(layout, "SetPxELong", "SetPxELong0"), { stack: [1], path: "args", count: false });
      t.hc.expectCount(1, "a 64-bit entry is one mmu_update");
      expectHypercall(t, 0, "mmu_update", LIST_ARGS(2), "SetPxELong");
      t.expectEq(t.v("xen_last_ptr"), plus(entry, MACHINE_OFFSET), "the low half is written last");
    }),
    argTest("iret", ["IRET"], (t) => {
      const a = t.a;
      const landing = a.newLabel();
      t.hc.mark();
      a.push(0x2);
      a.push(SEL.code0);
      a.push(landing);
      a.mov(eax, 0x600d600d);
      const l = t.callNoReturn("IRET", landing, { path: "args", count: false });
      t.land(l);
      t.expectEq(eax, 0x600d600d, "IRET restores the caller's EAX from the stack");
      t.hc.expectCount(1, "IRET is one hypercall");
      expectHypercall(t, 0, "iret", [], "IRET");
    }),
    {
      name: "xen-time",
      calls: ["GetCycleFrequency", "GetWallclockTime", "WallclockUpdated", "SetAlarm", "CancelAlarm"],
      emit(t) {
        const a = t.a;
        const split = (v: bigint) => [Number(v & 0xffffffffn), Number(v >> 32n)] as const;
        const freq = (((10n ** 9n) << 32n) / BigInt(XEN_TIME.tscToSystemMul)) >> BigInt(XEN_TIME.tscShift);
        t.call("GetCycleFrequency");
        t.expectEq(eax, split(freq)[0], "GetCycleFrequency (low) from tsc_to_system_mul and tsc_shift");
        t.expectEq(edx, split(freq)[1], "GetCycleFrequency (high)");
        const wall = BigInt(XEN_TIME.wcSec) * 10n ** 9n + BigInt(XEN_TIME.wcNsec) + BigInt(XEN_TIME.systemTime);
        t.call("GetWallclockTime");
        t.expectEq(eax, split(wall)[0], "GetWallclockTime (low): wc_sec, wc_nsec and system_time");
        t.expectEq(edx, split(wall)[1], "GetWallclockTime (high)");
        t.call("WallclockUpdated", { path: "unchanged" });
        t.expectEq(eax, 0, "WallclockUpdated right after a read");
        a.add(dword(infoAddr("wcVersion")), 2);
        t.call("WallclockUpdated", { path: "changed" });
        t.expectEq(eax, 1, "WallclockUpdated after wc_version moved");
        a.sub(dword(infoAddr("wcVersion")), 2);
        const ticks = 0x1000;
        const ns = BigInt(XEN_TIME.systemTime) + (((BigInt(ticks) << BigInt(XEN_TIME.tscShift)) * BigInt(XEN_TIME.tscToSystemMul)) >> 32n);
        t.hc.mark();
        a.xor(eax, eax);
        a.mov(edx, XEN_TIME.tscTimestamp + ticks);
        a.xor(ecx, ecx);
        t.call("SetAlarm", { stack: [0, 0] });
        t.expectEq(eax, 0, "SetAlarm answers set_timer_op's result");
        expectHypercall(
          t,
          0,
          "set_timer_op",
          [
            ["ebx", split(ns)[0]],
            ["ecx", split(ns)[1]],
          ],
          "SetAlarm: cycles converted to system time",
        );
        expectHypercall(
          t,
          1,
          "vcpu_op",
          [
            ["ebx", VCPUOP.stop_periodic_timer],
            ["ecx", 0],
            ["edx", 0],
          ],
          "SetAlarm without a period stops the periodic timer",
        );
        // A period (cycles, on the stack) becomes Xen's periodic timer in ns, by the same scale.
        const period = 0x2000;
        const periodNs = ((BigInt(period) << BigInt(XEN_TIME.tscShift)) * BigInt(XEN_TIME.tscToSystemMul)) >> 32n;
        a.mov(eax, 0x100);
        a.mov(edx, XEN_TIME.tscTimestamp + ticks);
        a.xor(ecx, ecx);
        t.call("SetAlarm", { path: "periodic", stack: [period, 0] });
        expectHypercall(
          t,
          3,
          "vcpu_op",
          [
            ["ebx", VCPUOP.set_periodic_timer],
            ["ecx", 0],
          ],
          "SetAlarm with a period sets the periodic timer",
        );
        t.expectEq(t.v("xen_period"), Number(periodNs), "the period, cycles converted to ns");
        a.xor(eax, eax);
        t.call("CancelAlarm");
        expectHypercall(
          t,
          4,
          "set_timer_op",
          [
            ["ebx", 0],
            ["ecx", 0],
          ],
          "CancelAlarm",
        );
        expectHypercall(
          t,
          5,
          "vcpu_op",
          [
            ["ebx", VCPUOP.stop_periodic_timer],
            ["ecx", 0],
            ["edx", 0],
          ],
          "CancelAlarm stops the periodic timer",
        );
        t.expectEq(t.v("xen_period"), 0, "the periodic timer is stopped");
      },
    },
  ];
  if (api3) {
    tests.push({
      name: "xen-machine-addresses",
      calls: ["PhysicalToMachine", "MachineToPhysical"],
      emit(t) {
        t.a.mov(eax, 0x00345000);
        t.call("PhysicalToMachine");
        t.expectEq(eax, ma(0x00345000), "PhysicalToMachine adds the machine offset");
        t.call("MachineToPhysical");
        t.expectEq(eax, 0x00345000, "MachineToPhysical takes it off again");
      },
    });
  }
  return tests;
}

function t13or3(layout: Layout, a: string, b: string): string {
  return layout.calls.some((c) => c.name === a) ? a : b;
}

export const xenExpectations: BackendExpectations = {
  backend: "xen",
  tests(layout: Layout) {
    const api3 = layout.version.major === 3;
    return [
      ...commonEffectTests(layout),
      api3
        ? returnsTest("UpdateKernelStack", undefined, (t) => {
            t.a.mov(eax, SEL.data0);
            t.a.mov(edx, MEM.ring0StackTop);
          })
        : kernelStackToTss(),
      returnsTest("WBINVD", (x) => x.wbinvd()),
      returnsTest("INVD", (x) => x.invd()),
      returnsTest("Pause", (x) => x.pause()),
      returnsTest("IODelay", (x) => x.out(0x80, al)),
      returnsTest("SetCallbacks"),
      initialApStateTest(),
      translationTest(),
      ...lazyTests(layout),
      ...eventTests(),
      ...argumentTests(layout),
    ];
  },
  untested: {
    Reboot: "sched_op(SCHEDOP_shutdown, reboot) ends the domain: the model has nothing to return to",
    Shutdown: "sched_op(SCHEDOP_shutdown, poweroff) ends the domain: the model has nothing to return to",
  },
  hypervisor: xenModel,
  sharedAreaUntouched: false,
};
