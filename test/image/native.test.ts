// The native backend: every call of both interfaces is present (api3 leaves the timer calls out, on
// purpose), answers the layout's preferred relocation, and its code is what GNU as makes of the AT&T text
// below: the bare instruction with the interface's register conventions.

import { describe, expect, it } from "vitest";
import { API3_LEFT_OUT, native } from "../../roms/native/index.ts";
import { checkImage } from "../../src/check/index.ts";
import { gasAssemble, requireTools } from "../support/tools.ts";
import { build, layoutNamed } from "./helpers.ts";

const ret = (...lines: string[]): string => [...lines, "ret"].join("\n");
const writeEntry = ret("mov %ecx,(%eax,%edx,8)", "mov 4(%esp),%ecx", "mov %ecx,4(%eax,%edx,8)");
const setPxELong = ret("mov %edx,4(%ecx)", "mov %eax,(%ecx)");
const exchange64 = (load: string[]): string =>
  ["push %ebx", "push %esi", ...load, "mov (%esi),%eax", "mov 4(%esi),%edx", "1: lock cmpxchg8b (%esi)", "jnz 1b", "pop %esi", "pop %ebx", "ret"].join("\n");
const bitOp = (op: string): string => ret(`lock ${op} %edx,(%eax)`, "sbb %eax,%eax", "and $1,%eax");
const debugDispatch = (access: (r: string) => string, otherwise: string): string => {
  const regs = [0, 1, 2, 3, 6, 7];
  return [...regs.flatMap((n, i) => [`cmp $${n},%eax`, `je ${20 + i}f`]), otherwise, ...regs.map((n, i) => `${20 + i}: ${access(`%db${n}`)}\nret`)].join("\n");
};

/** What each call's code must be, as AT&T source; a function of the API major where the interfaces differ. */
const API13_INIT = `
  call 1f
1: pop %edx
  and $0xffc00000,%edx
  je 2f
  mov $0x38000000,%ecx
  jmp 3f
2: mov $0x400000,%ecx
3: mov %cr0,%eax
  test %eax,%eax
  jns 7f
  push %ebx
  mov %cr4,%eax
  test $0x20,%eax
  jne 8f
  push %ecx
  push %edx
  mov $1,%eax
  cpuid
  test $8,%edx
  pop %edx
  pop %ecx
  je 8f
  mov %cr3,%eax
  and $0xfffff000,%eax
  cmp %ecx,%eax
  jae 8f
  mov 0xffc(%eax,%edx,1),%eax
  test $1,%eax
  je 4f
  and $~0x60,%eax
  cmp $0x83,%eax
  jne 8f
4: mov %cr4,%eax
  test $0x10,%eax
  jne 6f
  mov %cr3,%eax
  and $0xfffff000,%eax
  add %edx,%eax
  mov $0x400,%ecx
5: mov -4(%eax,%ecx,4),%ebx
  and $0x81,%ebx
  cmp $0x81,%ebx
  je 8f
  loop 5b
  mov %cr4,%eax
  or $0x10,%eax
  mov %eax,%cr4
6: mov %cr3,%eax
  and $0xfffff000,%eax
  movl $0x83,0xffc(%eax,%edx,1)
  invlpg 0xffc00000
  pop %ebx
7: xor %eax,%eax
  ret
8: pop %ebx
  or $-1,%eax
  ret`;

const EXPECTED: Record<string, string | ((api: number) => string)> = {
  // api13: map physical 0-4 MiB at 0xFFC00000 (roms/native/init.ts); api3: nothing to do.
  Init: (api) => (api === 3 ? ret("xor %eax,%eax") : API13_INIT),
  CPUID: ret("cpuid"),
  WRMSR: ret("wrmsr"),
  RDMSR: ret("rdmsr"),
  RDPMC: ret("rdpmc"),
  RDTSC: ret("rdtsc"),
  CLTS: ret("clts"),
  WBINVD: ret("wbinvd"),
  INVD: ret("invd"),
  Pause: ret("pause"),
  Halt: ret("sti", "hlt"),
  Reboot: "mov $0x10000,%ecx\n1: in $0x64,%al\ntest $2,%al\nloopnz 1b\nmov $0xfe,%al\nout %al,$0x64\n2: cli\nhlt\njmp 2b",
  Shutdown: "1: cli\nhlt\njmp 1b",
  SetGDT: ret("lgdt (%eax)"),
  SetIDT: ret("lidt (%eax)"),
  GetGDT: ret("sgdt (%eax)"),
  GetIDT: ret("sidt (%eax)"),
  SetLDT: ret("lldt %ax"),
  SetTR: ret("ltr %ax"),
  GetLDT: ret("xor %eax,%eax", "sldt %ax"),
  GetTR: ret("xor %eax,%eax", "str %ax"),
  WriteGDTEntry: writeEntry,
  WriteLDTEntry: writeEntry,
  WriteIDTEntry: writeEntry,
  UpdateKernelStack: (api) => (api === 3 ? ret() : ret("mov %edx,4(%eax)")),
  SetCR0: ret("mov %eax,%cr0"),
  SetCR2: ret("mov %eax,%cr2"),
  SetCR3: ret("mov %eax,%cr3"),
  SetCR4: ret("mov %eax,%cr4"),
  GetCR0: ret("mov %cr0,%eax"),
  GetCR2: ret("mov %cr2,%eax"),
  GetCR3: ret("mov %cr3,%eax"),
  GetCR4: ret("mov %cr4,%eax"),
  SetDR: debugDispatch((r) => `mov %edx,${r}`, "ret"),
  GetDR: debugDispatch((r) => `mov ${r},%eax`, "xor %eax,%eax\nret"),
  EnableInterrupts: ret("sti"),
  DisableInterrupts: ret("cli"),
  GetInterruptMask: ret("pushf", "pop %eax", "and $0x200,%eax"),
  SetInterruptMask: "test $2,%ah\njz 1f\nsti\nret\n1: cli\nret",
  IRET: (api) => (api === 3 ? "iret" : "add $4,%esp\niret"), // api3 jumps here, api13 calls
  SYSEXIT: "sti\nsysexit",
  SetIOPLMask: ret("and $0x3000,%eax", "pushf", "andl $0xffffcfff,(%esp)", "or %eax,(%esp)", "popf"),
  SetPxE: ret("mov %eax,(%edx)"),
  SetPxE0: ret("mov %eax,(%edx)"),
  SetPxELong: setPxELong,
  SetPxELong0: setPxELong,
  GetPxE: ret("mov (%eax),%eax"),
  SwapPxE: ret("xchg %edx,(%eax)", "mov %edx,%eax"),
  GetPxELong: ret(
    "push %ebx",
    "push %esi",
    "mov %eax,%esi",
    "xor %eax,%eax",
    "xor %edx,%edx",
    "xor %ebx,%ebx",
    "xor %ecx,%ecx",
    "lock cmpxchg8b (%esi)",
    "pop %esi",
    "pop %ebx",
  ),
  SwapPxELongAtomic: exchange64(["mov %ecx,%esi", "mov %eax,%ebx", "mov %edx,%ecx"]),
  DeactivatePxELongAtomic: exchange64(["mov %eax,%esi", "xor %ebx,%ebx", "xor %ecx,%ecx"]),
  TestAndSetPxEBit: bitOp("bts"),
  TestAndClearPxEBit: bitOp("btr"),
  TestAndSetPxELongBit: bitOp("bts"),
  TestAndClearPxELongBit: bitOp("btr"),
  UpdatePxE: ret(),
  UpdatePxELong: ret(),
  AllocatePage: ret(),
  ReleasePage: ret(),
  InvalPage: ret("invlpg (%eax)"),
  FlushTLB: "test $2,%eax\njz 1f\nmov %cr4,%ecx\nmov %ecx,%edx\nand $0x7f,%cl\nmov %ecx,%cr4\nmov %edx,%cr4\n1: mov %cr3,%ecx\nmov %ecx,%cr3\nret",
  FlushDeferredCalls: ret(),
  SetLazyMode: ret(),
  SetLinearMapping: ret(),
  MachineToPhysical: ret(),
  PhysicalToMachine: ret(),
  INL: ret("in (%dx),%eax"),
  IN: ret("in (%dx),%eax"),
  INB: ret("in (%dx),%al"),
  INW: ret("in (%dx),%ax"),
  OUTL: ret("out %eax,(%dx)"),
  OUT: ret("out %eax,(%dx)"),
  OUTB: ret("out %al,(%dx)"),
  OUTW: ret("out %ax,(%dx)"),
  INSL: ret("rep insl"),
  INS: ret("rep insl"),
  INSB: ret("rep insb"),
  INSW: ret("rep insw"),
  OUTSL: ret("rep outsl"),
  OUTS: ret("rep outsl"),
  OUTSB: ret("rep outsb"),
  OUTSW: ret("rep outsw"),
  IODelay: ret("out %al,$0x80"),
  APICWrite: ret("mov %edx,(%eax)"),
  APICRead: ret("mov (%eax),%eax"),
  SetInitialAPState: ret("xor %eax,%eax"),
  GetCycleCounter: ret("rdtsc"),
  GetCycleFrequency: ret("xor %eax,%eax", "xor %edx,%edx"),
  SetAlarm: ret("xor %eax,%eax"),
  CancelAlarm: ret("xor %eax,%eax"),
  GetWallclockTime: ret("xor %eax,%eax", "xor %edx,%edx"),
  WallclockUpdated: ret("xor %eax,%eax"),
  SetCallbacks: ret(),
};

const SLOT_SPACING = 256;

for (const name of ["api3", "api13"] as const) {
  describe(`native backend on ${name}`, () => {
    const layout = layoutNamed(name);
    const api = layout.version.major;
    const built = build(native, layout);
    const b = built.bytes;

    it("implements every call, except the timer calls api3 deliberately answers NONE for", () => {
      for (const c of built.manifest.calls) {
        const left = api === 3 && API3_LEFT_OUT.has(c.name);
        expect({ call: c.name, absent: c.placement === "absent" }).toEqual({ call: c.name, absent: left });
        const def = layout.calls.find((x) => x.number === c.number)!;
        expect({ call: c.name, reloc: c.reloc }).toEqual({ call: c.name, reloc: left ? "NONE" : def.relocs[0] });
      }
      if (api === 3) expect(built.manifest.calls.find((c) => c.name === "IRET")!.reloc).toBe("JUMP_REL");
    });

    it("has no body for a call name neither layout knows", () => {
      const known = new Set([...layoutNamed("api3").calls, ...layoutNamed("api13").calls].map((c) => c.name));
      expect(Object.keys(native.calls).filter((n) => !known.has(n))).toEqual([]);
    });

    it("assembles each call to what GNU as makes of its AT&T text", () => {
      if (!requireTools("as", "objcopy")) return;
      const cases: Array<{ name: string; code: Uint8Array }> = [];
      for (const c of built.manifest.calls) {
        if (c.placement === "absent" || c.placement === "image") continue;
        const code = c.body ? b.subarray(c.body.offset, c.body.offset + c.body.size) : b.subarray(c.slot.offset, c.slot.offset + c.slot.used);
        cases.push({ name: c.name, code });
      }
      if (api === 3) cases.push({ name: "Init", code: b.subarray(0x80, 0x83) });
      const source = cases
        .map((c, i) => {
          const want = EXPECTED[c.name];
          if (want === undefined) throw new Error(`no expected text for ${c.name}`);
          return `.org ${i * SLOT_SPACING}, 0xcc\n${typeof want === "function" ? want(api) : want}`;
        })
        .join("\n");
      const gas = gasAssemble(`${source}\n.org ${cases.length * SLOT_SPACING}, 0xcc`);
      for (const [i, c] of cases.entries()) {
        const at = i * SLOT_SPACING;
        const hex = (u: Uint8Array): string => Buffer.from(u).toString("hex");
        expect({ call: c.name, code: hex(c.code) }).toEqual({ call: c.name, code: hex(gas.subarray(at, at + c.code.length)) });
        expect({ call: c.name, next: gas[at + c.code.length] }).toEqual({ call: c.name, next: 0xcc }); // same length
      }
      // api3: every call but the left-out ones, plus Init at its jump point; api13: every call but GetRelocationInfo.
      expect(cases.length).toBe(api === 3 ? layout.calls.length - API3_LEFT_OUT.size + 1 : layout.calls.length - 1);
    });

    it("passes the checker with its manifest", () => {
      expect(checkImage(b, layout, { manifest: built.manifest })).toEqual([]);
    });
  });
}
