// The test guest: a multiboot kernel, written with vmirom's own assembler, that uses a VMI ROM the way
// Linux (api3) or Sanos (api13) does — probe, Init, GetRelocationInfo for every call, patched call sites —
// then runs the backend's tests, counts instructions per call, and reports everything on the debug port.
// The layout and the build manifest are inputs; the ROM's address is found at run time by probing.

import { formatListing } from "../src/asm/index.ts";
import { diag, type Diagnostic, type Result } from "../src/diagnostics.ts";
import type { Layout } from "../src/layout/types.ts";
import type { Manifest } from "../src/manifest/types.ts";
import { bootProblems, declareTables, emitBoot, emitMultibootHeader } from "./boot.ts";
import { emitConsole } from "./console.ts";
import type { CheckRuntime } from "./context.ts";
import { GuestAsm } from "./emitter.ts";
import type { BackendExpectations, CallTest } from "./expect/types.ts";
import { emitFinalChecks } from "./final.ts";
import { hcSelfTest } from "./hc-selftest.ts";
import { EXIT } from "./memory.ts";
import { emitProbe, type GuestKind } from "./probe.ts";
import { declareRelocArrays, emitDropIdentityMap, emitInit, emitRelocations } from "./reloc.ts";
import { applicableTests, emitReportFail, emitTest, type RunnerDeps } from "./runner.ts";
import { SiteTable } from "./sites.ts";
import { emitTraps, TRANSPORTS } from "./traps.ts";

export interface GuestInput {
  layout: Layout;
  /** The ROM's build manifest: expected relocation types and slot offsets. Absent: those checks are off. */
  manifest?: Manifest;
  expectations: BackendExpectations;
  /** Put the TypeScript source line of each instruction in the listing (about 1 s slower). */
  sourceLines?: boolean;
}

export interface GuestTestInfo {
  name: string;
  calls: readonly string[];
  logMarkers: readonly string[];
}

export interface GuestBuild {
  bytes: Uint8Array;
  listing: string;
  kind: GuestKind;
  /** The tests compiled in, in run order (the hook self-test first). */
  tests: GuestTestInfo[];
  sites: number;
}

/** Which guest's conventions a layout calls for: Linux for API 3, Sanos for API 13. */
export function guestKind(layout: Layout): Result<GuestKind> {
  if (layout.version.major === 3) return { ok: true, value: "linux" };
  if (layout.version.major === 13) return { ok: true, value: "sanos" };
  return {
    ok: false,
    errors: [diag("GUEST_UNKNOWN_API", `no guest uses API major ${layout.version.major} (Linux uses 3, Sanos 13)`, { path: "version.major" })],
  };
}

export function buildGuest(input: GuestInput): Result<GuestBuild> {
  const { layout, manifest, expectations } = input;
  const kindR = guestKind(layout);
  if (!kindR.ok) return kindR;
  const kind = kindR.value;
  const problems: Diagnostic[] = bootProblems(layout).map((m) => diag("GUEST_LAYOUT", m, { path: "virtualTop" }));
  if (manifest && manifest.layout !== layout.name) {
    problems.push(diag("GUEST_MANIFEST", `the manifest is for layout ${manifest.layout}, not ${layout.name}`, { path: "layout" }));
  }
  if (problems.length) return { ok: false, errors: problems };

  let tests: CallTest[];
  try {
    tests = applicableTests(layout, expectations.tests(layout));
  } catch (e) {
    return { ok: false, errors: [diag("GUEST_TEST_DEFINITION", (e as Error).message, {})] };
  }
  const names = new Set<string>();
  for (const t of tests) {
    if (names.has(t.name)) return { ok: false, errors: [diag("GUEST_TEST_DEFINITION", `two tests are named ${t.name}`, {})] };
    names.add(t.name);
  }

  const g = new GuestAsm(input.sourceLines ?? false);
  const a = g.a;
  const entry = a.newLabel("entry"),
    loadEnd = a.newLabel("load_end");
  emitMultibootHeader(g, entry, loadEnd);
  const tables = declareTables(g);
  const check: CheckRuntime = { reportFail: a.newLabel("report_fail") };
  const sites = new SiteTable(g);
  const plan = declareRelocArrays(g, layout);
  const model = expectations.hypervisor;

  // Traps first (their labels feed the IDT), jumped over.
  a.label(entry);
  const boot = a.newLabel("boot");
  a.jmp(boot);
  const traps = emitTraps(g, model);
  const deps: RunnerDeps = { g, layout, kind, manifest, sites, check, labels: { ...tables, int90: traps.written }, ...(model ? { model } : {}) };
  a.label(boot);
  emitBoot(g, tables, traps.gates, kind);
  for (const name of ["cur_test", "cur_call", "cur_path"]) a.mov(g.v(name), g.str("-"));
  a.mov(g.v("expect_fault_vec"), -1);
  g.print(`GUEST: BEGIN layout=${layout.name} backend=${expectations.backend} guest=${kind} tests=${tests.length} manifest=${manifest ? "yes" : "no"}\n`);

  try {
    emitTest(deps, hcSelfTest);
    const transports = (model?.transports ?? []).reduce((m, t) => m | (1 << TRANSPORTS[t]), 0);
    a.mov(g.v("hc_transports"), transports);
    a.mov(g.v("hc_model_on"), 1);

    model?.setup?.(g, layout);
    const found = a.newLabel("rom_found"),
      notFound = a.newLabel("rom_not_found");
    emitProbe(g, kind, found, notFound);
    a.label(notFound);
    g.print("GUEST: END result=no-rom\n");
    a.push(EXIT.noRom);
    a.call(g.rt.exit);

    a.label(found);
    const native = a.newLabel("stay_native"),
      patch = a.newLabel("patch_sites");
    emitInit(g, kind, native);
    emitRelocations(g, kind, layout, manifest, plan);
    a.jmp(patch);
    // Init failed: every relocation stays NONE (zeroed), so the patcher keeps the native instructions. Sanos
    // drops its identity map all the same.
    a.label(native);
    if (kind === "sanos") emitDropIdentityMap(g);
    a.label(patch);
    sites.emitPatcher(plan.arrays);
    for (const t of tests) emitTest(deps, t, plan.arrays);
    emitFinalChecks(g, expectations);
  } catch (e) {
    return { ok: false, errors: [diag("GUEST_TEST_DEFINITION", (e as Error).message, {})] };
  }

  emitConsole(g);
  emitReportFail(g, check);
  sites.emitTable();
  g.emitData();
  a.align(4);
  a.label(loadEnd);
  const r = a.assemble();
  if (!r.ok) return { ok: false, errors: r.errors };
  return {
    ok: true,
    value: {
      bytes: r.bytes,
      listing: formatListing(r),
      kind,
      tests: [hcSelfTest, ...tests].map((t) => ({ name: t.name, calls: t.calls, logMarkers: t.logMarkers ?? [] })),
      sites: sites.count,
    },
  };
}
