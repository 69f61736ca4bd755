// Runs the tests one after the other. Each starts from a known state (fresh stack, interrupts off, no
// counting, no expected fault), is skipped when the ROM answered NONE or NOP for one of its calls, and
// ends in PASS or in the FAIL its failed check printed; its cleanup runs either way.

import { dword, eax, esp, plus } from "../src/asm/index.ts";
import type { Layout } from "../src/layout/types.ts";
import type { Manifest } from "../src/manifest/types.ts";
import { TestCtx, type CheckRuntime, type GuestLabels } from "./context.ts";
import type { GuestAsm } from "./emitter.ts";
import type { CallTest } from "./expect/types.ts";
import { MEM } from "./memory.ts";
import type { GuestKind } from "./probe.ts";
import type { RelocArrays, SiteTable } from "./sites.ts";
import type { HypervisorModel } from "./traps.ts";

export interface RunnerDeps {
  g: GuestAsm;
  layout: Layout;
  kind: GuestKind;
  manifest: Manifest | undefined;
  sites: SiteTable;
  check: CheckRuntime;
  labels: GuestLabels;
  /** The hypervisor the guest plays, when the backend is paravirtual. */
  model?: HypervisorModel;
}

/** Emits report_fail(what, got, want): the FAIL line, fail_count + 1. */
export function emitReportFail(g: GuestAsm, check: CheckRuntime): void {
  const a = g.a;
  a.label(check.reportFail);
  // Arguments: [esp+4] what, [esp+8] got, [esp+12] want; printing preserves everything.
  g.print("GUEST: FAIL test=");
  g.printStrAt(g.v("cur_test"));
  g.print(" call=");
  g.printStrAt(g.v("cur_call"));
  g.print(" path=");
  g.printStrAt(g.v("cur_path"));
  a.mov(eax, dword(esp, 8));
  g.printKeyHex(" got=", eax);
  a.mov(eax, dword(esp, 12));
  g.printKeyHex(" want=", eax);
  g.print(" what=");
  a.mov(eax, dword(esp, 4));
  g.printStrAt(eax);
  g.print("\n");
  a.inc(g.v("fail_count"));
  a.ret(12);
}

/**
 * Emits one test. `relocs` absent: the test uses no ROM call (guest self-tests). A NOP answer skips the
 * test (the call does nothing, so there is no effect to check); a NONE answer skips it only when one of
 * its sites for that call has no native instruction to fall back on — otherwise the test runs through
 * the unpatched native code, as Linux would.
 */
export function emitTest(d: RunnerDeps, test: CallTest, relocs?: RelocArrays): void {
  const { g } = d;
  const a = g.a;
  const body = a.newLabel(),
    checks = a.newLabel(),
    failed = a.newLabel(),
    cleanup = a.newLabel(),
    end = a.newLabel();
  const t = new TestCtx(g, d.layout, d.kind, d.manifest, d.labels, d.sites, d.check, failed, d.model);
  a.mov(esp, MEM.stackTop);
  a.cli();
  a.mov(g.v("counting"), 0);
  a.mov(g.v("expect_fault_vec"), -1);
  a.mov(g.v("cur_test"), g.str(test.name));
  a.mov(g.v("cur_call"), g.str("-"));
  a.mov(g.v("cur_path"), g.str("-"));
  // The skip checks depend on which sites the body emits without a native fallback: they come after it.
  if (relocs) a.jmp(checks);
  a.label(body);
  test.emit(t);
  g.print(`GUEST: PASS test=${test.name}\n`);
  a.jmp(cleanup);
  a.label(failed);
  a.label(cleanup);
  a.mov(esp, MEM.stackTop);
  a.mov(g.v("counting"), 0);
  a.mov(g.v("expect_fault_vec"), -1);
  test.cleanup?.(t);
  if (!relocs) return void a.label(end);
  a.jmp(end);

  a.label(checks);
  for (const name of test.calls) {
    const n = t.num(name);
    const skips: Array<[number, string]> = [[3, "nop"]];
    if (t.callsWithoutNative.has(name)) skips.push([0, "none"]);
    for (const [type, reason] of skips) {
      const go = a.newLabel();
      a.mov(eax, dword(plus(relocs.type, n * 4)));
      a.cmp(eax, type);
      a.jne(go);
      g.print(`GUEST: SKIP test=${test.name} call=${name} reason=${reason}\n`);
      a.jmp(end);
      a.label(go);
    }
  }
  a.jmp(body);
  a.label(end);
}

/** Tests the layout can run: every call they name exists in it. */
export function applicableTests(layout: Layout, tests: readonly CallTest[]): CallTest[] {
  const names = new Set(layout.calls.map((c) => c.name));
  return tests.filter((t) => t.calls.every((c) => names.has(c)));
}
