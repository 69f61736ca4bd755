// Page-table entries, the TLB and the paging hints: entries the guest owns in its test window are
// written through the calls and the mappings used afterwards; the TLB tests remap with a plain store
// first, so only the call can make the new page visible.

import { cr3, dword, eax, ecx, edx, mem, plus } from "../../../src/asm/index.ts";
import type { TestCtx } from "../../context.ts";
import { MARK, MEM } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { pte, testEntry, testVa } from "./support.ts";

export function pagingTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const tests: CallTest[] = [];
  for (const name of ["SetPxE", "SetPxE0"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(2)), 0);
        a.invlpg(mem(testVa(2)));
        a.mov(eax, pte(MEM.pageB));
        a.mov(edx, testEntry(2));
        a.mov(ecx, 1); // level: page table
        t.call(name, { native: (x) => x.mov(dword(edx, 0), eax) });
        t.expectEq(dword(testEntry(2)), pte(MEM.pageB), "the PTE after SetPxE");
        a.invlpg(mem(testVa(2)));
        a.mov(eax, dword(testVa(2)));
        t.expectEq(eax, MARK.B, "the new mapping is used");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(2)), 0);
        t.a.invlpg(mem(testVa(2)));
      },
    });
  }
  for (const name of ["SetPxELong", "SetPxELong0"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        const entry = t.scratch(8, 8);
        a.mov(eax, 0x89abc007);
        a.mov(edx, 0x00000001);
        a.mov(ecx, entry);
        t.call(name, { stack: [1] });
        t.expectEq(dword(entry), 0x89abc007, "low half of the 64-bit entry");
        t.expectEq(dword(plus(entry, 4)), 1, "high half of the 64-bit entry");
      },
    });
  }
  for (const name of ["UpdatePxE", "UpdatePxELong"].filter(has)) {
    tests.push({
      name: `pte-${name}`,
      calls: [name],
      emit(t) {
        const a = t.a;
        a.mov(eax, testEntry(0));
        a.mov(edx, 1);
        t.call(name);
        // The CPU itself sets accessed/dirty (0x20/0x40) as the window is used: ignore those.
        t.expectMasked(dword(testEntry(0)), ~0x60, pte(MEM.pageA), `${name} leaves the entry as it is`);
      },
    });
  }
  tests.push(
    {
      // A plain store to a PTE does not reach a cached translation; InvalPage must drop it.
      name: "inval-page",
      calls: ["InvalPage"],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(1)), pte(MEM.pageA));
        a.invlpg(mem(testVa(1)));
        a.mov(eax, dword(testVa(1)));
        t.expectEq(eax, MARK.A, "page A through the test window");
        a.mov(dword(testEntry(1)), pte(MEM.pageB));
        a.mov(eax, dword(testVa(1)));
        reportStale(t, "inval-page");
        a.mov(eax, testVa(1));
        t.call("InvalPage", { native: (x) => x.invlpg(mem(eax)) });
        a.mov(eax, dword(testVa(1)));
        t.expectEq(eax, MARK.B, "page B after InvalPage");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(1)), pte(MEM.pageA));
        t.a.invlpg(mem(testVa(1)));
      },
    },
    {
      name: "flush-tlb",
      calls: ["FlushTLB"],
      emit(t) {
        const a = t.a;
        for (const [flags, page, mark, path] of [
          [1, MEM.pageC, MARK.C, "tlb"],
          [3, MEM.pageB, MARK.B, "global"],
        ] as const) {
          a.mov(eax, dword(testVa(1)));
          a.mov(dword(testEntry(1)), pte(page));
          a.mov(eax, flags);
          t.call("FlushTLB", {
            path,
            native: (x) => {
              x.mov(eax, cr3);
              x.mov(cr3, eax);
            },
          });
          a.mov(eax, dword(testVa(1)));
          t.expectEq(eax, mark, `the new mapping after FlushTLB(${flags})`);
        }
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(1)), pte(MEM.pageA));
        t.a.invlpg(mem(testVa(1)));
      },
    },
  );
  return tests;
}

/** Prints whether the read just done (EAX) still saw page A through a remapped entry (informational). */
function reportStale(t: TestCtx, test: string): void {
  const a = t.a;
  const stale = a.newLabel(),
    done = a.newLabel();
  a.cmp(eax, MARK.A);
  a.je(stale);
  t.g.print(`GUEST: INFO test=${test} tlb_stale=no\n`);
  a.jmp(done);
  a.label(stale);
  t.g.print(`GUEST: INFO test=${test} tlb_stale=yes\n`);
  a.label(done);
}

/** The api13 entry operations, as the 13.0 prototypes define them. */
export function pteOperationTests(): CallTest[] {
  return [
    {
      name: "pte-get",
      calls: ["GetPxE"],
      emit(t) {
        t.a.mov(eax, testEntry(0));
        t.call("GetPxE");
        t.expectEq(eax, dword(testEntry(0)), "GetPxE returns the entry (bare read)");
      },
    },
    {
      name: "pte-swap",
      calls: ["SwapPxE"],
      emit(t) {
        const a = t.a;
        a.mov(dword(testEntry(3)), pte(MEM.pageA));
        a.invlpg(mem(testVa(3)));
        a.mov(eax, testEntry(3));
        a.mov(edx, pte(MEM.pageC));
        t.call("SwapPxE");
        t.expectEq(eax, pte(MEM.pageA), "SwapPxE returns the old entry");
        t.expectEq(dword(testEntry(3)), pte(MEM.pageC), "the entry after SwapPxE");
        a.invlpg(mem(testVa(3)));
        a.mov(eax, dword(testVa(3)));
        t.expectEq(eax, MARK.C, "the swapped-in mapping is used");
      },
      cleanup(t) {
        t.a.mov(dword(testEntry(3)), 0);
        t.a.invlpg(mem(testVa(3)));
      },
    },
    ...(["TestAndSetPxEBit", "TestAndClearPxEBit", "TestAndSetPxELongBit", "TestAndClearPxELongBit"] as const).map((name): CallTest => {
      const set = name.includes("Set");
      const bit = name.includes("Long") ? 40 : 5;
      return {
        name: `pte-${name}`,
        calls: [name],
        emit(t) {
          const a = t.a;
          const entry = t.scratch(8, 8);
          const dwordIndex = bit >> 5,
            mask = 1 << (bit & 31);
          const before = set ? 0 : mask,
            after = set ? mask : 0;
          for (const [pass, old] of [
            [1, set ? 0 : 1],
            [2, set ? 1 : 0],
          ] as const) {
            if (pass === 1) a.mov(dword(plus(entry, 4 * dwordIndex)), before);
            a.mov(eax, entry);
            a.mov(edx, bit);
            t.call(name, { path: `pass${pass}` });
            t.expectEq(eax, old, `${name}(bit ${bit}) returns the old bit, pass ${pass}`);
            t.expectEq(dword(plus(entry, 4 * dwordIndex)), after >>> 0, `the entry after ${name}, pass ${pass}`);
          }
        },
      };
    }),
    {
      name: "pte-long-get-swap-clear",
      calls: ["GetPxELong", "SwapPxELongAtomic", "DeactivatePxELongAtomic"],
      emit(t) {
        const a = t.a;
        const entry = t.scratch(8, 8);
        a.mov(dword(entry), 0x11112222);
        a.mov(dword(plus(entry, 4)), 0x33334444);
        a.mov(eax, entry);
        t.call("GetPxELong");
        t.expectEq(eax, 0x11112222, "GetPxELong low");
        t.expectEq(edx, 0x33334444, "GetPxELong high");
        a.mov(eax, 0x55556666);
        a.mov(edx, 0x77778888);
        a.mov(ecx, entry);
        t.call("SwapPxELongAtomic");
        t.expectEq(eax, 0x11112222, "SwapPxELongAtomic returns the old low half");
        t.expectEq(edx, 0x33334444, "SwapPxELongAtomic returns the old high half");
        t.expectEq(dword(entry), 0x55556666, "low half after SwapPxELongAtomic");
        t.expectEq(dword(plus(entry, 4)), 0x77778888, "high half after SwapPxELongAtomic");
        a.mov(eax, entry);
        t.call("DeactivatePxELongAtomic");
        t.expectEq(eax, 0x55556666, "DeactivatePxELongAtomic returns the old low half");
        t.expectEq(edx, 0x77778888, "DeactivatePxELongAtomic returns the old high half");
        t.expectEq(dword(entry), 0, "low half after DeactivatePxELongAtomic");
        t.expectEq(dword(plus(entry, 4)), 0, "high half after DeactivatePxELongAtomic");
      },
    },
  ];
}

/** Calls that are only hints on bare hardware: allocate/release, linear mappings, lazy and deferred modes. */
export function pageHintTests(layout: { calls: readonly { name: string }[] }): CallTest[] {
  const has = (n: string) => layout.calls.some((c) => c.name === n);
  const tests: CallTest[] = [
    {
      name: "allocate-release-page",
      calls: ["AllocatePage", "ReleasePage"],
      emit(t) {
        const a = t.a;
        a.mov(eax, MEM.pageC >>> 12);
        a.mov(edx, 1);
        a.xor(ecx, ecx);
        t.call("AllocatePage", { stack: [0, 0] });
        a.mov(eax, MEM.pageC >>> 12);
        a.mov(edx, 1);
        t.call("ReleasePage");
        t.expectEq(dword(MEM.pageC), MARK.C, "the page's contents are untouched");
      },
    },
    {
      name: "set-linear-mapping",
      calls: ["SetLinearMapping"],
      emit(t) {
        const a = t.a;
        a.xor(eax, eax);
        a.mov(edx, 0xc0000000);
        a.mov(ecx, 4096);
        t.call("SetLinearMapping", { stack: [0] });
      },
    },
  ];
  if (has("SetLazyMode")) {
    tests.push({
      name: "lazy-mode",
      calls: ["SetLazyMode"],
      emit(t) {
        for (const mode of [1, 2, 0]) {
          t.a.mov(eax, mode);
          t.call("SetLazyMode", { path: `mode=${mode}` });
        }
      },
    });
  }
  if (has("FlushDeferredCalls")) {
    tests.push({
      name: "flush-deferred",
      calls: ["FlushDeferredCalls"],
      emit(t) {
        t.a.mov(eax, 0xc0);
        t.call("FlushDeferredCalls");
      },
    });
  }
  return tests;
}

/**
 * MachineToPhysical and PhysicalToMachine where machine and physical addresses are the same (a bare machine,
 * shadow paging): each answers its argument. `why` ends each message.
 */
export function identityTranslationTests(why: string): CallTest[] {
  return ["MachineToPhysical", "PhysicalToMachine"].map((call) => ({
    name: `identity-${call}`,
    calls: [call],
    emit(t) {
      t.a.mov(eax, 0x12345000);
      t.call(call);
      t.expectEq(eax, 0x12345000, `${call}: ${why}`);
    },
  }));
}
