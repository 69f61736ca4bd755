// Control and debug registers: each Set is read back with the bare mov, each Get compared with it.

import { cr0, cr2, cr3, cr4, dr0, dr1, dr2, dr3, dr7, dword, eax, edx, type DbgReg } from "../../../src/asm/index.ts";
import { MARK, MEM, TEST_VA } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { CR0_WP, CR4_TSD, PAGE, pte, copy } from "./support.ts";

export function controlRegisterTests(): CallTest[] {
  const roundTrip = (n: 0 | 4, toggle: number): CallTest => {
    const reg = n === 0 ? cr0 : cr4;
    return {
      name: `cr${n}`,
      calls: [`SetCR${n}`, `GetCR${n}`],
      emit(t) {
        const a = t.a;
        a.mov(eax, reg);
        a.mov(t.v(`cr${n}_orig`), eax);
        a.xor(eax, toggle);
        a.mov(t.v(`cr${n}_want`), eax);
        t.call(`SetCR${n}`, { path: "toggled", native: (x) => x.mov(reg, eax) });
        a.mov(eax, reg);
        t.expectEq(eax, t.v(`cr${n}_want`), `CR${n} after SetCR${n} (bare read)`);
        a.mov(eax, 0x5a5a5a5a); // not the value: a Get that does nothing must not pass
        t.call(`GetCR${n}`, { path: "toggled", native: (x) => x.mov(eax, reg) });
        t.expectEq(eax, t.v(`cr${n}_want`), `GetCR${n}`);
        a.mov(eax, t.v(`cr${n}_orig`));
        t.call(`SetCR${n}`, { path: "restore", native: (x) => x.mov(reg, eax) });
        a.mov(eax, reg);
        t.expectEq(eax, t.v(`cr${n}_orig`), `CR${n} restored by SetCR${n}`);
      },
      cleanup(t) {
        t.a.mov(eax, t.v(`cr${n}_orig`));
        t.a.mov(reg, eax);
      },
    };
  };
  return [
    roundTrip(0, CR0_WP),
    roundTrip(4, CR4_TSD),
    {
      name: "cr2",
      calls: ["SetCR2", "GetCR2"],
      emit(t) {
        const a = t.a;
        a.mov(eax, 0xdeadb000);
        t.call("SetCR2", { native: (x) => x.mov(cr2, eax) });
        a.mov(eax, cr2);
        t.expectEq(eax, 0xdeadb000, "CR2 after SetCR2 (bare read)");
        a.xor(eax, eax);
        t.call("GetCR2", { native: (x) => x.mov(eax, cr2) });
        t.expectEq(eax, 0xdeadb000, "GetCR2");
      },
    },
    {
      // A copy of the page directory that maps the test window onto page C: loading it must switch
      // address spaces (and flush the old translation), restoring the original must switch back.
      name: "cr3",
      calls: ["SetCR3", "GetCR3"],
      emit(t) {
        const a = t.a;
        copy(t, MEM.pageDir, MEM.pageDirCopy, PAGE);
        // Sanos's sequence: the directory the guest runs on has no identity map of 0-4 MiB any more, nor may the copy.
        if (t.kind === "sanos") t.expectEq(dword(MEM.pageDirCopy), 0, "the copy has no identity map of low memory");
        a.mov(dword(MEM.pageDirCopy + (TEST_VA >>> 22) * 4), pte(MEM.testTableCopy));
        a.mov(dword(MEM.testTableCopy), pte(MEM.pageC));
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.A, "the test window shows page A before");
        a.mov(eax, MEM.pageDirCopy);
        t.call("SetCR3", { path: "copy", native: (x) => x.mov(cr3, eax) });
        a.mov(eax, cr3);
        t.expectEq(eax, MEM.pageDirCopy, "CR3 after SetCR3 (bare read)");
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.C, "the test window through the new page directory");
        a.xor(eax, eax);
        t.call("GetCR3", { native: (x) => x.mov(eax, cr3) });
        t.expectEq(eax, MEM.pageDirCopy, "GetCR3");
        a.mov(eax, MEM.pageDir);
        t.call("SetCR3", { path: "restore", native: (x) => x.mov(cr3, eax) });
        a.mov(eax, dword(TEST_VA));
        t.expectEq(eax, MARK.A, "the test window after restoring CR3");
      },
      cleanup(t) {
        t.a.mov(eax, MEM.pageDir);
        t.a.mov(cr3, eax);
      },
    },
    {
      name: "debug-registers",
      calls: ["SetDR", "GetDR"],
      emit(t) {
        const a = t.a;
        const regs: Array<[number, DbgReg, number]> = [
          [0, dr0, 0x11110000],
          [1, dr1, 0x22220004],
          [2, dr2, 0x33330008],
          [3, dr3, 0x4444000c],
          [7, dr7, 0x400],
        ];
        for (const [n, r, value] of regs) {
          a.mov(eax, n);
          a.mov(edx, value);
          t.call("SetDR", { path: `dr${n}`, native: (x) => x.mov(r, edx) });
          a.mov(eax, r);
          t.expectEq(eax, value, `DR${n} after SetDR (bare read)`);
          a.mov(eax, n);
          t.call("GetDR", { path: `dr${n}`, native: (x) => x.mov(eax, r) });
          t.expectEq(eax, value, `GetDR(${n})`);
        }
      },
      cleanup(t) {
        t.a.xor(eax, eax);
        for (const r of [dr0, dr1, dr2, dr3]) t.a.mov(r, eax);
        t.a.mov(eax, 0x400);
        t.a.mov(dr7, eax);
      },
    },
  ];
}
