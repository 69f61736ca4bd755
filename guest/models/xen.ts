// The Xen 3.x hypervisor the xen ROMs talk to, played by the guest (docs/hypervisors.md, "xen"; the ABI table
// roms/xen/abi.ts). Each `int $0x82` arrives here with the caller's registers in the trap frame; the model
// checks the number and every argument against the contract, fails loudly (a FATAL line naming the hypercall)
// on anything else, and makes the effect real so the native effect tests pass unchanged: mmu_update writes the
// entry at its machine address, multicall runs its entries, NEWBASEPTR loads CR3, set_gdt loads the GDT, …
//
// Machine addresses: machine = physical + MACHINE_OFFSET (a non-identity P2M, published in shared_info), so an
// update that skipped translation would land nowhere. The model reaches physical memory through the guest's
// PAGE_OFFSET alias of low memory. Arguments that are not registers are kept in variables (xen_*) for the
// expectation file to check.

import {
  al,
  byte,
  cx,
  dx,
  plus,
  cr0,
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
  esp,
  mem,
  word,
  type DbgReg,
  type Label,
  type Mem32,
  type Reg32,
} from "../../src/asm/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import {
  DOMID_SELF,
  HYPERCALL,
  MMUEXT,
  MMU_REQUEST_SIZE,
  MULTICALL_ENTRY_SIZE,
  SCHEDOP,
  SHARED_INFO,
  TRAP_INFO_CLEAR_MASK,
  VCPUOP,
  XENVER_VERSION,
  type HypercallName,
  type SharedInfoField,
} from "../../roms/xen/abi.ts";
import type { GuestAsm } from "../emitter.ts";
import { EXIT, IDENTITY_BYTES, PAGE_OFFSET } from "../memory.ts";
import { FRAME, HC_RECORD, type HypervisorModel } from "../traps.ts";
import { presentHypervisor } from "./present.ts";

/** Both layouts put the shared area here; setup refuses a layout that does not. */
const VIRTUAL_TOP = 0xfc000000;
/** The P2M: machine = physical + MACHINE_OFFSET. */
export const MACHINE_OFFSET = 0x40000000;
/** Time as the model publishes it (test vectors the expectations compute with). */
export const XEN_TIME = {
  tscTimestamp: 0x100,
  systemTime: 1000,
  tscToSystemMul: 0xa0000000, // 0.625 ns per shifted tick
  tscShift: 1, // → 1.25 ns per tick: 800 MHz
  wcSec: 1_700_000_000,
  wcNsec: 5,
  wcVersion: 2,
} as const;
/** xen_version's answer: 3.0. */
export const XEN_VERSION = 0x00030000;
const CR4_PGE = 0x80;
const CR0_TS = 0x8;
const MAX_LIST = 32;

export const infoAddr = (field: SharedInfoField, extra = 0): number => sharedAddress(VIRTUAL_TOP, "backendPage", SHARED_INFO[field].offset + extra);

/** FATAL line naming the hypercall, then the fatal exit. */
function fatal(g: GuestAsm, what: string): void {
  g.printKeyHex("GUEST: FATAL vector=0x00000082 hypercall=", dword(ebp, FRAME.eax));
  g.print(" test=");
  g.printStrAt(g.v("cur_test"));
  g.print(" call=");
  g.printStrAt(g.v("cur_call"));
  g.print(" path=");
  g.printStrAt(g.v("cur_path"));
  g.print(` what=xen model: ${what}\n`);
  g.a.push(EXIT.fatal);
  g.a.call(g.rt.exit);
}

/** Fails unless `reg` (or memory) equals `want`. */
function require(g: GuestAsm, got: Reg32 | Mem32, want: number, what: string): void {
  const ok = g.a.newLabel();
  if ("cls" in got) g.a.cmp(got, want >>> 0);
  else g.a.cmp(got, want >>> 0);
  g.a.je(ok);
  fatal(g, what);
  g.a.label(ok);
}

/** EAX = machine address → EAX = its PAGE_OFFSET alias, checking it lies in guest RAM (`bytes` long). */
function machineToAlias(g: GuestAsm, bytes: number, what: string): void {
  const a = g.a;
  const ok = a.newLabel();
  a.sub(eax, MACHINE_OFFSET);
  a.cmp(eax, IDENTITY_BYTES - bytes);
  a.jbe(ok);
  fatal(g, `${what}: machine address outside the guest's memory`);
  a.label(ok);
  a.add(eax, PAGE_OFFSET);
}

/**
 * mmu_update's work, as a local routine: EBX = requests, ECX = count, EDX = done pointer, ESI = domid.
 * Clobbers EAX, EBX, ECX, EDX.
 */
function emitMmuUpdate(g: GuestAsm, routine: Label): void {
  const a = g.a;
  const next = a.newLabel(),
    countOk = a.newLabel();
  a.label(routine);
  require(g, esi, DOMID_SELF, "mmu_update: foreign domain is not DOMID_SELF (ESI)");
  require(g, edx, 0, "mmu_update: done pointer must be 0 (EDX)");
  a.cmp(ecx, 1);
  a.jb(countOk);
  a.cmp(ecx, MAX_LIST);
  a.jbe(next);
  a.label(countOk);
  fatal(g, "mmu_update: count (ECX) not in 1..32");
  a.label(next);
  const loop = a.newLabel();
  a.label(loop);
  require(g, dword(ebx, 4), 0, "mmu_update: pointer above 4 GiB");
  require(g, dword(ebx, 12), 0, "mmu_update: value above 32 bits (entries are 4 bytes)");
  a.mov(eax, dword(ebx, 0));
  a.test(eax, 3);
  const normal = a.newLabel();
  a.jz(normal);
  fatal(g, "mmu_update: command is not MMU_NORMAL_PT_UPDATE");
  a.label(normal);
  a.mov(g.v("xen_last_ptr"), eax);
  machineToAlias(g, 4, "mmu_update");
  a.mov(edx, dword(ebx, 8));
  a.mov(g.v("xen_last_val"), edx);
  a.mov(dword(eax, 0), edx);
  a.inc(g.v("xen_updates"));
  a.add(ebx, MMU_REQUEST_SIZE);
  a.dec(ecx);
  a.jnz(loop);
  a.ret();
}

const DEBUG_REGS: ReadonlyArray<[number, DbgReg]> = [
  [0, dr0],
  [1, dr1],
  [2, dr2],
  [3, dr3],
  [6, dr6],
  [7, dr7],
];

function emitXen(g: GuestAsm): void {
  const a = g.a;
  const done = a.newLabel(),
    mmuRun = a.newLabel(),
    afterRoutines = a.newLabel();
  a.jmp(afterRoutines);
  emitMmuUpdate(g, mmuRun);
  a.label(afterRoutines);

  const handlers = new Map<number, Label>();
  const on = (name: HypercallName): Label => {
    const l = a.newLabel();
    handlers.set(HYPERCALL[name], l);
    return l;
  };
  const arg = (r: "ebx" | "ecx" | "edx" | "esi" | "edi") => dword(ebp, FRAME[r]);
  const result = (v: number | typeof eax) => a.mov(dword(ebp, FRAME.eax), v as never);

  const labels = (Object.keys(HYPERCALL) as HypercallName[]).map((n) => [n, on(n)] as const);
  a.mov(eax, dword(ebp, FRAME.eax));
  for (const [n, l] of labels) {
    a.cmp(eax, HYPERCALL[n]);
    a.je(l);
  }
  fatal(g, "not a hypercall of the contract");
  const get = (n: HypercallName): Label => {
    const hit = labels.find(([x]) => x === n);
    if (!hit) throw new Error(`xen model: no handler for hypercall ${n}`);
    return hit[1];
  };

  // --- set_trap_table(list): each {vector, flags, cs, address} until address 0 becomes a gate of the IDT in use.
  a.label(get("set_trap_table"));
  {
    const loop = a.newLabel(),
      end = a.newLabel(),
      trap = a.newLabel(),
      put = a.newLabel();
    const dtr = g.buffer(8, 8);
    a.sidt(mem(dtr));
    a.mov(esi, arg("ebx"));
    a.mov(g.v("xen_trap_entries"), 0);
    a.label(loop);
    a.cmp(dword(esi, 4), 0);
    a.je(end);
    a.movzx(ebx, byte(esi, 0)); // vector
    a.shl(ebx, 3);
    a.mov(ecx, dword(esi, 4)); // address
    a.movzx(edx, word(esi, 2)); // cs
    a.shl(edx, 16);
    a.mov(dx, cx);
    a.and(ecx, 0xffff0000);
    a.movzx(eax, byte(esi, 1)); // flags
    a.test(al, TRAP_INFO_CLEAR_MASK);
    a.jz(trap);
    a.or(ecx, 0x8e00); // present interrupt gate
    a.jmp(put);
    a.label(trap);
    a.or(ecx, 0x8f00); // present trap gate
    a.label(put);
    a.and(eax, 3);
    a.shl(eax, 13);
    a.or(ecx, eax); // DPL
    a.mov(eax, dword(plus(dtr, 2)));
    a.add(ebx, eax);
    a.mov(dword(ebx, 0), edx);
    a.mov(dword(ebx, 4), ecx);
    a.inc(g.v("xen_trap_entries"));
    a.add(esi, 8);
    a.jmp(loop);
    a.label(end);
    result(0);
    a.jmp(done);
  }

  // --- mmu_update(requests, count, done, domid)
  a.label(get("mmu_update"));
  a.mov(ebx, arg("ebx"));
  a.mov(ecx, arg("ecx"));
  a.mov(edx, arg("edx"));
  a.mov(esi, arg("esi"));
  a.call(mmuRun);
  result(0);
  a.jmp(done);

  // --- multicall(list, count): every entry must be an mmu_update of the queue's form; each one runs.
  a.label(get("multicall"));
  {
    const loop = a.newLabel(),
      countOk = a.newLabel(),
      bad = a.newLabel();
    a.mov(ecx, arg("ecx"));
    a.mov(g.v("xen_mc_count"), ecx);
    a.cmp(ecx, 1);
    a.jb(bad);
    a.cmp(ecx, MAX_LIST);
    a.jbe(countOk);
    a.label(bad);
    fatal(g, "multicall: count (ECX) not in 1..32");
    a.label(countOk);
    a.mov(esi, arg("ebx"));
    a.label(loop);
    require(g, dword(esi, 0), HYPERCALL.mmu_update, "multicall: an entry's op is not mmu_update");
    require(g, dword(esi, 12), 1, "multicall: an mmu_update entry's count is not 1");
    a.push(ecx);
    a.push(esi);
    a.mov(ebx, dword(esi, 8));
    a.mov(ecx, dword(esi, 12));
    a.mov(edx, dword(esi, 16));
    a.mov(esi, dword(esi, 20));
    a.call(mmuRun);
    a.pop(esi);
    a.pop(ecx);
    a.mov(dword(esi, 4), 0); // the entry's result
    a.add(esi, MULTICALL_ENTRY_SIZE);
    a.dec(ecx);
    a.jnz(loop);
    result(0);
    a.jmp(done);
  }

  // --- set_gdt(frames, entries, offset): contiguous frames; the table is loaded where the guest's identity map
  // has it (its physical address), with limit entries * 8 - 1.
  a.label(get("set_gdt"));
  {
    const ok = a.newLabel(),
      loop = a.newLabel(),
      frames = a.newLabel();
    const dtr = g.buffer(8, 8);
    a.mov(ecx, arg("ecx"));
    a.cmp(ecx, 1);
    a.jb(frames);
    a.cmp(ecx, 8192);
    a.ja(frames);
    a.cmp(arg("edx"), 0x1000);
    a.jb(ok);
    a.label(frames);
    fatal(g, "set_gdt: entries (ECX) not in 1..8192 or offset (EDX) not below 4096");
    a.label(ok);
    // pages = (offset + entries * 8 - 1) >> 12, then each frame must follow the one before.
    a.mov(eax, ecx);
    a.shl(eax, 3);
    a.add(eax, arg("edx"));
    a.dec(eax);
    a.shr(eax, 12);
    a.mov(esi, arg("ebx"));
    a.mov(edx, dword(esi, 0));
    a.label(loop);
    a.test(eax, eax);
    const contiguous = a.newLabel();
    a.jz(contiguous);
    a.inc(edx);
    a.add(esi, 4);
    const follows = a.newLabel();
    a.cmp(dword(esi, 0), edx);
    a.je(follows);
    fatal(g, "set_gdt: the frames (EBX list) are not contiguous");
    a.label(follows);
    a.dec(eax);
    a.jmp(loop);
    a.label(contiguous);
    a.mov(esi, arg("ebx"));
    a.mov(eax, dword(esi, 0));
    a.shl(eax, 12);
    a.sub(eax, MACHINE_OFFSET);
    const inside = a.newLabel();
    a.cmp(eax, IDENTITY_BYTES - 0x10000);
    a.jb(inside);
    fatal(g, "set_gdt: machine frame outside the guest's memory");
    a.label(inside);
    a.add(eax, arg("edx"));
    a.mov(g.v("xen_gdt_base"), eax);
    a.mov(dword(plus(dtr, 2)), eax);
    a.shl(ecx, 3);
    a.dec(ecx);
    a.mov(word(dtr), cx);
    a.lgdt(mem(dtr));
    result(0);
    a.jmp(done);
  }

  // --- stack_switch(ss, esp): the stack Xen would switch to; the guest's own TSS is the guest's.
  a.label(get("stack_switch"));
  a.mov(eax, arg("ebx"));
  a.mov(g.v("xen_kernel_ss"), eax);
  a.mov(eax, arg("ecx"));
  a.mov(g.v("xen_kernel_sp"), eax);
  result(0);
  a.jmp(done);

  // --- fpu_taskswitch(set): 0 clears CR0.TS, 1 sets it.
  a.label(get("fpu_taskswitch"));
  {
    const set = a.newLabel(),
      bad = a.newLabel();
    a.mov(eax, arg("ebx"));
    a.cmp(eax, 1);
    a.je(set);
    a.test(eax, eax);
    a.jnz(bad);
    a.clts();
    result(0);
    a.jmp(done);
    a.label(set);
    a.mov(eax, cr0);
    a.or(eax, CR0_TS);
    a.mov(cr0, eax);
    result(0);
    a.jmp(done);
    a.label(bad);
    fatal(g, "fpu_taskswitch: EBX is neither 0 nor 1");
  }

  // --- set_debugreg(reg, value) / get_debugreg(reg)
  for (const name of ["set_debugreg", "get_debugreg"] as const) {
    a.label(get(name));
    const targets = DEBUG_REGS.map(([n, r]) => ({ n, r, l: a.newLabel() }));
    a.mov(eax, arg("ebx"));
    for (const t of targets) {
      a.cmp(eax, t.n);
      a.je(t.l);
    }
    fatal(g, `${name}: EBX is not a debug register number`);
    for (const t of targets) {
      a.label(t.l);
      if (name === "set_debugreg") {
        a.mov(eax, arg("ecx"));
        a.mov(t.r, eax);
        result(0);
      } else {
        a.mov(eax, t.r);
        result(eax);
      }
      a.jmp(done);
    }
  }

  // --- update_descriptor(ma low, ma high, desc low, desc high)
  a.label(get("update_descriptor"));
  require(g, arg("ecx"), 0, "update_descriptor: machine address above 4 GiB (ECX)");
  {
    const aligned = a.newLabel();
    a.mov(eax, arg("ebx"));
    a.test(eax, 7);
    a.jz(aligned);
    fatal(g, "update_descriptor: machine address (EBX) not 8-byte aligned");
    a.label(aligned);
    a.mov(g.v("xen_last_ptr"), eax);
    machineToAlias(g, 8, "update_descriptor");
    a.mov(ecx, arg("edx"));
    a.mov(dword(eax, 0), ecx);
    a.mov(ecx, arg("esi"));
    a.mov(dword(eax, 4), ecx);
    result(0);
    a.jmp(done);
  }

  // --- set_timer_op(time low, high): one-shot timer, kept for the expectations.
  a.label(get("set_timer_op"));
  a.mov(eax, arg("ebx"));
  a.mov(g.v("xen_timer_lo"), eax);
  a.mov(eax, arg("ecx"));
  a.mov(g.v("xen_timer_hi"), eax);
  result(0);
  a.jmp(done);

  // --- vcpu_op(set_periodic_timer, 0, &{u64 period_ns}) / (stop_periodic_timer, 0, NULL): the period is kept
  // for the expectations (0 when stopped).
  a.label(get("vcpu_op"));
  {
    const stop = a.newLabel(),
      set = a.newLabel();
    require(g, arg("ecx"), 0, "vcpu_op: vcpu (ECX) is not 0");
    a.mov(eax, arg("ebx"));
    a.cmp(eax, VCPUOP.stop_periodic_timer);
    a.je(stop);
    a.cmp(eax, VCPUOP.set_periodic_timer);
    a.je(set);
    fatal(g, "vcpu_op: command is not set_periodic_timer or stop_periodic_timer");
    a.label(set);
    a.mov(esi, arg("edx"));
    require(g, dword(esi, 4), 0, "vcpu_op set_periodic_timer: period above 2^32 ns");
    a.mov(eax, dword(esi, 0));
    a.mov(g.v("xen_period"), eax);
    result(0);
    a.jmp(done);
    a.label(stop);
    require(g, arg("edx"), 0, "vcpu_op stop_periodic_timer: argument (EDX) is not NULL");
    a.mov(g.v("xen_period"), 0);
    result(0);
    a.jmp(done);
  }

  // --- xen_version(XENVER_version, NULL)
  a.label(get("xen_version"));
  require(g, arg("ebx"), XENVER_VERSION, "xen_version: command (EBX) is not XENVER_version");
  require(g, arg("ecx"), 0, "xen_version: argument (ECX) is not NULL");
  result(XEN_VERSION);
  a.jmp(done);

  // --- iret: [caller's ESP] = EAX, then the frame. The event mask follows the frame's IF; registers are
  // restored and the frame used directly (the hypercall never returns to the page).
  a.label(get("iret"));
  {
    const callerEsp = FRAME.eflags + 4;
    const masked = a.newLabel(),
      counted = a.newLabel();
    a.mov(esi, dword(ebp, callerEsp));
    a.mov(dword(ebp, FRAME.eax), esi); // EAX as the caller had it
    a.mov(dword(edi, HC_RECORD.result), esi);
    a.mov(eax, dword(ebp, callerEsp + 4 + 8)); // the frame's EFLAGS
    a.mov(byte(infoAddr("upcallMask")), 1);
    a.test(eax, 0x200);
    a.jz(masked);
    a.mov(byte(infoAddr("upcallMask")), 0);
    a.label(masked);
    a.inc(g.v("hc_seq"));
    // While counting, the int $0x82 ran in the ROM: count it, as the shared tail does for other hypercalls.
    a.cmp(g.v("counting"), 0);
    a.je(counted);
    a.mov(eax, dword(edi, HC_RECORD.eip));
    a.sub(eax, g.v("rom_lo"));
    a.cmp(eax, g.v("rom_size"));
    a.jae(counted);
    a.inc(g.v("count"));
    a.label(counted);
    a.mov(esp, ebp);
    a.popa();
    a.lea(esp, mem(esp, 8 + 12 + 4)); // vector, error, the trap frame, the saved EAX
    a.iret();
  }

  // --- mmuext_op(ops, 1, NULL, DOMID_SELF)
  a.label(get("mmuext_op"));
  {
    const base = a.newLabel(),
      local = a.newLabel(),
      invlpg = a.newLabel(),
      all = a.newLabel(),
      pin = a.newLabel();
    require(g, arg("ecx"), 1, "mmuext_op: count (ECX) is not 1");
    require(g, arg("edx"), 0, "mmuext_op: done pointer (EDX) is not 0");
    require(g, arg("esi"), DOMID_SELF, "mmuext_op: foreign domain (ESI) is not DOMID_SELF");
    a.mov(esi, arg("ebx"));
    a.mov(eax, dword(esi, 0));
    a.mov(g.v("xen_last_cmd"), eax);
    a.mov(ecx, dword(esi, 4));
    a.mov(g.v("xen_last_arg1"), ecx);
    for (const [cmd, l] of [
      [MMUEXT.NEW_BASEPTR, base],
      [MMUEXT.TLB_FLUSH_LOCAL, local],
      [MMUEXT.INVLPG_LOCAL, invlpg],
      [MMUEXT.TLB_FLUSH_ALL, all],
      [MMUEXT.PIN_L1_TABLE, pin],
      [MMUEXT.PIN_L2_TABLE, pin],
      [MMUEXT.UNPIN_TABLE, pin],
    ] as const) {
      a.cmp(eax, cmd);
      a.je(l);
    }
    fatal(g, "mmuext_op: command is not NEW_BASEPTR, TLB_FLUSH_LOCAL, INVLPG_LOCAL, TLB_FLUSH_ALL, PIN_L1_TABLE, PIN_L2_TABLE or UNPIN_TABLE");
    // Pinning: the frame must be the guest's; the model keeps no page-table types (the guest's own tables are
    // checked by the reference hypervisor, hypervisor/paging.c).
    a.label(pin);
    a.mov(eax, ecx);
    a.shl(eax, 12);
    machineToAlias(g, 0x1000, "mmuext_op PIN/UNPIN");
    result(0);
    a.jmp(done);
    a.label(base);
    a.mov(eax, ecx);
    a.shl(eax, 12);
    machineToAlias(g, 0x1000, "mmuext_op NEW_BASEPTR");
    a.sub(eax, PAGE_OFFSET);
    a.mov(cr3, eax);
    result(0);
    a.jmp(done);
    a.label(all);
    a.mov(eax, cr4);
    a.mov(edx, eax);
    a.and(eax, ~CR4_PGE);
    a.mov(cr4, eax);
    a.mov(cr4, edx);
    a.label(local);
    a.mov(eax, cr3);
    a.mov(cr3, eax);
    result(0);
    a.jmp(done);
    a.label(invlpg);
    a.invlpg(mem(ecx));
    result(0);
    a.jmp(done);
  }

  // --- sched_op(block, NULL): events unmasked; with one pending it is delivered below, else wait for one.
  a.label(get("sched_op"));
  {
    const wait = a.newLabel();
    require(g, arg("ebx"), SCHEDOP.block, "sched_op: only SCHEDOP_block is expected (EBX)");
    require(g, arg("ecx"), 0, "sched_op block: argument (ECX) is not NULL");
    a.mov(byte(infoAddr("upcallMask")), 0);
    a.cmp(byte(infoAddr("upcallPending")), 0);
    a.je(wait);
    result(0);
    a.jmp(done);
    a.label(wait);
    a.sti();
    a.hlt();
    a.cli();
    result(0);
    a.jmp(done);
  }

  // --- on the way back to the guest: a pending event with events unmasked is delivered.
  a.label(done);
  {
    const none = a.newLabel();
    a.cmp(word(infoAddr("upcallPending")), 1); // pending 1, mask 0
    a.jne(none);
    a.mov(byte(infoAddr("upcallPending")), 0);
    a.inc(g.v("xen_deliveries"));
    a.sti();
    a.nop();
    a.cli();
    a.label(none);
  }
}

export const xenModel: HypervisorModel = {
  transports: ["int82"],
  emit: emitXen,
  setup(g: GuestAsm, layout: Layout) {
    if (layout.virtualTop !== VIRTUAL_TOP)
      throw new Error(`the xen model expects virtual_top 0x${VIRTUAL_TOP.toString(16)}, layout ${layout.name} has 0x${layout.virtualTop.toString(16)}`);
    presentHypervisor(g, layout, "xen");
    const a = g.a;
    a.mov(byte(infoAddr("upcallPending")), 0);
    a.mov(byte(infoAddr("upcallMask")), 1); // a PV guest starts with events masked
    a.mov(dword(infoAddr("tscTimestamp")), XEN_TIME.tscTimestamp);
    a.mov(dword(infoAddr("tscTimestamp", 4)), 0);
    a.mov(dword(infoAddr("systemTime")), XEN_TIME.systemTime);
    a.mov(dword(infoAddr("systemTime", 4)), 0);
    a.mov(dword(infoAddr("tscToSystemMul")), XEN_TIME.tscToSystemMul);
    a.mov(byte(infoAddr("tscShift")), XEN_TIME.tscShift);
    a.mov(dword(infoAddr("wcVersion")), XEN_TIME.wcVersion);
    a.mov(dword(infoAddr("wcSec")), XEN_TIME.wcSec);
    a.mov(dword(infoAddr("wcNsec")), XEN_TIME.wcNsec);
    a.mov(dword(infoAddr("machineOffset")), MACHINE_OFFSET);
  },
  interruptFlag(g: GuestAsm) {
    const a = g.a;
    a.cmp(byte(infoAddr("upcallMask")), 1);
    a.sbb(eax, eax);
    a.and(eax, 0x200);
  },
  postEvent(g: GuestAsm) {
    g.a.mov(byte(infoAddr("upcallPending")), 1);
  },
};
