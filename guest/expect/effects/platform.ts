// The local APIC (memory-mapped registers) and the cycle counter.

import { dword, eax, edx } from "../../../src/asm/index.ts";
import { APIC_BASE } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { expectU64Less, save64 } from "./support.ts";

export function platformTests(): CallTest[] {
  return [
    {
      name: "apic",
      calls: ["APICRead", "APICWrite"],
      emit(t) {
        const a = t.a;
        const version = APIC_BASE + 0x30,
          tpr = APIC_BASE + 0x80;
        a.mov(eax, dword(version));
        a.mov(t.v("bare_apic_version"), eax);
        a.mov(eax, version);
        t.call("APICRead", { path: "version", native: (x) => x.mov(eax, dword(eax, 0)) });
        t.expectEq(eax, t.v("bare_apic_version"), "APICRead of the version register");
        a.mov(eax, tpr);
        a.mov(edx, 0x20);
        t.call("APICWrite", { path: "tpr", native: (x) => x.mov(dword(eax, 0), edx) });
        a.mov(eax, dword(tpr));
        t.expectMasked(eax, 0xff, 0x20, "the task priority written by APICWrite (bare read)");
      },
      cleanup(t) {
        t.a.mov(dword(APIC_BASE + 0x80), 0);
      },
    },
    {
      name: "cycle-counter",
      calls: ["GetCycleCounter"],
      emit(t) {
        const a = t.a;
        a.xor(eax, eax);
        t.call("GetCycleCounter", { path: "real", native: (x) => x.rdtsc() });
        save64(t, "cc1");
        a.rdtsc();
        save64(t, "cc2");
        a.xor(eax, eax);
        t.call("GetCycleCounter", { path: "real", count: false, native: (x) => x.rdtsc() });
        save64(t, "cc3");
        expectU64Less(t, "cc1", "cc2", "GetCycleCounter before the bare rdtsc");
        expectU64Less(t, "cc2", "cc3", "the bare rdtsc before GetCycleCounter");
      },
    },
  ];
}

/** SetInitialAPState(&state, APIC id) where no processor start-up needs the ROM's help: it answers 0. */
export function initialApStateTest(): CallTest {
  return {
    name: "zero-SetInitialAPState",
    calls: ["SetInitialAPState"],
    emit(t) {
      t.a.mov(eax, t.scratch(64));
      t.a.mov(edx, 1);
      t.call("SetInitialAPState");
      t.expectEq(eax, 0, "SetInitialAPState answers 0");
    },
  };
}
