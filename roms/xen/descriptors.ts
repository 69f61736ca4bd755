// Descriptor tables and the kernel stack: the GDT's frames go to Xen (set_gdt), descriptor writes to their
// machine address (update_descriptor), IDT gates into Xen's trap table (set_trap_table), the kernel stack to
// stack_switch. The rest (SetIDT, SetLDT, SetTR, the stores) a Xen PV kernel keeps doing itself.

import { al, bl, bx, ch, cl, cx, dl, dword, eax, ebp, ebx, ecx, edi, edx, esi, esp, word, type Assembler } from "../../src/asm/index.ts";
import type { Body, BodyContext } from "../../src/image/program.ts";
import { descriptorCalls as native } from "../native/descriptors.ts";
import { TRAP_INFO_CLEAR_MASK } from "./abi.ts";
import { MACHINE_ROUTINE, hypercall, routine } from "./routines.ts";

const TSS_ESP0 = 4;
const TSS_SS0 = 8;

export const descriptorCalls: Record<string, Body> = {
  ...native,
  // EAX = &dtr {u16 limit, u32 base}: the machine frames of every page the table spans, pushed last page first
  // so the list runs upwards from ESP.
  SetGDT: (a, ctx) => {
    const page = a.newLabel(),
      listed = a.newLabel();
    a.push(ebx);
    a.push(esi);
    a.push(edi);
    a.push(ebp);
    a.mov(ebp, esp);
    a.mov(esi, eax);
    a.mov(edi, dword(esi, 2));
    a.movzx(ecx, word(esi, 0));
    a.add(ecx, edi);
    a.and(ecx, ~0xfff);
    a.and(edi, ~0xfff);
    a.label(page);
    a.mov(eax, ecx);
    a.call(routine(ctx, MACHINE_ROUTINE));
    a.shr(eax, 12);
    a.push(eax);
    a.cmp(ecx, edi);
    a.je(listed);
    a.sub(ecx, 0x1000);
    a.jmp(page);
    a.label(listed);
    a.mov(ebx, esp);
    a.movzx(ecx, word(esi, 0));
    a.inc(ecx);
    a.shr(ecx, 3);
    a.mov(edx, dword(esi, 2));
    a.and(edx, 0xfff);
    hypercall(a, ctx, "set_gdt");
    a.mov(esp, ebp);
    a.pop(ebp);
    a.pop(edi);
    a.pop(esi);
    a.pop(ebx);
    a.ret();
  },
  // EAX = table, EDX = index, ECX = low dword, [esp+4] = high dword → update_descriptor(ma, desc).
  WriteGDTEntry: writeDescriptor,
  WriteLDTEntry: writeDescriptor,
  // The IDT is the hypervisor's: the gate goes in as a one-entry trap table (vector, DPL, CS, address; an
  // interrupt gate also masks events). EAX (the table) is not needed.
  WriteIDTEntry: (a, ctx) => {
    const trapGate = a.newLabel();
    a.push(ebx);
    a.push(0); // the terminating entry (address 0)
    a.push(0);
    a.mov(eax, dword(esp, 16)); // high dword: offset 31..16, P, DPL, type
    a.mov(ebx, eax);
    a.and(ebx, 0xffff0000);
    a.mov(bx, cx); // offset 15..0 from the low dword
    a.push(ebx); // entry.address
    a.shr(eax, 8); // AL = P, DPL, S, type
    a.mov(ebx, eax);
    a.shr(ebx, 5);
    a.and(ebx, 3); // DPL
    a.and(al, 0x0f);
    a.cmp(al, 0x0e); // an interrupt gate masks events
    a.jne(trapGate);
    a.or(bl, TRAP_INFO_CLEAR_MASK);
    a.label(trapGate);
    a.and(ecx, 0xffff0000); // CS << 16
    a.mov(cl, dl); // vector
    a.mov(ch, bl); // flags
    a.push(ecx);
    a.mov(ebx, esp);
    hypercall(a, ctx, "set_trap_table");
    a.add(esp, 16);
    a.pop(ebx);
    a.ret();
  },
  UpdateKernelStack: (a, ctx) => {
    a.push(ebx);
    if (ctx.api === 3) {
      a.mov(ebx, eax); // Linux passes the kernel data selector
    } else {
      a.mov(dword(eax, TSS_ESP0), edx); // api13: EAX = &TSS, as the native call does
      a.movzx(ebx, word(eax, TSS_SS0));
    }
    a.mov(ecx, edx);
    hypercall(a, ctx, "stack_switch");
    a.pop(ebx);
    a.ret();
  },
};

function writeDescriptor(a: Assembler, ctx: BodyContext): void {
  a.lea(eax, dword({ base: eax, index: edx, scale: 8 }));
  a.call(routine(ctx, MACHINE_ROUTINE));
  a.push(ebx);
  a.push(esi);
  a.mov(ebx, eax);
  a.mov(edx, ecx);
  a.mov(esi, dword(esp, 12));
  a.xor(ecx, ecx);
  hypercall(a, ctx, "update_descriptor");
  a.pop(esi);
  a.pop(ebx);
  a.ret();
}
