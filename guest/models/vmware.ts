// The guest plays the vmware backend's hypervisor. Every hypercall arrives as a vmcall (#UD under qemu's
// software CPU); the model decodes EAX against the contract (roms/vmware/hypercalls.ts, the table
// docs/hypervisors.md prints), checks the argument registers the contract gives, and performs the effect on
// the real machine so that the same effect tests as on native pass: SetCR3 loads CR3, FlushTLB reloads it,
// SetGDT runs lgdt, FlushQueue walks the update queue and checks that each queued entry landed in guest memory,
// DeliverEvents lets the pending interrupt in, and so on. An unknown number is fatal; a bad argument is a FAIL
// line naming the hypercall, and its effect is not applied.
//
// The shared area's address comes from the layout, which only `setup` sees: it stores it in a guest variable
// (hv_top) that the rest of the model reads at run time.

import {
  al,
  bx,
  cr0,
  cr2,
  cr3,
  cr4,
  dr0,
  dr1,
  dr2,
  dr3,
  dr6,
  dr7,
  dword,
  eax,
  ebp,
  ebx,
  ecx,
  edi,
  edx,
  esi,
  mem,
  type CtrlReg,
  type DbgReg,
  type Label,
  type Mem32,
  type Reg32,
} from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { QUEUE_CAPACITY, QUEUE_ENTRY, SHARED_AREA } from "../../src/layout/shared-area.ts";
import { ASYNC, HYPERCALLS, type HypercallName } from "../../roms/vmware/hypercalls.ts";
import type { GuestAsm } from "../emitter.ts";
import { APIC_BASE, EXIT, IDENTITY_BYTES, PAGE_OFFSET } from "../memory.ts";
import { FRAME, type HypervisorModel } from "../traps.ts";
import { presentHypervisor } from "./present.ts";

const EFLAGS_IF = 0x200;
const EFLAGS_IOPL = 0x3000;
const CR4_PGE = 0x80;
const CR0_PE_PG = 0x80000001;
/** The model's clock: what GetCycleFrequency and GetWallclockTime answer (fixed, so tests can check them). */
export const MODEL_CYCLE_HZ = 1_000_000_000;
export const MODEL_WALLCLOCK_NS = { lo: 0x89abcdef, hi: 0x17b0a1c2 } as const;
/** Accessed and dirty: the CPU sets them itself between the guest's write and the flush. */
const CPU_SET_BITS = 0x60;

/** Registers of the trap frame, by the transport's names. */
const ARG = { EBX: FRAME.ebx, ECX: FRAME.ecx, EDX: FRAME.edx, ESI: FRAME.esi, EDI: FRAME.edi } as const;
type ArgName = keyof typeof ARG;

/** The queue walk both FlushQueue and the end-of-test drain run, per guest program. */
const queueWalks = new WeakMap<GuestAsm, Label>();
const walkPlaced = new WeakSet<GuestAsm>();

/** Label of the routine that checks and applies the queue (preserves EBP, EDI; clobbers the rest). */
export function queueWalk(g: GuestAsm): Label {
  let l = queueWalks.get(g);
  if (!l) {
    l = g.a.newLabel("hv_queue_walk");
    queueWalks.set(g, l);
  }
  return l;
}

/** Field of the shared area, addressed through ESI = hv_top. */
const field = (name: keyof typeof SHARED_AREA, extra = 0) => dword(esi, SHARED_AREA[name].offset + extra);

/** FAIL line for a hypercall that broke the contract (no effect applied); `got` is printed. */
function contractFail(g: GuestAsm, hcName: string, what: string, got: Reg32 | Mem32, want: number): void {
  g.print("GUEST: FAIL test=");
  g.printStrAt(g.v("cur_test"));
  g.print(" call=");
  g.printStrAt(g.v("cur_call"));
  g.print(" path=");
  g.printStrAt(g.v("cur_path"));
  g.printKeyHex(" got=", got);
  g.printKeyHex(" want=", want >>> 0);
  g.print(` what=hypercall ${hcName}: ${what}\n`);
  g.a.inc(g.v("fail_count"));
}

type Check = (g: GuestAsm, failWith: (what: string, got: Reg32, want: number) => void) => void;

/** arg & mask must be 0. */
const noBits =
  (arg: ArgName, mask: number, what: string): Check =>
  (g, failWith) => {
    const ok = g.a.newLabel();
    g.a.mov(eax, dword(ebp, ARG[arg]));
    g.a.test(eax, mask >>> 0);
    g.a.jz(ok);
    failWith(`${arg} ${what}`, eax, 0);
    g.a.label(ok);
  };
/** lo <= arg < hi. */
const inRange =
  (arg: ArgName, lo: number, hi: number, what: string): Check =>
  (g, failWith) => {
    const ok = g.a.newLabel(),
      no = g.a.newLabel();
    g.a.mov(eax, dword(ebp, ARG[arg]));
    g.a.cmp(eax, lo >>> 0);
    g.a.jb(no);
    g.a.cmp(eax, hi >>> 0);
    g.a.jb(ok);
    g.a.label(no);
    failWith(`${arg} ${what}`, eax, lo);
    g.a.label(ok);
  };
const nonZero =
  (arg: ArgName, what: string): Check =>
  (g, failWith) => {
    const ok = g.a.newLabel();
    g.a.mov(eax, dword(ebp, ARG[arg]));
    g.a.test(eax, eax);
    g.a.jnz(ok);
    failWith(`${arg} ${what}`, eax, 1);
    g.a.label(ok);
  };

/** Result registers of the frame. */
const setResult = (g: GuestAsm, lo: Reg32 | number, hi?: Reg32 | number) => {
  g.a.mov(dword(ebp, FRAME.eax), lo as Reg32);
  if (hi !== undefined) g.a.mov(dword(ebp, FRAME.edx), hi as Reg32);
};

const CRS: Record<0 | 2 | 3 | 4, CtrlReg> = { 0: cr0, 2: cr2, 3: cr3, 4: cr4 };
const DRS: ReadonlyArray<[number, DbgReg]> = [
  [0, dr0],
  [1, dr1],
  [2, dr2],
  [3, dr3],
  [6, dr6],
  [7, dr7],
];

interface Handler {
  checks?: readonly Check[];
  /** The effect; the frame is at EBP, ESI = hv_top. */
  effect: (g: GuestAsm) => void;
}

const arg = (name: ArgName) => dword(ebp, ARG[name]);

function handlers(): Record<HypercallName, Handler> {
  const setCr = (n: 0 | 2 | 3 | 4, checks: Check[] = []): Handler => ({
    checks,
    effect: (g) => {
      g.a.mov(eax, arg("EBX"));
      g.a.mov(CRS[n], eax);
    },
  });
  const getCr = (n: 0 | 2 | 3 | 4): Handler => ({
    effect: (g) => {
      g.a.mov(eax, CRS[n]);
      setResult(g, eax);
    },
  });
  const writeEntry: Handler = {
    checks: [nonZero("EBX", "(the table) is null"), inRange("ECX", 0, 8192, "(the index) is beyond any descriptor table")],
    effect: (g) => {
      const a = g.a;
      a.mov(ebx, arg("EBX"));
      a.mov(ecx, arg("ECX"));
      a.mov(eax, arg("EDX"));
      a.mov(dword({ base: ebx, index: ecx, scale: 8 }), eax);
      a.mov(eax, arg("ESI"));
      a.mov(dword({ base: ebx, index: ecx, scale: 8, disp: 4 }), eax);
    },
  };
  const selector = (what: string): Check[] => [
    inRange("EBX", 0, 0x10000, `(${what} selector) is not 16 bits`),
    noBits("EBX", 4, `(${what} selector) points into an LDT`),
  ];
  const apicReg = inRange("EBX", APIC_BASE, APIC_BASE + 0x1000, "is not a local APIC register");
  const debugReg = (body: (g: GuestAsm, r: DbgReg) => void, otherwise: (g: GuestAsm) => void): Handler => ({
    checks: [inRange("EBX", 0, 8, "(the debug register number) is above 7")],
    effect: (g) => {
      const a = g.a;
      const done = a.newLabel();
      a.mov(eax, arg("EBX"));
      for (const [n, r] of DRS) {
        const next = a.newLabel();
        a.cmp(eax, n);
        a.jne(next);
        body(g, r);
        a.jmp(done);
        a.label(next);
      }
      otherwise(g);
      a.label(done);
    },
  });
  /** sti, let the pending interrupt in, cli; the event is delivered. */
  const deliver = (g: GuestAsm, halt: boolean) => {
    g.a.sti();
    if (halt) g.a.hlt();
    else g.a.nop();
    g.a.cli();
    g.a.mov(field("pendingEvents"), 0);
  };
  return {
    WRMSR: {
      effect: (g) => {
        g.a.mov(ecx, arg("EBX"));
        g.a.mov(eax, arg("ECX"));
        g.a.mov(edx, arg("EDX"));
        g.a.wrmsr();
      },
    },
    RDMSR: {
      effect: (g) => {
        g.a.mov(ecx, arg("EBX"));
        g.a.rdmsr();
        setResult(g, eax, edx);
      },
    },
    CLTS: { effect: (g) => g.a.clts() },
    WBINVD: { effect: (g) => g.a.wbinvd() },
    // A hypervisor never lets a guest drop dirty lines it shares with others: INVD is done as WBINVD.
    INVD: { effect: (g) => g.a.wbinvd() },
    SetCR0: setCr(0, [
      (g, failWith) => {
        const ok = g.a.newLabel();
        g.a.mov(eax, arg("EBX"));
        g.a.and(eax, CR0_PE_PG);
        g.a.cmp(eax, CR0_PE_PG);
        g.a.je(ok);
        failWith("EBX turns protection or paging off", eax, CR0_PE_PG);
        g.a.label(ok);
      },
    ]),
    SetCR2: setCr(2),
    SetCR3: setCr(3, [
      noBits("EBX", 0xfff, "(the page directory) is not page aligned"),
      inRange("EBX", 0x1000, IDENTITY_BYTES, "(the page directory) is outside guest RAM"),
    ]),
    SetCR4: setCr(4),
    GetCR0: getCr(0),
    GetCR2: getCr(2),
    GetCR3: getCr(3),
    GetCR4: getCr(4),
    SetDR: debugReg(
      (g, r) => {
        g.a.mov(eax, arg("ECX"));
        g.a.mov(r, eax);
      },
      () => undefined,
    ),
    GetDR: debugReg(
      (g, r) => {
        g.a.mov(eax, r);
        setResult(g, eax);
      },
      (g) => setResult(g, 0),
    ),
    SetIOPLMask: {
      checks: [noBits("EBX", ~EFLAGS_IOPL, "has bits besides IOPL")],
      effect: (g) => {
        g.a.mov(eax, dword(ebp, FRAME.eflags));
        g.a.and(eax, ~EFLAGS_IOPL >>> 0);
        g.a.or(eax, arg("EBX"));
        g.a.mov(dword(ebp, FRAME.eflags), eax);
      },
    },
    SetGDT: {
      checks: [nonZero("EBX", "(&dtr) is null")],
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.lgdt(mem(ebx));
      },
    },
    SetIDT: {
      checks: [nonZero("EBX", "(&dtr) is null")],
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.lidt(mem(ebx));
      },
    },
    SetLDT: {
      checks: selector("LDT"),
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.lldt(bx);
      },
    },
    SetTR: {
      checks: selector("TSS"),
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.ltr(bx);
      },
    },
    WriteGDTEntry: writeEntry,
    WriteLDTEntry: writeEntry,
    WriteIDTEntry: writeEntry,
    UpdateKernelStack: {
      checks: [nonZero("EBX", "(&TSS) is null")],
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.mov(eax, arg("ECX"));
        g.a.mov(dword(ebx, 4), eax);
      },
    },
    // api3: the hypervisor keeps the guest's ring-0 stack itself (recorded for the tests).
    SetKernelStack: {
      checks: [inRange("EBX", 8, 0x10000, "(SS) is not a GDT selector"), noBits("EBX", 7, "(SS) is not a ring-0 GDT selector")],
      effect: (g) => {
        g.a.mov(eax, arg("EBX"));
        g.a.mov(g.v("hv_ss0"), eax);
        g.a.mov(eax, arg("ECX"));
        g.a.mov(g.v("hv_esp0"), eax);
      },
    },
    DeliverEvents: { effect: (g) => deliver(g, false) },
    Halt: { effect: (g) => deliver(g, true) },
    Reboot: {
      checks: [inRange("EBX", 0, 2, "is neither 0 (soft) nor 1 (hard)")],
      effect: (g) => {
        const again = g.a.newLabel();
        g.a.mov(al, 0xfe);
        g.a.out(0x64, al);
        g.a.label(again);
        g.a.cli();
        g.a.hlt();
        g.a.jmp(again);
      },
    },
    Shutdown: {
      effect: (g) => {
        const again = g.a.newLabel();
        g.a.label(again);
        g.a.cli();
        g.a.hlt();
        g.a.jmp(again);
      },
    },
    FlushQueue: {
      checks: [
        inRange("EBX", 1, QUEUE_CAPACITY + 1, "(entries) is not 1..32"),
        (g, failWith) => {
          const ok = g.a.newLabel();
          g.a.mov(eax, arg("EBX"));
          g.a.cmp(eax, field("queueCount"));
          g.a.je(ok);
          failWith("EBX (entries) differs from queueCount", eax, 0);
          g.a.label(ok);
        },
      ],
      effect: (g) => {
        g.a.inc(g.v("hv_flushes"));
        g.a.call(queueWalk(g));
      },
    },
    InvalPage: {
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.invlpg(mem(ebx));
      },
    },
    FlushTLB: {
      checks: [noBits("EBX", ~3, "(flags) has bits besides TLB (1) and GLOBAL (2)"), nonZero("EBX", "(flags) is 0")],
      effect: (g) => {
        const a = g.a;
        const local = a.newLabel();
        a.test(arg("EBX"), 2);
        a.jz(local);
        a.mov(ecx, cr4);
        a.mov(edx, ecx);
        a.and(ecx, ~CR4_PGE >>> 0);
        a.mov(cr4, ecx);
        a.mov(cr4, edx);
        a.label(local);
        a.mov(ecx, cr3);
        a.mov(cr3, ecx);
      },
    },
    AllocatePage: {
      checks: [inRange("EBX", 1, IDENTITY_BYTES >>> 12, "(pfn) is outside guest RAM"), noBits("ECX", ~0x7f, "(flags) has unknown bits")],
      effect: (g) => {
        for (const [r, v] of [
          ["EBX", "hv_alloc_pfn"],
          ["ECX", "hv_alloc_flags"],
        ] as const) {
          g.a.mov(eax, arg(r));
          g.a.mov(g.v(v), eax);
        }
      },
    },
    ReleasePage: {
      checks: [inRange("EBX", 1, IDENTITY_BYTES >>> 12, "(pfn) is outside guest RAM"), noBits("ECX", ~0x7f, "(flags) has unknown bits")],
      effect: (g) => {
        g.a.mov(eax, arg("EBX"));
        g.a.mov(g.v("hv_release_pfn"), eax);
      },
    },
    APICWrite: {
      checks: [apicReg, noBits("EBX", 0xf, "is not a 16-byte aligned APIC register")],
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.mov(eax, arg("ECX"));
        g.a.mov(dword(ebx, 0), eax);
      },
    },
    APICRead: {
      checks: [apicReg, noBits("EBX", 0xf, "is not a 16-byte aligned APIC register")],
      effect: (g) => {
        g.a.mov(ebx, arg("EBX"));
        g.a.mov(eax, dword(ebx, 0));
        setResult(g, eax);
      },
    },
    SetInitialAPState: { checks: [nonZero("EBX", "(&state) is null")], effect: (g) => setResult(g, 0) },
    GetCycleFrequency: { effect: (g) => setResult(g, MODEL_CYCLE_HZ, 0) },
    GetCycleCounter: {
      checks: [inRange("EBX", 0, 3, "is not 0 (real), 1 (available) or 2 (stolen)")],
      effect: (g) => {
        const a = g.a;
        const stolen = a.newLabel(),
          done = a.newLabel();
        a.cmp(arg("EBX"), 2);
        a.je(stolen);
        a.rdtsc();
        setResult(g, eax, edx);
        a.jmp(done);
        a.label(stolen);
        setResult(g, 0, 0); // nothing is ever stolen from the model's processor
        a.label(done);
      },
    },
    SetAlarm: {
      effect: (g) => {
        for (const [r, v] of [
          ["EBX", "hv_alarm_flags"],
          ["ECX", "hv_alarm_expiry_lo"],
          ["EDX", "hv_alarm_expiry_hi"],
          ["ESI", "hv_alarm_period_lo"],
          ["EDI", "hv_alarm_period_hi"],
        ] as const) {
          g.a.mov(eax, arg(r));
          g.a.mov(g.v(v), eax);
        }
        g.a.mov(g.v("hv_alarm_armed"), 1);
        setResult(g, 0);
      },
    },
    CancelAlarm: {
      effect: (g) => {
        g.a.mov(eax, g.v("hv_alarm_armed"));
        setResult(g, eax);
        g.a.mov(g.v("hv_alarm_armed"), 0);
      },
    },
    GetWallclockTime: { effect: (g) => setResult(g, MODEL_WALLCLOCK_NS.lo, MODEL_WALLCLOCK_NS.hi) },
    WallclockUpdated: { effect: (g) => setResult(g, 0) },
  };
}

/**
 * The queue walk: every entry must be a known async update whose value is in guest memory at its physical
 * address (read through the PAGE_OFFSET alias of low memory, ignoring A/D bits the CPU sets itself); then
 * queueCount = 0. A bad entry is a FAIL line; the walk goes on.
 */
function emitQueueWalk(g: GuestAsm): void {
  const a = g.a;
  a.label(queueWalk(g));
  a.push(ebp);
  a.push(edi);
  a.mov(esi, g.v("hv_top"));
  const loop = a.newLabel(),
    done = a.newLabel(),
    next = a.newLabel();
  a.mov(ecx, field("queueCount"));
  a.cmp(ecx, QUEUE_CAPACITY);
  const countOk = a.newLabel();
  a.jbe(countOk);
  contractFail(g, "FlushQueue", "queueCount exceeds the queue", ecx, QUEUE_CAPACITY);
  a.jmp(done);
  a.label(countOk);
  a.xor(edi, edi);
  a.label(loop);
  a.cmp(edi, field("queueCount"));
  a.jae(done);
  a.imul(ebp, edi, QUEUE_ENTRY.size);
  a.lea(ebp, mem({ base: esi, index: ebp, scale: 1, disp: SHARED_AREA.queue.offset }));
  const entry = (f: keyof Omit<typeof QUEUE_ENTRY, "size">) => dword(ebp, QUEUE_ENTRY[f]);
  const single = a.newLabel(),
    long = a.newLabel(),
    landed = a.newLabel();
  a.mov(eax, entry("hypercall"));
  a.cmp(eax, ASYNC.SetPxEAsync.number);
  a.je(single);
  a.cmp(eax, ASYNC.SetPxELongAsync.number);
  a.je(long);
  contractFail(g, "FlushQueue", "a queued entry has an unknown number", eax, ASYNC.SetPxEAsync.number);
  a.jmp(next);
  a.label(single);
  a.cmp(entry("arg1"), 0);
  const arg1Ok = a.newLabel();
  a.je(arg1Ok);
  contractFail(g, "FlushQueue", "SetPxEAsync entry with arg1 != 0", entry("arg1"), 0);
  a.label(arg1Ok);
  a.label(long);
  a.cmp(entry("arg2"), 0);
  const arg2Ok = a.newLabel();
  a.je(arg2Ok);
  contractFail(g, "FlushQueue", "queued entry with arg2 != 0", entry("arg2"), 0);
  a.label(arg2Ok);
  a.mov(ebx, entry("pa"));
  a.cmp(ebx, IDENTITY_BYTES - 8);
  const paOk = a.newLabel();
  a.jb(paOk);
  contractFail(g, "FlushQueue", "queued pa outside the guest RAM the model reaches", ebx, 0);
  a.jmp(next);
  a.label(paOk);
  a.mov(eax, dword(ebx, PAGE_OFFSET));
  a.xor(eax, entry("value"));
  a.test(eax, ~CPU_SET_BITS >>> 0);
  const lowOk = a.newLabel();
  a.jz(lowOk);
  contractFail(g, "FlushQueue", "the queued entry is not what memory holds at pa (the PTE did not land)", entry("pa"), 0);
  a.jmp(next);
  a.label(lowOk);
  a.cmp(entry("hypercall"), ASYNC.SetPxELongAsync.number);
  a.jne(landed);
  a.mov(eax, dword(ebx, PAGE_OFFSET + 4));
  a.cmp(eax, entry("arg1"));
  a.je(landed);
  contractFail(g, "FlushQueue", "the queued high half is not what memory holds at pa + 4", entry("pa"), 0);
  a.jmp(next);
  a.label(landed);
  a.inc(g.v("hv_applied"));
  a.label(next);
  a.inc(edi);
  a.jmp(loop);
  a.label(done);
  a.mov(field("queueCount"), 0);
  a.pop(edi);
  a.pop(ebp);
  a.ret();
}

function emitDispatch(g: GuestAsm): void {
  const a = g.a;
  const table = handlers();
  const done = a.newLabel(),
    unknown = a.newLabel();
  a.mov(esi, g.v("hv_top"));
  a.mov(eax, dword(ebp, FRAME.eax));
  const names = Object.keys(HYPERCALLS) as HypercallName[];
  const targets = names.map((n) => ({ n, label: a.newLabel() }));
  for (const { n, label } of targets) {
    a.cmp(eax, HYPERCALLS[n].number);
    a.je(label);
  }
  a.jmp(unknown);
  targets.forEach(({ n, label }) => {
    const h = table[n];
    a.label(label);
    const skip = a.newLabel();
    for (const check of h.checks ?? []) {
      check(g, (what, got, want) => {
        contractFail(g, `${n} (0x${HYPERCALLS[n].number.toString(16)})`, what, got, want);
        a.jmp(skip);
      });
    }
    a.mov(esi, g.v("hv_top"));
    h.effect(g);
    a.jmp(done);
    a.label(skip);
    a.jmp(done);
  });
  a.label(unknown);
  g.printKeyHex("GUEST: FATAL hypercall=unknown eax=", dword(ebp, FRAME.eax));
  g.printKeyHex(" eip=", dword(ebp, FRAME.eip));
  g.print(" what=not a number of the vmware contract (docs/hypervisors.md)\n");
  a.push(EXIT.fatal);
  a.call(g.rt.exit);
  a.label(done);
}

export const vmwareModel: HypervisorModel = {
  transports: ["vmcall"],
  emit(g) {
    // emit runs once per transport tail the guest builds; the queue walk is placed once.
    const a = g.a;
    if (!walkPlaced.has(g)) {
      walkPlaced.add(g);
      const over = a.newLabel();
      a.jmp(over);
      emitQueueWalk(g);
      a.label(over);
    }
    emitDispatch(g);
  },
  setup(g: GuestAsm, layout: Layout) {
    g.a.mov(g.v("hv_top"), layout.virtualTop >>> 0);
    presentHypervisor(g, layout, "vmware");
    g.a.mov(dword(layout.virtualTop + SHARED_AREA.pendingEvents.offset), 0);
  },
  interruptFlag(g) {
    g.a.mov(eax, g.v("hv_top"));
    g.a.mov(eax, dword(eax, SHARED_AREA.interruptFlag.offset));
    g.a.and(eax, EFLAGS_IF);
  },
  postEvent(g) {
    g.a.push(eax);
    g.a.mov(eax, g.v("hv_top"));
    g.a.mov(dword(eax, SHARED_AREA.pendingEvents.offset), EFLAGS_IF);
    g.a.pop(eax);
  },
};

/** Emits a drain of the update queue as the hypervisor would do at its next exit (preserves every register). */
export function emitDrain(g: GuestAsm): void {
  g.a.pusha();
  g.a.call(queueWalk(g));
  g.a.popa();
}
