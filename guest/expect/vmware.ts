// The vmware backend: the native effect tests as they are (the model in models/vmware.ts makes every
// hypercall's effect real), plus tests of the paravirtual machinery itself — interesting and uninteresting
// PTE changes, translation through each lookaside entry and the identity fallback, a full queue, lazy and
// deferred batching, event delivery, and the argument registers of every call that makes a hypercall.
//
// Page-table updates are asynchronous: an update may sit in the queue when a test ends. The hypervisor would
// apply it at its next exit; the model does that before each test's cleanup (whose bare stores would
// otherwise make a queued entry differ from memory), checking every entry as FlushQueue does.

import { ax, cr0, cr3, cr4, dr3, dword, eax, ecx, edx, esp, type Label } from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { LINEAR_MAP_ENTRY, QUEUE_CAPACITY, QUEUE_ENTRY, sharedAddress } from "../../src/layout/shared-area.ts";
import { ASYNC, HYPERCALLS, type HypercallName } from "../../roms/vmware/hypercalls.ts";
import type { TestCtx } from "../context.ts";
import type { Value } from "../emitter.ts";
import { APIC_BASE, HC_ENTRY_SIZE, MEM, SEL, TSS_SIZE } from "../memory.ts";
import { emitDrain, MODEL_CYCLE_HZ, MODEL_WALLCLOCK_NS, vmwareModel } from "../models/vmware.ts";
import { HC_RECORD } from "../traps.ts";
import {
  commonEffectTests,
  EFLAGS_IF,
  identityTranslationTests,
  EFLAGS_IOPL,
  kernelStackToTss,
  makeTimerIrqPending,
  maskIrqs,
  pte,
  returnsTest,
  testEntry,
  testVa,
} from "./effects/index.ts";
import type { BackendExpectations, CallTest } from "./types.ts";

/**
 * Free guest RAM the translation and queue tests write "entries" into: above everything the guest keeps (its
 * image and tables end below 9 MiB), above the 4 MiB a Sanos-style guest unmaps, inside its 16 MiB identity map.
 */
const SCRATCH = 0xe00000;
/** A present, writable entry: a change from 0 to it is interesting. */
const PRESENT_RW = 0x3;

/** Runs the model's drain before the test's own cleanup. */
export function drained(test: CallTest): CallTest {
  return {
    ...test,
    cleanup(t) {
      emitDrain(t.g);
      test.cleanup?.(t);
    },
  };
}

/** One PTE write with the layout's own call: SwapPxE (api13: EAX = ptep, EDX = pte) or SetPxE (api3: EAX = pte, EDX = ptep). */
function pteWriteCall(t: TestCtx): "SwapPxE" | "SetPxE" {
  return t.has("SwapPxE") ? "SwapPxE" : "SetPxE";
}
function writePte(t: TestCtx, ptep: Value, value: Value, path: string, count = true): void {
  const a = t.a;
  if (pteWriteCall(t) === "SwapPxE") {
    a.mov(eax, ptep as never);
    a.mov(edx, value as never);
  } else {
    a.mov(eax, value as never);
    a.mov(edx, ptep as never);
    a.mov(ecx, 1);
  }
  t.call(pteWriteCall(t), { path, count });
}

const shared = (t: TestCtx, f: Parameters<typeof sharedAddress>[1], extra = 0) => dword(sharedAddress(t.layout.virtualTop, f, extra));
const queued = (t: TestCtx, i: number, f: keyof Omit<typeof QUEUE_ENTRY, "size">) => shared(t, "queue", i * QUEUE_ENTRY.size + QUEUE_ENTRY[f]);
const hcNumber = (n: HypercallName) => HYPERCALLS[n].number;

function expectQueued(t: TestCtx, i: number, pa: number, value: number, what: string): void {
  t.expectEq(queued(t, i, "pa"), pa, `${what}: queued pa`);
  t.expectEq(queued(t, i, "value"), value, `${what}: queued value`);
  t.expectEq(queued(t, i, "arg1"), 0, `${what}: queued arg1`);
  t.expectEq(queued(t, i, "arg2"), 0, `${what}: queued arg2`);
  t.expectEq(queued(t, i, "hypercall"), ASYNC.SetPxEAsync.number, `${what}: queued number (SetPxEAsync)`);
}

/** Interesting vs uninteresting changes through each PTE call that tests for them. */
function interestingTests(layout: Layout): CallTest[] {
  const names = ["SwapPxE", "SetPxE", "SetPxE0"].filter((n) => layout.calls.some((c) => c.name === n));
  return names.map(
    (name): CallTest => ({
      name: `vmware-interesting-${name}`,
      calls: [name, "FlushTLB"],
      emit(t) {
        const a = t.a;
        const entry = testEntry(3);
        const call = (value: number, path: string, at = entry) => {
          if (name === "SwapPxE") {
            a.mov(eax, at);
            a.mov(edx, value);
          } else {
            a.mov(eax, value);
            a.mov(edx, at);
            a.mov(ecx, 1);
          }
          t.call(name, { path });
        };
        a.mov(dword(entry), pte(MEM.pageA));
        t.hc.mark();
        // Only the frame changes: uninteresting (the shadow keeps working through a hidden fault).
        call(pte(MEM.pageC), "uninteresting");
        if (name === "SwapPxE") t.expectEq(eax, pte(MEM.pageA), "SwapPxE returns the old entry (uninteresting)");
        t.expectEq(dword(entry), pte(MEM.pageC), "the entry is written in place (uninteresting)");
        t.expectEq(shared(t, "queueCount"), 0, "nothing queued for an uninteresting change");
        // R/W goes away on a present entry: interesting.
        call(pte(MEM.pageC) & ~2, "interesting");
        if (name === "SwapPxE") t.expectEq(eax, pte(MEM.pageC), "SwapPxE returns the old entry (interesting)");
        t.expectEq(dword(entry), pte(MEM.pageC) & ~2, "the entry is written in place (interesting)");
        t.expectEq(shared(t, "queueCount"), 1, "one update queued");
        expectQueued(t, 0, entry, pte(MEM.pageC) & ~2, "interesting");
        // Interesting bits change, but neither entry is present: nothing to tell (another entry: the queued
        // one must still hold what was queued when the flush comes).
        a.mov(dword(testEntry(4)), 0);
        call(0x2, "interesting-bits-not-present", testEntry(4));
        t.expectEq(shared(t, "queueCount"), 1, "a not-present change is not queued");
        t.hc.expectCount(0, "no hypercall for any PTE change");
        // FlushTLB hands the queue over first: FlushQueue(1), then FlushTLB(1).
        a.mov(eax, 1);
        t.call("FlushTLB", { path: "queued=1" });
        t.hc.expectCount(2, "FlushTLB with one update queued: FlushQueue, then FlushTLB");
        t.hc.expectField(0, "eax", hcNumber("FlushQueue"), "first hypercall: FlushQueue");
        t.hc.expectField(0, "ebx", 1, "FlushQueue: EBX = entries");
        t.hc.expectField(1, "eax", hcNumber("FlushTLB"), "second hypercall: FlushTLB");
        t.hc.expectField(1, "ebx", 1, "FlushTLB: EBX = flags");
        t.expectEq(shared(t, "queueCount"), 0, "the flush emptied the queue");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(3)), 0);
        t.a.mov(dword(testEntry(4)), 0);
        t.a.invlpg(dword(testVa(3)));
      },
    }),
  );
}

/** SetLinearMapping fills the lookaside; each entry translates its own range; no match is identity. */
function translationTest(layout: Layout): CallTest {
  const write = layout.calls.some((c) => c.name === "SwapPxE") ? "SwapPxE" : "SetPxE";
  const page = (k: number) => SCRATCH + k * 0x1000;
  const window = (k: number) => testVa(8 + k);
  return {
    name: "vmware-translation",
    calls: ["SetLinearMapping", write],
    emit(t) {
      const a = t.a;
      // Window pages 8..11 of the test window map scratch pages 0..3: four aliases with four different offsets.
      for (let k = 0; k < 4; k++) {
        a.mov(dword(testEntry(8 + k)), pte(page(k)));
        a.mov(dword(page(k) + 0x10), 0);
        a.mov(eax, k);
        a.mov(edx, window(k));
        a.mov(ecx, 1);
        t.call("SetLinearMapping", { path: `slot${k}`, stack: [page(k) >>> 12] });
        t.expectEq(shared(t, "linearMap", k * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.startVA), window(k), `lookaside ${k}: startVA`);
        t.expectEq(shared(t, "linearMap", k * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.endVA), window(k) + 0x1000, `lookaside ${k}: endVA`);
      }
      for (let k = 0; k < 4; k++) a.invlpg(dword(window(k)));
      a.mov(dword(SCRATCH + 0x4010), 0);
      t.hc.mark();
      for (let k = 0; k < 4; k++) {
        writePte(t, window(k) + 0x10, PRESENT_RW + (k << 12), `lookaside${k}`);
        t.expectEq(dword(page(k) + 0x10), PRESENT_RW + (k << 12), `the write through lookaside ${k} landed`);
        t.expectEq(queued(t, k, "pa"), page(k) + 0x10, `lookaside ${k}: the queued pa is the window's physical page`);
      }
      // Identity: an address no entry covers is taken as physical.
      writePte(t, SCRATCH + 0x4010, PRESENT_RW, "identity");
      t.expectEq(queued(t, 4, "pa"), SCRATCH + 0x4010, "no lookaside match: the queued pa is the address itself");
      t.expectEq(shared(t, "queueCount"), 5, "five updates queued");
      t.hc.expectCount(0, "queueing makes no hypercall");
    },
    cleanup(t) {
      const a = t.a;
      emitDrain(t.g);
      for (let k = 0; k < 4; k++) {
        a.mov(dword(testEntry(8 + k)), 0);
        a.invlpg(dword(window(k)));
        a.mov(dword(sharedAddress(t.layout.virtualTop, "linearMap", k * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.startVA)), 0);
        a.mov(dword(sharedAddress(t.layout.virtualTop, "linearMap", k * LINEAR_MAP_ENTRY.size + LINEAR_MAP_ENTRY.endVA)), 0);
      }
    },
  };
}

/** Writes `n` interesting updates to scratch entries (a guest loop around one site, uncounted). */
function writeMany(t: TestCtx, n: number, first = 0): void {
  const a = t.a;
  const loop = a.newLabel();
  a.mov(t.v("many_i"), first);
  a.label(loop);
  a.mov(ecx, t.v("many_i"));
  a.lea(edx, dword({ index: ecx, scale: 4, disp: SCRATCH + 0x5000 }));
  a.mov(dword(edx, 0), 0);
  a.lea(eax, dword({ index: ecx, scale: 8, disp: 0x1000 | PRESENT_RW }));
  if (pteWriteCall(t) === "SwapPxE") a.xchg(eax, edx);
  else a.mov(ecx, 1);
  t.call(pteWriteCall(t), { path: "batch", count: false });
  a.inc(t.v("many_i"));
  a.cmp(t.v("many_i"), first + n);
  a.jb(loop);
}

function queueTests(layout: Layout): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const write = has("SwapPxE") ? "SwapPxE" : "SetPxE";
  const tests: CallTest[] = [
    {
      name: "vmware-queue-full",
      calls: [write],
      emit(t) {
        t.hc.mark();
        writeMany(t, QUEUE_CAPACITY);
        t.hc.expectCount(0, "32 updates fill the queue without a hypercall");
        t.expectEq(shared(t, "queueCount"), QUEUE_CAPACITY, "the queue is full");
        // The 33rd: the full queue goes to the hypervisor first (one flush of 32), then this one is queued.
        writePteAt(t, QUEUE_CAPACITY, "queue-full");
        t.hc.expectCount(1, "the 33rd update flushes once");
        t.hc.expectField(0, "eax", hcNumber("FlushQueue"), "the flush is FlushQueue");
        t.hc.expectField(0, "ebx", QUEUE_CAPACITY, "FlushQueue carries 32 entries");
        t.expectEq(shared(t, "queueCount"), 1, "the 33rd update waits in the emptied queue");
        t.expectEq(queued(t, 0, "pa"), SCRATCH + 0x5000 + 4 * QUEUE_CAPACITY, "the queue now holds the 33rd update");
      },
    },
  ];
  if (has("SetLazyMode")) {
    tests.push({
      name: "vmware-lazy-batch",
      calls: ["SetLazyMode", write],
      emit(t) {
        const a = t.a;
        a.mov(eax, 1);
        t.call("SetLazyMode", { path: "enter-mmu" });
        t.expectEq(shared(t, "mode"), 1, "lazy MMU mode recorded");
        t.hc.mark();
        writeMany(t, 5);
        t.hc.expectCount(0, "five updates in lazy mode: no hypercall yet");
        a.xor(eax, eax);
        t.call("SetLazyMode", { path: "leave-queued=5" });
        t.hc.expectCount(1, "leaving lazy mode flushes once");
        t.hc.expectField(0, "eax", hcNumber("FlushQueue"), "the flush is FlushQueue");
        t.hc.expectField(0, "ebx", 5, "one FlushQueue carries the five updates");
        t.expectEq(shared(t, "queueCount"), 0, "the queue is empty after leaving lazy mode");
        t.expectEq(shared(t, "mode"), 0, "lazy mode off");
        t.hc.mark();
        a.mov(eax, 2);
        t.call("SetLazyMode", { path: "enter-cpu" });
        a.xor(eax, eax);
        t.call("SetLazyMode", { path: "leave-empty" });
        t.hc.expectCount(0, "leaving with nothing queued makes no hypercall");
      },
      cleanup(t) {
        t.a.mov(dword(sharedAddress(t.layout.virtualTop, "mode")), 0);
      },
    });
  }
  if (has("FlushDeferredCalls")) {
    tests.push({
      name: "vmware-deferred-batch",
      calls: ["FlushDeferredCalls", write],
      emit(t) {
        const a = t.a;
        t.hc.mark();
        writeMany(t, 5);
        t.hc.expectCount(0, "five updates: no hypercall yet");
        a.mov(eax, 0xc0);
        t.call("FlushDeferredCalls", { path: "queued=5" });
        t.hc.expectCount(1, "FlushDeferredCalls flushes once");
        t.hc.expectField(0, "eax", hcNumber("FlushQueue"), "the flush is FlushQueue");
        t.hc.expectField(0, "ebx", 5, "one FlushQueue carries the five updates");
        t.expectEq(shared(t, "queueCount"), 0, "the queue is empty after FlushDeferredCalls");
      },
    });
  }
  return tests;
}

/** The i-th scratch update, counted under `path`. */
function writePteAt(t: TestCtx, i: number, path: string): void {
  t.a.mov(dword(SCRATCH + 0x5000 + 4 * i), 0);
  writePte(t, SCRATCH + 0x5000 + 4 * i, (i << 12) | 0x1000 | PRESENT_RW, path);
}

/** Enabling with an event pending delivers it by one DeliverEvents hypercall, and only then. */
function eventTests(): CallTest[] {
  const deliver = (call: "EnableInterrupts" | "SetInterruptMask"): CallTest => ({
    name: `vmware-event-${call}`,
    calls: [call, "DisableInterrupts"],
    emit(t) {
      const a = t.a;
      t.call("DisableInterrupts", { path: "setup" });
      makeTimerIrqPending(t);
      t.expectEq(t.v("ticks"), 0, "no tick yet");
      t.expectMasked(t.interruptFlag(), EFLAGS_IF, 0, "virtual IF off");
      if (call === "SetInterruptMask") {
        t.hc.mark();
        a.xor(eax, eax);
        t.call(call, { path: "mask=0,pending" });
        t.hc.expectCount(0, "SetInterruptMask(0) with an event pending: no delivery");
        t.expectEq(t.v("ticks"), 0, "no tick while masked");
      }
      t.hc.mark();
      if (call === "SetInterruptMask") a.mov(eax, EFLAGS_IF);
      t.call(call, { path: "pending" });
      if (call === "SetInterruptMask") t.expectEq(eax, EFLAGS_IF, "SetInterruptMask keeps EAX through the delivery");
      t.hc.expectCount(1, `${call} with an event pending: one hypercall`);
      t.hc.expectField(0, "eax", hcNumber("DeliverEvents"), "the hypercall is DeliverEvents");
      t.expectEq(t.v("ticks"), 1, "the pending timer interrupt was delivered");
      t.expectEq(dword(sharedAddress(t.layout.virtualTop, "pendingEvents")), 0, "nothing pending after delivery");
      t.expectMasked(t.interruptFlag(), EFLAGS_IF, EFLAGS_IF, "virtual IF on");
      t.hc.mark();
      if (call === "SetInterruptMask") a.mov(eax, EFLAGS_IF);
      t.call(call, { path: "none-pending" });
      t.hc.expectCount(0, `${call} with nothing pending: no hypercall`);
    },
    cleanup(t) {
      maskIrqs(t);
      t.a.mov(dword(sharedAddress(t.layout.virtualTop, "pendingEvents")), 0);
    },
  });
  // IRET returns with the frame's EFLAGS: the virtual flag follows the frame's IF, and enabling that way
  // delivers a waiting event first, as SetInterruptMask does.
  const iret: CallTest = {
    name: "vmware-iret-virtual-if",
    calls: ["IRET", "EnableInterrupts", "DisableInterrupts"],
    emit(t) {
      const a = t.a;
      const cases = [
        { frameIf: true, pendingEvent: false, path: "frame-if=1" },
        { frameIf: false, pendingEvent: false, path: "frame-if=0" },
        { frameIf: true, pendingEvent: true, path: "frame-if=1,pending" },
      ];
      for (const c of cases) {
        t.call(c.frameIf ? "DisableInterrupts" : "EnableInterrupts", { path: "setup", count: false });
        a.cli();
        if (c.pendingEvent) makeTimerIrqPending(t);
        t.hc.mark();
        const landing = a.newLabel();
        a.push(c.frameIf ? 0x202 : 0x002);
        a.push(SEL.code0);
        a.push(landing);
        t.land(t.callNoReturn("IRET", landing, { path: c.path }));
        a.cli();
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, c.frameIf ? EFLAGS_IF : 0, `virtual IF after IRET (${c.path})`);
        t.hc.expectCount(c.pendingEvent ? 1 : 0, `hypercalls of IRET (${c.path})`);
        if (c.pendingEvent) {
          t.hc.expectField(0, "eax", hcNumber("DeliverEvents"), "IRET enabling with an event pending delivers it");
          t.expectEq(t.v("ticks"), 1, "the pending timer interrupt was delivered before the return");
          maskIrqs(t);
        }
      }
    },
    cleanup(t) {
      maskIrqs(t);
      t.a.mov(dword(sharedAddress(t.layout.virtualTop, "pendingEvents")), 0);
    },
  };
  return [
    deliver("EnableInterrupts"),
    deliver("SetInterruptMask"),
    iret,
    {
      name: "vmware-event-Halt",
      calls: ["Halt"],
      emit(t) {
        makeTimerIrqPending(t);
        t.hc.mark();
        t.call("Halt", { path: "pending" });
        t.hc.expectCount(1, "Halt is one hypercall");
        t.hc.expectField(0, "eax", hcNumber("Halt"), "the hypercall is Halt");
        t.expectEq(t.v("ticks"), 1, "Halt returned after the timer interrupt");
        t.expectMasked(t.interruptFlag(), EFLAGS_IF, EFLAGS_IF, "Halt leaves virtual interrupts enabled");
      },
      cleanup: maskIrqs,
    },
  ];
}

type Field = "ebx" | "ecx" | "edx" | "esi" | "edi";
const FIELDS: readonly Field[] = ["ebx", "ecx", "edx", "esi", "edi"];
interface ArgCase {
  call: string;
  hc: HypercallName;
  path?: string;
  /** Loads the call's registers; `table` is a scratch buffer (a descriptor table, a TSS, an AP state). */
  setup: (t: TestCtx, table: Label) => void;
  stack?: readonly Value[];
  /** The transport registers the hypercall must carry. */
  want: (t: TestCtx, table: Label) => Partial<Record<Field, Value>>;
  /** Results the call must hand back. */
  result?: { eax?: number; edx?: number };
  cleanup?: (t: TestCtx) => void;
}

/** Field `field` of the k-th hypercall since mark() equals `want` (a register, a variable or a constant). */
function expectLogged(t: TestCtx, k: number, field: keyof typeof HC_RECORD, want: Value, what: string): void {
  const a = t.a;
  a.mov(eax, t.v("hc_test_mark"));
  a.add(eax, k);
  a.imul(eax, eax, HC_ENTRY_SIZE);
  a.mov(eax, dword(eax, MEM.hcLog + HC_RECORD[field]));
  if (want === eax) throw new Error("expectLogged: want may not be EAX");
  t.expectEq(eax, want as never, what);
}

/** Argument order for every call that makes a hypercall: one call each with distinct values, the log checked. */
function argumentTests(layout: Layout): CallTest[] {
  const api3 = layout.version.major === 3;
  const regs = (t: TestCtx, values: Partial<Record<"eax" | "ecx" | "edx", Value>>) => {
    const r = { eax, ecx, edx } as const;
    for (const [name, v] of Object.entries(values)) t.a.mov(r[name as keyof typeof r], v as never);
  };
  const current = (n: "cr0" | "cr3" | "cr4"): Pick<ArgCase, "setup" | "want"> => ({
    setup: (t) => {
      t.a.mov(eax, { cr0, cr3, cr4 }[n]);
      t.a.mov(t.v(`arg_${n}`), eax);
    },
    want: (t) => ({ ebx: t.v(`arg_${n}`) }),
  });
  const none = { setup: () => undefined, want: () => ({}) };
  const cases: ArgCase[] = [
    { call: "WRMSR", hc: "WRMSR", setup: (t) => regs(t, { ecx: 0x176, eax: 0x12345678, edx: 0 }), want: () => ({ ebx: 0x176, ecx: 0x12345678, edx: 0 }) },
    { call: "RDMSR", hc: "RDMSR", setup: (t) => regs(t, { ecx: 0x176 }), want: () => ({ ebx: 0x176 }), result: { eax: 0x12345678, edx: 0 } },
    { call: "CLTS", hc: "CLTS", ...none },
    { call: "WBINVD", hc: "WBINVD", ...none },
    { call: "INVD", hc: "INVD", ...none },
    { call: "SetCR0", hc: "SetCR0", ...current("cr0") },
    { call: "SetCR2", hc: "SetCR2", setup: (t) => regs(t, { eax: 0x12345000 }), want: () => ({ ebx: 0x12345000 }) },
    { call: "SetCR3", hc: "SetCR3", ...current("cr3") },
    { call: "SetCR4", hc: "SetCR4", ...current("cr4") },
    ...(["GetCR0", "GetCR2", "GetCR3", "GetCR4"] as const).map((n): ArgCase => ({ call: n, hc: n, ...none })),
    {
      call: "SetDR",
      hc: "SetDR",
      setup: (t) => regs(t, { eax: 3, edx: 0x4444000c }),
      want: () => ({ ebx: 3, ecx: 0x4444000c }),
      cleanup: (t) => {
        t.a.xor(eax, eax);
        t.a.mov(dr3, eax);
      },
    },
    { call: "GetDR", hc: "GetDR", setup: (t) => regs(t, { eax: 3 }), want: () => ({ ebx: 3 }) },
    {
      call: "SetIOPLMask",
      hc: "SetIOPLMask",
      setup: (t) => regs(t, { eax: EFLAGS_IOPL }),
      want: () => ({ ebx: EFLAGS_IOPL }),
      cleanup: (t) => {
        t.a.pushf();
        t.a.and(dword(esp, 0), ~EFLAGS_IOPL >>> 0);
        t.a.popf();
      },
    },
    { call: "SetGDT", hc: "SetGDT", setup: (t) => regs(t, { eax: t.labels.gdtPtr }), want: (t) => ({ ebx: t.labels.gdtPtr }) },
    { call: "SetIDT", hc: "SetIDT", setup: (t) => regs(t, { eax: t.labels.idtPtr }), want: (t) => ({ ebx: t.labels.idtPtr }) },
    {
      call: "SetLDT",
      hc: "SetLDT",
      setup: (t) => regs(t, { eax: SEL.ldt }),
      want: () => ({ ebx: SEL.ldt }),
      cleanup: (t) => {
        t.a.xor(eax, eax);
        t.a.lldt(ax);
      },
    },
    ...(["WriteGDTEntry", "WriteLDTEntry", "WriteIDTEntry"] as const).map(
      (n): ArgCase => ({
        call: n,
        hc: n,
        setup: (t, table) => regs(t, { eax: table, edx: 3, ecx: 0x11112222 }),
        stack: [0x33334444],
        want: (_t, table) => ({ ebx: table, ecx: 3, edx: 0x11112222, esi: 0x33334444 }),
      }),
    ),
    api3
      ? {
          call: "UpdateKernelStack",
          hc: "SetKernelStack",
          setup: (t) => regs(t, { eax: SEL.data0, edx: 0x00abcde0 }),
          want: () => ({ ebx: SEL.data0, ecx: 0x00abcde0 }),
        }
      : {
          call: "UpdateKernelStack",
          hc: "UpdateKernelStack",
          setup: (t, table) => regs(t, { eax: table, edx: 0x00abcde0 }),
          want: (_t, table) => ({ ebx: table, ecx: 0x00abcde0 }),
        },
    { call: "InvalPage", hc: "InvalPage", setup: (t) => regs(t, { eax: testVa(1) }), want: () => ({ ebx: testVa(1) }) },
    { call: "FlushTLB", hc: "FlushTLB", setup: (t) => regs(t, { eax: 1 }), want: () => ({ ebx: 1 }) },
    {
      call: "AllocatePage",
      hc: "AllocatePage",
      setup: (t) => regs(t, { eax: MEM.pageC >>> 12, edx: 1, ecx: 0x7f3 }),
      stack: [0x11, 0x22],
      want: () => ({ ebx: MEM.pageC >>> 12, ecx: 1, edx: 0x7f3, esi: 0x11, edi: 0x22 }),
    },
    { call: "ReleasePage", hc: "ReleasePage", setup: (t) => regs(t, { eax: MEM.pageC >>> 12, edx: 1 }), want: () => ({ ebx: MEM.pageC >>> 12, ecx: 1 }) },
    {
      call: "APICWrite",
      hc: "APICWrite",
      setup: (t) => regs(t, { eax: APIC_BASE + 0x80, edx: 0x20 }),
      want: () => ({ ebx: APIC_BASE + 0x80, ecx: 0x20 }),
      cleanup: (t) => t.a.mov(dword(APIC_BASE + 0x80), 0),
    },
    { call: "APICRead", hc: "APICRead", setup: (t) => regs(t, { eax: APIC_BASE + 0x80 }), want: () => ({ ebx: APIC_BASE + 0x80 }) },
    {
      call: "SetInitialAPState",
      hc: "SetInitialAPState",
      setup: (t, table) => regs(t, { eax: table, edx: 1 }),
      want: (_t, table) => ({ ebx: table, ecx: 1 }),
      result: { eax: 0 },
    },
    { call: "GetCycleFrequency", hc: "GetCycleFrequency", ...none, result: { eax: MODEL_CYCLE_HZ, edx: 0 } },
    { call: "GetCycleCounter", hc: "GetCycleCounter", path: "stolen", setup: (t) => regs(t, { eax: 2 }), want: () => ({ ebx: 2 }), result: { eax: 0, edx: 0 } },
    {
      call: "SetAlarm",
      hc: "SetAlarm",
      setup: (t) => regs(t, { eax: 0x11, edx: 0x22222222, ecx: 0x33 }),
      stack: [0x44444444, 0x55],
      want: () => ({ ebx: 0x11, ecx: 0x22222222, edx: 0x33, esi: 0x44444444, edi: 0x55 }),
      result: { eax: 0 },
    },
    { call: "CancelAlarm", hc: "CancelAlarm", path: "armed", setup: (t) => regs(t, { eax: 0x11 }), want: () => ({ ebx: 0x11 }), result: { eax: 1 } },
    { call: "CancelAlarm", hc: "CancelAlarm", path: "disarmed", setup: (t) => regs(t, { eax: 0x11 }), want: () => ({ ebx: 0x11 }), result: { eax: 0 } },
    { call: "GetWallclockTime", hc: "GetWallclockTime", ...none, result: { eax: MODEL_WALLCLOCK_NS.lo, edx: MODEL_WALLCLOCK_NS.hi } },
    { call: "WallclockUpdated", hc: "WallclockUpdated", ...none, result: { eax: 0 } },
  ];
  return cases
    .filter((c) => layout.calls.some((x) => x.name === c.call))
    .map(
      (c): CallTest => ({
        name: `vmware-args-${c.call}${c.path ? `-${c.path}` : ""}`,
        calls: [c.call],
        emit(t) {
          const table = t.scratch(TSS_SIZE, 16);
          c.setup(t, table);
          t.hc.mark();
          t.call(c.call, { path: c.path ?? "args", ...(c.stack ? { stack: c.stack } : {}) });
          if (c.result?.eax !== undefined) t.expectEq(eax, c.result.eax >>> 0, `${c.call}: EAX from the hypercall`);
          if (c.result?.edx !== undefined) t.expectEq(edx, c.result.edx >>> 0, `${c.call}: EDX from the hypercall`);
          t.hc.expectCount(1, `${c.call} is one hypercall`);
          t.hc.expectField(0, "eax", hcNumber(c.hc), `${c.call}: EAX = ${c.hc} (0x${hcNumber(c.hc).toString(16)})`);
          const want = c.want(t, table);
          for (const f of FIELDS) {
            const v = want[f];
            if (v === undefined) continue;
            expectLogged(t, 0, f, v, `${c.call}: ${f.toUpperCase()} = ${HYPERCALLS[c.hc].args[FIELDS.indexOf(f)] ?? "?"}`);
          }
        },
        ...(c.cleanup ? { cleanup: c.cleanup } : {}),
      }),
    );
}

/** What Init set up: an empty queue, batching off, the virtual IF as the guest had it (off: Init runs under cli). */
function initStateTest(): CallTest {
  return {
    name: "vmware-init-state",
    calls: [],
    emit(t) {
      t.expectEq(shared(t, "queueCount"), 0, "Init: the queue is empty");
      t.expectEq(shared(t, "mode"), 0, "Init: batching off");
      t.expectMasked(t.interruptFlag(), EFLAGS_IF, 0, "Init: the virtual IF copies the guest's (off)");
    },
  };
}

export const vmwareExpectations: BackendExpectations = {
  backend: "vmware",
  tests(layout: Layout) {
    const api3 = layout.version.major === 3;
    const effects: CallTest[] = [
      ...commonEffectTests(layout),
      ...(api3 ? [] : [kernelStackToTss()]),
      ...identityTranslationTests("shadow paging has no machine addresses of its own"),
      returnsTest("Pause", (a) => a.pause()),
      returnsTest("IODelay"),
      returnsTest("SetCallbacks"),
    ];
    return [
      initStateTest(),
      ...effects.map(drained),
      ...interestingTests(layout).map(drained),
      translationTest(layout),
      ...queueTests(layout).map(drained),
      ...eventTests(),
      ...argumentTests(layout).map(drained),
    ];
  },
  untested: {
    Reboot: "resets the machine: qemu -no-reboot then exits with status 0, indistinguishable from a triple fault",
    Shutdown: "halts the virtual machine for good: the run could only end by timeout",
  },
  hypervisor: vmwareModel,
  sharedAreaUntouched: false,
};
