// The guest checks its own hypervisor hook before any ROM runs: a vmcall, an int $0x82 and a vmmcall
// issued by the guest itself must each land in the hypercall log with the caller's registers and the
// trapping instruction's address, and an ordinary #UD (ud2) must still be a fault. Afterwards the log is
// emptied and only the transports of the backend's model stay enabled.

import { dword, eax, ebx, ecx, edi, edx, esi } from "../src/asm/index.ts";
import type { TestCtx } from "./context.ts";
import type { CallTest } from "./expect/types.ts";
import { HC_ENTRY_SIZE, MEM, VEC } from "./memory.ts";
import { HC_RECORD, TRANSPORTS } from "./traps.ts";

const ARGS = { ebx: 0x11110001, ecx: 0x22220002, edx: 0x33330003, esi: 0x44440004, edi: 0x55550005 } as const;

export const hcSelfTest: CallTest = {
  name: "guest-hypercall-hook",
  calls: [],
  emit(t: TestCtx) {
    const a = t.a;
    const all = (1 << TRANSPORTS.vmcall) | (1 << TRANSPORTS.vmmcall) | (1 << TRANSPORTS.int82);
    a.mov(t.v("hc_transports"), all);
    a.mov(t.v("hc_seq"), 0);
    // at: the hypercall instruction.
    const sites = [
      { via: "vmcall", nr: 0x48430001, emit: () => a.vmcall(), at: a.newLabel() },
      { via: "int82", nr: 0x48430002, emit: () => a.int(VEC.hypercall), at: a.newLabel() },
      { via: "vmmcall", nr: 0x48430003, emit: () => a.vmmcall(), at: a.newLabel() },
    ] as const;
    sites.forEach((s) => {
      a.mov(eax, s.nr);
      a.mov(ebx, ARGS.ebx);
      a.mov(ecx, ARGS.ecx);
      a.mov(edx, ARGS.edx);
      a.mov(esi, ARGS.esi);
      a.mov(edi, ARGS.edi);
      a.label(s.at);
      s.emit();
      // No hypervisor effect is modelled here: EAX comes back unchanged.
      t.expectEq(eax, s.nr, `${s.via}: EAX after the hypercall`);
    });
    t.expectEq(t.v("hc_seq"), sites.length, "hypercalls recorded");
    sites.forEach((s, i) => {
      const rec = (f: keyof typeof HC_RECORD) => dword(MEM.hcLog + i * HC_ENTRY_SIZE + HC_RECORD[f]);
      t.expectEq(rec("via"), TRANSPORTS[s.via], `${s.via}: recorded transport`);
      t.expectEq(rec("eax"), s.nr, `${s.via}: recorded EAX`);
      for (const r of ["ebx", "ecx", "edx", "esi", "edi"] as const) t.expectEq(rec(r), ARGS[r], `${s.via}: recorded ${r}`);
      t.expectEq(rec("eip"), s.at, `${s.via}: recorded address of the instruction`);
    });
    t.expectFault(6, () => a.ud2(), "ud2 with the hook on is still #UD");
  },
  cleanup(t: TestCtx) {
    t.a.mov(t.v("hc_seq"), 0);
    t.a.mov(t.v("hc_transports"), 0);
  },
};
