// The vmware backend's hypercall contract, defined once: the ROM emits these numbers and argument registers,
// the test guest's model (guest/models/vmware.ts) decodes and checks them, and docs/hypervisors.md
// prints the same table (test/roms/vmware-hypercalls.test.ts keeps the two in step).
//
// Transport: `vmcall` with EAX = number, arguments in EBX, ECX, EDX, ESI, EDI (in that order), result in EAX
// (EDX:EAX for 64-bit results); every other register and the flags' meaning are preserved. Queued updates
// (VMIEnqueue entries) carry numbers of their own (ASYNC_*) and are only ever delivered by FlushQueue.

/** Argument registers of the transport, in argument order. */
import type { HypervisorContract } from "../../src/layout/c-header.ts";

export const HC_ARG_REGS = ["EBX", "ECX", "EDX", "ESI", "EDI"] as const;
export type HcArgReg = (typeof HC_ARG_REGS)[number];

export interface HypercallDef {
  readonly number: number;
  /** Argument names, in HC_ARG_REGS order (the first is in EBX). */
  readonly args: readonly string[];
  /** What comes back: nothing, EAX or EDX:EAX. */
  readonly result: "" | "EAX" | "EDX:EAX";
  /** The effect the hypervisor performs, in a few words. */
  readonly effect: string;
}

export const HYPERCALLS = {
  // Processor state
  WRMSR: { number: 0x01, args: ["msr", "value low", "value high"], result: "", effect: "wrmsr" },
  RDMSR: { number: 0x02, args: ["msr"], result: "EDX:EAX", effect: "rdmsr" },
  CLTS: { number: 0x03, args: [], result: "", effect: "clear CR0.TS" },
  WBINVD: { number: 0x04, args: [], result: "", effect: "write back and invalidate caches" },
  INVD: { number: 0x05, args: [], result: "", effect: "invalidate caches (a hypervisor may write back first)" },
  SetCR0: { number: 0x06, args: ["value"], result: "", effect: "CR0 = value" },
  SetCR2: { number: 0x07, args: ["value"], result: "", effect: "CR2 = value" },
  SetCR3: { number: 0x08, args: ["value"], result: "", effect: "CR3 = value (the ROM flushes the update queue first)" },
  SetCR4: { number: 0x09, args: ["value"], result: "", effect: "CR4 = value" },
  GetCR0: { number: 0x0a, args: [], result: "EAX", effect: "CR0" },
  GetCR2: { number: 0x0b, args: [], result: "EAX", effect: "CR2" },
  GetCR3: { number: 0x0c, args: [], result: "EAX", effect: "CR3" },
  GetCR4: { number: 0x0d, args: [], result: "EAX", effect: "CR4" },
  SetDR: { number: 0x0e, args: ["register number", "value"], result: "", effect: "DRn = value (0-3, 6, 7; others ignored)" },
  GetDR: { number: 0x0f, args: ["register number"], result: "EAX", effect: "DRn (0 for other numbers)" },
  SetIOPLMask: { number: 0x10, args: ["IOPL bits (EFLAGS 12-13)"], result: "", effect: "the caller's EFLAGS.IOPL = bits" },
  // Descriptor tables and the kernel stack
  SetGDT: { number: 0x20, args: ["&dtr"], result: "", effect: "lgdt" },
  SetIDT: { number: 0x21, args: ["&dtr"], result: "", effect: "lidt" },
  SetLDT: { number: 0x22, args: ["selector"], result: "", effect: "lldt" },
  SetTR: { number: 0x23, args: ["selector"], result: "", effect: "ltr" },
  WriteGDTEntry: { number: 0x24, args: ["table", "index", "descriptor low", "descriptor high"], result: "", effect: "table[index] = descriptor" },
  WriteLDTEntry: { number: 0x25, args: ["table", "index", "descriptor low", "descriptor high"], result: "", effect: "table[index] = descriptor" },
  WriteIDTEntry: { number: 0x26, args: ["table", "index", "descriptor low", "descriptor high"], result: "", effect: "table[index] = descriptor" },
  UpdateKernelStack: { number: 0x27, args: ["&TSS", "esp0"], result: "", effect: "TSS.esp0 = esp0 (api13 and the spec)" },
  SetKernelStack: {
    number: 0x28,
    args: ["SS selector", "esp0"],
    result: "",
    effect: "the hypervisor's ring-0 stack for the guest = SS:esp0 (api3: Linux passes a selector)",
  },
  // Interrupts and the processor's run state
  DeliverEvents: { number: 0x30, args: [], result: "", effect: "deliver the pending events (pendingEvents = 0 after)" },
  Halt: { number: 0x31, args: [], result: "", effect: "wait for an event with interrupts enabled, deliver it" },
  Reboot: { number: 0x32, args: ["0 soft / 1 hard"], result: "", effect: "reset the virtual machine" },
  Shutdown: { number: 0x33, args: [], result: "", effect: "power the virtual machine off" },
  // Paging
  FlushQueue: { number: 0x40, args: ["entries"], result: "", effect: "apply the update queue's entries (queueCount of them) and set queueCount = 0" },
  InvalPage: { number: 0x41, args: ["va"], result: "", effect: "invlpg va (the ROM flushes the update queue first)" },
  FlushTLB: { number: 0x42, args: ["flags (1 TLB, 2 global)"], result: "", effect: "flush the TLB (the ROM flushes the update queue first)" },
  AllocatePage: { number: 0x43, args: ["pfn", "flags", "clone pfn", "clone start", "clone count"], result: "", effect: "pfn becomes a page table (trace it)" },
  ReleasePage: { number: 0x44, args: ["pfn", "flags"], result: "", effect: "pfn stops being a page table (the ROM flushes the update queue first)" },
  // Platform and time
  APICWrite: { number: 0x50, args: ["register address", "value"], result: "", effect: "write the local APIC register" },
  APICRead: { number: 0x51, args: ["register address"], result: "EAX", effect: "read the local APIC register" },
  SetInitialAPState: { number: 0x52, args: ["&state", "APIC id"], result: "EAX", effect: "start a processor with the state (0 = done)" },
  GetCycleFrequency: { number: 0x53, args: [], result: "EDX:EAX", effect: "cycles per second of GetCycleCounter" },
  GetCycleCounter: { number: 0x54, args: ["0 real / 1 available / 2 stolen"], result: "EDX:EAX", effect: "the counter" },
  SetAlarm: { number: 0x55, args: ["flags", "expiry low", "expiry high", "period low", "period high"], result: "EAX", effect: "arm the alarm (0 = done)" },
  CancelAlarm: { number: 0x56, args: ["flags"], result: "EAX", effect: "disarm; 1 if an alarm was armed" },
  GetWallclockTime: { number: 0x57, args: [], result: "EDX:EAX", effect: "nanoseconds since the epoch" },
  WallclockUpdated: { number: 0x58, args: [], result: "EAX", effect: "1 if the wallclock was set since the last call" },
} as const satisfies Record<string, HypercallDef>;
export type HypercallName = keyof typeof HYPERCALLS;

/** Numbers of queued updates (VMIEnqueue's last argument); never issued with vmcall, applied by FlushQueue. */
export const ASYNC = {
  /** {pa, pte, 0, 0}: the 32-bit entry at physical pa now holds pte (VMware's HC_SetPxEAsync). */
  SetPxEAsync: { number: 0x89, fields: ["pa", "pte", "0", "0"], effect: "the 32-bit entry at pa holds pte" },
  /** {pa, low, high, 0}: the 64-bit (PAE) entry at physical pa now holds high:low. */
  SetPxELongAsync: { number: 0x8a, fields: ["pa", "pte low", "pte high", "0"], effect: "the 64-bit entry at pa holds high:low" },
} as const;

export function hc(name: HypercallName): number {
  return HYPERCALLS[name].number;
}

/** Every number once: a duplicate would make the model's decoding ambiguous. */
export function hypercallProblems(): string[] {
  const seen = new Map<number, string>();
  const out: string[] = [];
  const all: Array<[string, number, number]> = [
    ...Object.entries(HYPERCALLS).map(([n, d]): [string, number, number] => [n, d.number, d.args.length]),
    ...Object.entries(ASYNC).map(([n, d]): [string, number, number] => [n, d.number, 0]),
  ];
  for (const [name, number, args] of all) {
    const prev = seen.get(number);
    if (prev) out.push(`${name} and ${prev} share number 0x${number.toString(16)}`);
    seen.set(number, name);
    if (args > HC_ARG_REGS.length) out.push(`${name} has ${args} arguments; the transport carries ${HC_ARG_REGS.length}`);
  }
  return out;
}

/** The same numbers as C names for vmi-api<major>.h (VMI_API<major>_VMWARE_HC_<name>, ..._ASYNC_<name>). */
export const vmwareContract: HypervisorContract = {
  prefix: "VMWARE",
  title: "vmware contract: vmcall with EAX = number, arguments in EBX, ECX, EDX, ESI, EDI (docs/hypervisors.md)",
  groups: [
    { name: "HC", doc: "hypercall numbers", values: Object.fromEntries(Object.entries(HYPERCALLS).map(([n, d]) => [n, d.number])) },
    {
      name: "ASYNC",
      doc: "queued updates (entry {pa, value, arg1, arg2, number}), applied by FlushQueue",
      values: Object.fromEntries(Object.entries(ASYNC).map(([n, d]) => [n, d.number])),
    },
  ],
};
