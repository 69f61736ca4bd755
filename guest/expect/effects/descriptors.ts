// Descriptor tables, descriptor writes, the LDT and task registers, and the kernel stack in the TSS:
// every load is checked with the bare store instruction and then used (segment loads, an exception).

import { ax, byte, dword, eax, ecx, edx, far, fs, mem, plus, word } from "../../../src/asm/index.ts";
import { GDT_ENTRIES, IDT_ENTRIES, SEL, TSS_SIZE, VEC } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { FLAT_DATA, copy } from "./support.ts";

export function descriptorTests(): CallTest[] {
  const tableTest = (kind: "GDT" | "IDT"): CallTest => ({
    name: kind.toLowerCase(),
    calls: [`Set${kind}`, `Get${kind}`],
    emit(t) {
      const a = t.a;
      const { gdt, idt } = t.labels;
      const size = kind === "GDT" ? GDT_ENTRIES * 8 : IDT_ENTRIES * 8;
      const table = kind === "GDT" ? gdt : idt;
      const copyTable = t.scratch(size, 8);
      const dtr = t.scratch(8, 8);
      const seen = t.scratch(8, 8);
      const store = (m: ReturnType<typeof mem>) => (kind === "GDT" ? a.sgdt(m) : a.sidt(m));
      copy(t, table, copyTable, size);
      a.mov(word(dtr), size - 1);
      a.mov(dword(plus(dtr, 2)), copyTable);
      a.mov(eax, dtr);
      t.call(`Set${kind}`, { path: "copy", native: (x) => (kind === "GDT" ? x.lgdt(mem(eax)) : x.lidt(mem(eax))) });
      store(mem(seen));
      t.expectEq(dword(plus(seen, 2)), copyTable, `${kind}R base after Set${kind} (bare s${kind.toLowerCase()})`);
      a.movzx(eax, word(seen));
      t.expectEq(eax, size - 1, `${kind}R limit after Set${kind}`);
      if (kind === "GDT") {
        // Reload every segment register from the copy.
        const reloaded = a.newLabel();
        a.jmp(far(SEL.code0, reloaded));
        a.label(reloaded);
        a.mov(ax, SEL.data3);
        a.mov(fs, ax);
      } else {
        // An exception must now go through the copy.
        t.expectFault(6, () => a.ud2(), "an exception through the IDT copy");
      }
      a.mov(dword(seen), 0);
      a.mov(dword(plus(seen, 4)), 0);
      a.mov(eax, seen);
      t.call(`Get${kind}`, { native: (x) => (kind === "GDT" ? x.sgdt(mem(eax)) : x.sidt(mem(eax))) });
      t.expectEq(dword(plus(seen, 2)), copyTable, `Get${kind} base`);
      a.movzx(eax, word(seen));
      t.expectEq(eax, size - 1, `Get${kind} limit`);
      a.mov(eax, kind === "GDT" ? t.labels.gdtPtr : t.labels.idtPtr);
      t.call(`Set${kind}`, { path: "restore", native: (x) => (kind === "GDT" ? x.lgdt(mem(eax)) : x.lidt(mem(eax))) });
      store(mem(seen));
      t.expectEq(dword(plus(seen, 2)), table, `${kind}R base restored by Set${kind}`);
    },
    cleanup(t) {
      if (kind === "GDT") t.a.lgdt(mem(t.labels.gdtPtr));
      else t.a.lidt(mem(t.labels.idtPtr));
    },
  });

  const writeEntry = (kind: "GDT" | "LDT" | "IDT"): CallTest => ({
    name: `write-${kind.toLowerCase()}-entry`,
    calls: [`Write${kind}Entry`],
    emit(t) {
      const a = t.a;
      const table = kind === "GDT" ? t.labels.gdt : kind === "LDT" ? t.labels.ldt : t.labels.idt;
      const index = kind === "GDT" ? SEL.spare >> 3 : kind === "LDT" ? 1 : VEC.written;
      if (kind === "IDT") {
        // An interrupt gate to the guest's counting handler.
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff);
        a.or(eax, SEL.code0 << 16);
        a.mov(t.v("desc_lo"), eax);
        a.mov(eax, t.labels.int90);
        a.and(eax, 0xffff0000);
        a.or(eax, 0x8e00);
        a.mov(t.v("desc_hi"), eax);
      } else {
        a.mov(t.v("desc_lo"), FLAT_DATA[0]);
        a.mov(t.v("desc_hi"), FLAT_DATA[1]);
      }
      a.mov(eax, table);
      a.mov(edx, index);
      a.mov(ecx, t.v("desc_lo"));
      t.call(`Write${kind}Entry`, { stack: [t.v("desc_hi")] });
      a.mov(eax, t.v("desc_lo"));
      t.expectEq(dword(plus(table, index * 8)), eax, `${kind}[${index}] low dword`);
      a.mov(eax, t.v("desc_hi"));
      t.expectEq(dword(plus(table, index * 8 + 4)), eax, `${kind}[${index}] high dword`);
      // The entry must work.
      if (kind === "IDT") {
        a.mov(t.v("int90_hits"), 0);
        a.int(VEC.written);
        t.expectEq(t.v("int90_hits"), 1, "int 0x90 through the written gate");
      } else if (kind === "GDT") {
        a.mov(ax, SEL.spare);
        a.mov(fs, ax);
      } else {
        a.mov(ax, SEL.ldt);
        a.lldt(ax);
        a.mov(ax, (1 << 3) | 4);
        a.mov(fs, ax);
      }
    },
    cleanup(t) {
      const a = t.a;
      a.mov(ax, SEL.data3);
      a.mov(fs, ax);
      if (kind === "IDT") {
        a.mov(dword(plus(t.labels.idt, VEC.written * 8)), 0);
        a.mov(dword(plus(t.labels.idt, VEC.written * 8 + 4)), 0);
      }
      if (kind === "LDT") {
        a.xor(eax, eax);
        a.lldt(ax);
      }
    },
  });

  return [
    tableTest("GDT"),
    tableTest("IDT"),
    writeEntry("GDT"),
    writeEntry("LDT"),
    writeEntry("IDT"),
    {
      name: "ldt",
      calls: ["SetLDT", "GetLDT"],
      emit(t) {
        const a = t.a;
        a.mov(dword(plus(t.labels.ldt, 8)), FLAT_DATA[0]);
        a.mov(dword(plus(t.labels.ldt, 12)), FLAT_DATA[1]);
        a.mov(eax, SEL.ldt);
        t.call("SetLDT", { path: "load", native: (x) => x.lldt(ax) });
        a.xor(eax, eax);
        a.sldt(ax);
        t.expectEq(eax, SEL.ldt, "LDTR after SetLDT (bare sldt)");
        a.mov(ax, (1 << 3) | 4);
        a.mov(fs, ax);
        a.mov(eax, 0xffffffff);
        t.call("GetLDT", {
          path: "loaded",
          native: (x) => {
            x.xor(eax, eax);
            x.sldt(ax);
          },
        });
        t.expectEq(eax, SEL.ldt, "GetLDT");
        a.mov(ax, SEL.data3);
        a.mov(fs, ax);
        a.xor(eax, eax);
        t.call("SetLDT", { path: "null", native: (x) => x.lldt(ax) });
        a.mov(eax, 0xffffffff);
        a.sldt(ax);
        a.movzx(eax, ax);
        t.expectEq(eax, 0, "LDTR after SetLDT(0)");
      },
      cleanup(t) {
        t.a.mov(ax, SEL.data3);
        t.a.mov(fs, ax);
        t.a.xor(eax, eax);
        t.a.lldt(ax);
      },
    },
    {
      name: "task-register",
      calls: ["SetTR", "GetTR"],
      emit(t) {
        const a = t.a;
        a.mov(eax, SEL.tss1);
        t.call("SetTR", { native: (x) => x.ltr(ax) });
        a.xor(eax, eax);
        a.str(ax);
        t.expectEq(eax, SEL.tss1, "TR after SetTR (bare str)");
        a.movzx(eax, byte(plus(t.labels.gdt, SEL.tss1 + 5)));
        t.expectEq(eax, 0x8b, "the TSS descriptor is marked busy");
        a.mov(eax, 0xffffffff);
        t.call("GetTR", {
          native: (x) => {
            x.xor(eax, eax);
            x.str(ax);
          },
        });
        t.expectEq(eax, SEL.tss1, "GetTR");
      },
      cleanup(t) {
        // Back to TSS 0: clear both busy bits, load it.
        const a = t.a;
        a.and(byte(plus(t.labels.gdt, SEL.tss0 + 5)), 0xfd);
        a.and(byte(plus(t.labels.gdt, SEL.tss1 + 5)), 0xfd);
        a.mov(ax, SEL.tss0);
        a.ltr(ax);
      },
    },
  ];
}

/** UpdateKernelStack as api13 and the spec define it: EAX = &TSS, EDX = esp0 → TSS.esp0. */
export function kernelStackToTss(): CallTest {
  return {
    name: "update-kernel-stack",
    calls: ["UpdateKernelStack"],
    emit(t) {
      const tss = t.scratch(TSS_SIZE, 16);
      t.a.mov(eax, tss);
      t.a.mov(edx, 0x00abcde0);
      t.call("UpdateKernelStack");
      t.expectEq(dword(plus(tss, 4)), 0x00abcde0, "TSS.esp0 after UpdateKernelStack");
    },
  };
}
