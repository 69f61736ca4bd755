// Processor instructions with registers in and out: CPUID, MSRs, the time-stamp and performance
// counters, CLTS.

import { cr0, eax, ebp, ebx, ecx, edi, edx, esi } from "../../../src/asm/index.ts";
import { SEL } from "../../memory.ts";
import type { CallTest } from "../types.ts";
import { CR0_TS, MSR_SYSENTER_CS, MSR_SYSENTER_EIP, bareRdmsr, expectU64Less, save64 } from "./support.ts";

export function cpuTests(): CallTest[] {
  return [
    {
      name: "cpuid",
      calls: ["CPUID"],
      emit(t) {
        const a = t.a;
        for (const leaf of [0, 1]) {
          a.mov(eax, leaf);
          a.xor(ecx, ecx);
          a.cpuid();
          for (const r of [eax, ebx, ecx, edx]) a.mov(t.v(`bare_${r.name}`), r);
          a.mov(eax, leaf);
          a.xor(ecx, ecx);
          t.call("CPUID", { path: `leaf${leaf}`, native: (x) => x.cpuid(), preserves: [esi, edi, ebp] });
          for (const r of [eax, ebx, ecx, edx]) t.expectEq(r, t.v(`bare_${r.name}`), `leaf ${leaf}: ${r.name} as the bare cpuid`);
        }
      },
    },
    {
      name: "msr",
      calls: ["WRMSR", "RDMSR"],
      emit(t) {
        const a = t.a;
        for (const [msr, value, path] of [
          [MSR_SYSENTER_CS, SEL.code0, "sysenter_cs"],
          [MSR_SYSENTER_EIP, 0xcafe1234, "sysenter_eip"],
        ] as const) {
          a.mov(ecx, msr);
          a.mov(eax, value);
          a.xor(edx, edx);
          t.call("WRMSR", { path, native: (x) => x.wrmsr() });
          bareRdmsr(a, msr);
          t.expectEq(eax, value, `msr 0x${msr.toString(16)} after WRMSR (bare rdmsr), low`);
          t.expectEq(edx, 0, `msr 0x${msr.toString(16)} after WRMSR (bare rdmsr), high`);
          a.mov(ecx, msr);
          a.mov(eax, 0x5a5a5a5a);
          a.mov(edx, 0x5a5a5a5a);
          t.call("RDMSR", { path, native: (x) => x.rdmsr() });
          t.expectEq(eax, value, `RDMSR 0x${msr.toString(16)} low`);
          t.expectEq(edx, 0, `RDMSR 0x${msr.toString(16)} high`);
        }
      },
    },
    {
      name: "rdtsc",
      calls: ["RDTSC"],
      emit(t) {
        const a = t.a;
        t.call("RDTSC", { path: "first", native: (x) => x.rdtsc() });
        save64(t, "tsc1");
        a.rdtsc();
        save64(t, "tsc2");
        t.call("RDTSC", { path: "second", native: (x) => x.rdtsc() });
        save64(t, "tsc3");
        expectU64Less(t, "tsc1", "tsc2", "RDTSC before the bare rdtsc");
        expectU64Less(t, "tsc2", "tsc3", "bare rdtsc before RDTSC");
      },
    },
    {
      name: "rdpmc",
      calls: ["RDPMC"],
      emit(t) {
        // qemu's software CPU does not implement performance counters: the bare instruction raises #UD,
        // so the call must do the same (the native ROM runs the instruction).
        const a = t.a;
        a.xor(ecx, ecx);
        t.expectFault(6, () => a.rdpmc(), "bare rdpmc raises #UD under qemu (the oracle)");
        a.xor(ecx, ecx);
        t.expectFault(6, () => t.call("RDPMC", { count: false, native: (x) => x.rdpmc() }), "RDPMC behaves as the bare rdpmc (#UD)");
      },
    },
    {
      name: "clts",
      calls: ["CLTS"],
      emit(t) {
        const a = t.a;
        a.mov(eax, cr0);
        a.or(eax, CR0_TS);
        a.mov(cr0, eax);
        t.call("CLTS", { native: (x) => x.clts() });
        a.mov(eax, cr0);
        t.expectMasked(eax, CR0_TS, 0, "CR0.TS after CLTS");
      },
    },
  ];
}
