// The Xen 3.x paravirtual ABI as the xen backend speaks it, described once: hypercall numbers, the argument
// registers each hypercall the ROM makes receives, the shared_info fields it reads, and the machine-address
// scheme. The ROM code (roms/xen/*), the test guest's model (guest/models/xen.ts) and the xen section of
// docs/hypervisors.md all follow this table; test/roms/xen-doc.test.ts keeps the doc in step with it.
//
// Facts (docs/vmi-interface.md §8): hypercall i at page + i*32 as `mov $i,%eax; int $0x82; ret` (ring-1 PV
// form); iret is `push %eax; mov $23,%eax; int $0x82` and does not return; arguments 1-5 in EBX, ECX, EDX, ESI,
// EDI; EAX the number and the result; the Xen 3.x numbers below.

import type { HypervisorContract } from "../../src/layout/c-header.ts";

/** Xen 3.x hypercall numbers the ROM uses. */
export const HYPERCALL = {
  set_trap_table: 0,
  mmu_update: 1,
  set_gdt: 2,
  stack_switch: 3,
  fpu_taskswitch: 5,
  set_debugreg: 8,
  get_debugreg: 9,
  update_descriptor: 10,
  multicall: 13,
  set_timer_op: 15,
  xen_version: 17,
  iret: 23,
  vcpu_op: 24,
  mmuext_op: 26,
  sched_op: 29,
} as const;
export type HypercallName = keyof typeof HYPERCALL;

/** Bytes per entry of the hypercall page. */
export const HYPERCALL_ENTRY = 32;
/** The ROM's page ends after its highest-numbered entry (sched_op, 29): 30 entries, 960 bytes. */
export const HYPERCALL_PAGE_ENTRIES = Math.max(...Object.values(HYPERCALL)) + 1;

/** mmu_update's foreign-domain argument meaning "this domain". */
export const DOMID_SELF = 0x7ff0;
/** Command in the low two bits of an mmu_update request's pointer: write the entry (the page-table checks apply). */
export const MMU_NORMAL_PT_UPDATE = 0;
/** One mmu_update request: {u64 ptr, u64 val}. */
export const MMU_REQUEST_SIZE = 16;
/** One multicall entry on x86_32: {op, result, args[6]} as native longs. */
export const MULTICALL_ENTRY_SIZE = 32;
/** trap_info's flags: bit 2 clears the event mask ({u8 vector, u8 flags (DPL in bits 0-1), u16 cs, u32 address}). */
export const TRAP_INFO_CLEAR_MASK = 0x4;

export const MMUEXT = {
  PIN_L1_TABLE: 0,
  PIN_L2_TABLE: 1,
  UNPIN_TABLE: 4,
  NEW_BASEPTR: 5,
  TLB_FLUSH_LOCAL: 6,
  INVLPG_LOCAL: 7,
  TLB_FLUSH_ALL: 10,
} as const;

export const SCHEDOP = { block: 1, shutdown: 2 } as const;
/** vcpu_op(cmd, vcpu, arg) commands: the periodic timer (arg = {u64 period_ns}). */
export const VCPUOP = { set_periodic_timer: 6, stop_periodic_timer: 7 } as const;
export const SHUTDOWN_REASON = { poweroff: 0, reboot: 1 } as const;
/** xen_version(XENVER_version, NULL): the cheap hypercall Linux makes to have a pending event delivered. */
export const XENVER_VERSION = 0;

/**
 * The shared_info page (the shared area's backendPage, at virtual_top + 0x1000): Xen 3.x's x86_32 layout for the
 * fields used, vcpu 0's vcpu_info at its start, plus vmirom's machine-address description past Xen's fields.
 */
export const SHARED_INFO = {
  upcallPending: { offset: 0x000, size: 1, doc: "vcpu_info.evtchn_upcall_pending: 1 while an event waits (hypervisor sets, delivery clears)" },
  upcallMask: { offset: 0x001, size: 1, doc: "vcpu_info.evtchn_upcall_mask: 1 = events masked (the guest's interrupt flag is clear; ROM writes)" },
  tscTimestamp: { offset: 0x028, size: 8, doc: "vcpu_time_info.tsc_timestamp: TSC at the last update" },
  systemTime: { offset: 0x030, size: 8, doc: "vcpu_time_info.system_time: ns since boot at tsc_timestamp" },
  tscToSystemMul: { offset: 0x038, size: 4, doc: "vcpu_time_info.tsc_to_system_mul: ns per TSC tick as a 0.32 fraction, after the shift" },
  tscShift: { offset: 0x03c, size: 1, doc: "vcpu_time_info.tsc_shift: signed; ticks are shifted left by it (right when negative) before the multiply" },
  wcVersion: { offset: 0x900, size: 4, doc: "wc_version: odd while the wallclock is updated; changes on every update" },
  wcSec: { offset: 0x904, size: 4, doc: "wc_sec: wallclock seconds since the epoch at system time 0" },
  wcNsec: { offset: 0x908, size: 4, doc: "wc_nsec: the nanoseconds of that" },
  machineOffset: { offset: 0xf00, size: 4, doc: "vmirom's P2M description: machine address = physical address + machineOffset (mod 2^32)" },
} as const;
export type SharedInfoField = keyof typeof SHARED_INFO;

/** ROM state kept in the shared area's scratch (offsets inside scratch). */
export const SCRATCH = {
  /** mmu_update requests a flush builds, one per queued entry. */
  requests: 0x000,
  /** The multicall list a flush builds, one entry per queued update. */
  multicalls: 0x200,
  /** wc_version when GetWallclockTime last read the wallclock (WallclockUpdated compares). */
  wcSeen: 0xbfc,
} as const;

export interface HypercallUse {
  /** Hypercall. */
  readonly hypercall: HypercallName;
  /** The VMI calls that make it. */
  readonly calls: readonly string[];
  /** Argument registers in order (EBX, ECX, EDX, ESI, EDI), each with what it carries. */
  readonly args: readonly string[];
  readonly doc: string;
}

/** Every hypercall the ROM makes, with its arguments. */
export const HYPERCALL_USES: readonly HypercallUse[] = [
  {
    hypercall: "set_trap_table",
    calls: ["WriteIDTEntry"],
    args: ["EBX = trap_info list (one entry, then a zero terminator)"],
    doc: "installs the gate as the entry's vector, DPL, CS and address",
  },
  {
    hypercall: "mmu_update",
    calls: [
      "UpdatePxE",
      "UpdatePxELong",
      "SetPxE",
      "SetPxE0",
      "SetPxELong",
      "SetPxELong0",
      "SwapPxE",
      "SwapPxELongAtomic",
      "DeactivatePxELongAtomic",
      "TestAndSetPxEBit",
      "TestAndClearPxEBit",
      "TestAndSetPxELongBit",
      "TestAndClearPxELongBit",
    ],
    args: [
      "EBX = request list {u64 ptr = machine address (command 0 in the low two bits), u64 val}",
      "ECX = count (1, or 2 for a 64-bit entry: high half first)",
      "EDX = 0 (no done count)",
      "ESI = DOMID_SELF (0x7ff0)",
    ],
    doc: "writes 4 bytes at each request's machine address",
  },
  {
    hypercall: "set_gdt",
    calls: ["SetGDT"],
    args: [
      "EBX = frame list (machine frame of each page the table spans)",
      "ECX = entries ((limit + 1) / 8)",
      "EDX = the table's byte offset in its first page (vmirom's addition)",
    ],
    doc: "loads the GDT",
  },
  {
    hypercall: "stack_switch",
    calls: ["UpdateKernelStack"],
    args: ["EBX = kernel SS (api3: EAX as given; api13: TSS.ss0)", "ECX = kernel ESP"],
    doc: "the stack the hypervisor switches to on entry to the kernel",
  },
  { hypercall: "fpu_taskswitch", calls: ["CLTS"], args: ["EBX = 0 (clear TS)"], doc: "clears CR0.TS" },
  { hypercall: "set_debugreg", calls: ["SetDR"], args: ["EBX = register number", "ECX = value"], doc: "writes a debug register" },
  { hypercall: "get_debugreg", calls: ["GetDR"], args: ["EBX = register number"], doc: "EAX = the debug register" },
  {
    hypercall: "update_descriptor",
    calls: ["WriteGDTEntry", "WriteLDTEntry"],
    args: ["EBX = machine address of the descriptor (low)", "ECX = 0 (high)", "EDX = descriptor low dword", "ESI = descriptor high dword"],
    doc: "writes one descriptor",
  },
  {
    hypercall: "multicall",
    calls: ["VMIFlush (SetLazyMode(0), FlushDeferredCalls, a full queue, SetCR3, InvalPage, FlushTLB)"],
    args: ["EBX = multicall list {op, result, args[6]}", "ECX = count"],
    doc: "runs one mmu_update per queued update",
  },
  { hypercall: "set_timer_op", calls: ["SetAlarm", "CancelAlarm"], args: ["EBX = system time (ns) low; 0 cancels", "ECX = high"], doc: "one-shot timer" },
  {
    hypercall: "xen_version",
    calls: ["EnableInterrupts", "SetInterruptMask"],
    args: ["EBX = 0 (XENVER_version)", "ECX = 0"],
    doc: "any hypercall lets the hypervisor deliver a pending event",
  },
  {
    hypercall: "iret",
    calls: ["IRET"],
    args: ["[ESP] = the caller's EAX, then the iret frame (EIP, CS, EFLAGS[, ESP, SS])"],
    doc: "returns through the frame; EFLAGS.IF sets the event mask",
  },
  {
    hypercall: "vcpu_op",
    calls: ["SetAlarm", "CancelAlarm"],
    args: ["EBX = VCPUOP_set_periodic_timer 6 / VCPUOP_stop_periodic_timer 7", "ECX = 0 (vcpu)", "EDX = pointer to {u64 period_ns} / 0"],
    doc: "the periodic timer: SetAlarm with a period sets it, without one or CancelAlarm stops it",
  },
  {
    hypercall: "mmuext_op",
    calls: ["SetCR3", "InvalPage", "FlushTLB", "AllocatePage", "ReleasePage"],
    args: ["EBX = op list {cmd, arg1, arg2} (one op)", "ECX = 1", "EDX = 0 (no done count)", "ESI = DOMID_SELF (0x7ff0)"],
    doc: "PIN_L1_TABLE 0 / PIN_L2_TABLE 1 / UNPIN_TABLE 4 (arg1 = machine frame), NEW_BASEPTR 5 (arg1 = machine frame), TLB_FLUSH_LOCAL 6, INVLPG_LOCAL 7 (arg1 = address), TLB_FLUSH_ALL 10",
  },
  {
    hypercall: "sched_op",
    calls: ["Halt", "Reboot", "Shutdown"],
    args: ["EBX = SCHEDOP_block 1 / SCHEDOP_shutdown 2", "ECX = 0 / pointer to {reason: poweroff 0, reboot 1}"],
    doc: "block clears the event mask and waits for an event",
  },
];

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, "0")}`;

/** The rows docs/hypervisors.md's xen section must hold, one markdown table row each (test/roms/xen-doc.test.ts). */
export function xenDocRows(): { hypercalls: string[]; sharedInfo: string[]; mmuext: string[] } {
  return {
    hypercalls: HYPERCALL_USES.map((u) => `| ${HYPERCALL[u.hypercall]} | ${u.hypercall} | ${u.calls.join(", ")} | ${u.args.join("; ")} | ${u.doc} |`),
    sharedInfo: Object.entries(SHARED_INFO).map(([name, f]) => `| ${hex(f.offset, 3)} | ${f.size} | ${name} | ${f.doc} |`),
    mmuext: Object.entries(MMUEXT).map(([name, v]) => `| ${v} | ${name} |`),
  };
}

/** The same numbers as C names for vmi-api<major>.h (VMI_API<major>_XEN_HC_<name>, ..._SHINFO_<field>, ...). */
export const xenContract: HypervisorContract = {
  prefix: "XEN",
  title: "xen contract: int $0x82 with EAX = number, arguments in EBX, ECX, EDX, ESI, EDI (docs/hypervisors.md)",
  groups: [
    { name: "HC", doc: "hypercall numbers", values: HYPERCALL },
    { name: "MMUEXT", doc: "mmuext_op commands", values: MMUEXT },
    { name: "SCHEDOP", doc: "sched_op commands", values: SCHEDOP },
    { name: "VCPUOP", doc: "vcpu_op commands", values: VCPUOP },
    { name: "SHUTDOWN", doc: "sched_op(shutdown) reasons", values: SHUTDOWN_REASON },
    {
      name: "SHINFO",
      doc: "shared_info fields: offsets in the shared area's backend page",
      values: Object.fromEntries(Object.entries(SHARED_INFO).map(([n, f]) => [n, f.offset])),
    },
    {
      name: "ABI",
      doc: "sizes and constants of the hypercall arguments",
      values: { DOMID_SELF, MMU_NORMAL_PT_UPDATE, MMU_REQUEST_SIZE, MULTICALL_ENTRY_SIZE, TRAP_INFO_CLEAR_MASK, XENVER_VERSION },
    },
  ],
};
