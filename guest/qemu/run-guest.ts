// Boots the test guest against one ROM in qemu and judges the run: builds the guest for the ROM's layout
// and backend (from its manifest), runs SeaBIOS + ROM + guest, parses the debug log, lists every problem,
// and writes the instruction-count table (<rom>.cost.json, and a section of <rom>.map).
//
//   npx tsx guest/qemu/run-guest.ts build/roms/native-api3.rom [--json] [--no-cost] [--keep DIR [--source]] [--timeout MS]

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diag, formatDiagnostic, type Result } from "../../src/diagnostics.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { commonEffectTests } from "../expect/effects/index.ts";
import { expectationsFor, type UncheckedTests } from "../expect/index.ts";
import type { BackendExpectations } from "../expect/types.ts";
import { buildGuest, type GuestBuild } from "../guest.ts";
import { hcSelfTest } from "../hc-selftest.ts";
import { EXIT, exitStatus } from "../memory.ts";
import { costTable, formatCostTable, mergeIntoMap, type CostTable } from "./cost.ts";
import { parseGuestLog, type ParsedLog } from "./parse-log.ts";
import { runQemu } from "./qemu.ts";

export type Outcome = "pass" | "fail" | "no-rom" | "fatal" | "timeout" | "triple-fault" | "other";

export interface RunGuestOptions {
  rom: string;
  /** Default: the ROM's sibling <name>.json. */
  manifest?: string;
  /** Default: the manifest's backend's (with `ownTests`: those). */
  expectations?: BackendExpectations;
  /** A backend file's own tests (its `guestTests` export), run in place of the common effect tests. */
  ownTests?: UncheckedTests;
  /** Write <rom>.cost.json and the .map section (default true). */
  writeCost?: boolean;
  /** Keep guest.bin, guest.lst and debug.log in this directory. */
  keepDir?: string;
  timeoutMs?: number;
  /** A guest already built for this ROM's layout, manifest and expectations (saves rebuilding it). */
  guest?: GuestBuild;
  /** Source lines in the kept listing (slower build). */
  sourceLines?: boolean;
}

export interface GuestRunResult {
  rom: string;
  backend: string;
  layout: string;
  guest: GuestBuild["kind"];
  status: number;
  outcome: Outcome;
  /** True when the guest passed everything and the harness found no problem. */
  ok: boolean;
  /** Every reason the run is not ok, one line each. */
  problems: string[];
  /** Implemented calls no passing test exercised (and not excused by the expectations). */
  untested: string[];
  /** Whether `untested` counts as a problem (expectations' untestedIsFailure). */
  untestedIsFailure: boolean;
  /** The tests the backend's expectations add to the common effect tests, in run order (passed or not). */
  ownTests: string[];
  durationMs: number;
  parsed: Omit<ParsedLog, "lines">;
  cost: CostTable | null;
  log: string;
}

export function outcomeOf(status: number): Outcome {
  if (status === exitStatus(EXIT.pass)) return "pass";
  if (status === exitStatus(EXIT.fail)) return "fail";
  if (status === exitStatus(EXIT.noRom)) return "no-rom";
  if (status === exitStatus(EXIT.fatal)) return "fatal";
  if (status === 124) return "timeout";
  if (status === 0) return "triple-fault";
  return "other";
}

export function siblingPath(rom: string, ext: string): string {
  return rom.replace(/\.rom$/i, "") + ext;
}

export function readManifest(path: string): Result<Manifest> {
  if (!existsSync(path))
    return { ok: false, errors: [diag("GUEST_NO_MANIFEST", `no manifest at ${path} (the builder writes <rom>.json next to the ROM)`, { file: path })] };
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    if (m.tool !== "vmirom" || !Array.isArray(m.calls)) {
      return { ok: false, errors: [diag("GUEST_BAD_MANIFEST", "not a vmirom build manifest (tool/calls missing)", { file: path })] };
    }
    return { ok: true, value: m };
  } catch (e) {
    return { ok: false, errors: [diag("GUEST_BAD_MANIFEST", `unreadable manifest: ${(e as Error).message}`, { file: path })] };
  }
}

/**
 * The calls the ROM implements (CALL_REL or JUMP_REL: NONE leaves native code, NOP removes the call)
 * that no passing test exercised, minus the excused ones.
 */
export function untestedCalls(manifest: Manifest, build: GuestBuild, passed: readonly string[], e: BackendExpectations): string[] {
  const covered = new Set<string>();
  const passedSet = new Set(passed);
  for (const t of build.tests) if (passedSet.has(t.name)) for (const c of t.calls) covered.add(c);
  return manifest.calls
    .filter((c) => (c.reloc === "CALL_REL" || c.reloc === "JUMP_REL") && c.placement !== "image" && c.name !== "Init" && c.name !== "GetRelocationInfo")
    .map((c) => c.name)
    .filter((n) => !covered.has(n) && !(n in e.untested));
}

export function runGuest(o: RunGuestOptions): Result<GuestRunResult> {
  const rom = resolve(o.rom);
  if (!existsSync(rom)) return { ok: false, errors: [diag("GUEST_NO_ROM", `no ROM at ${rom}`, { file: rom })] };
  const manifestR = readManifest(o.manifest ?? siblingPath(rom, ".json"));
  if (!manifestR.ok) return manifestR;
  const manifest = manifestR.value;
  const layoutR = loadLayoutByName(manifest.layout);
  if (!layoutR.ok) return layoutR;
  const expectations = o.expectations ?? expectationsFor(manifest, o.ownTests);
  if (!expectations) {
    return {
      ok: false,
      errors: [
        diag(
          "GUEST_NO_EXPECTATIONS",
          `backend ${manifest.backend} speaks the ${String(manifest.hypervisor)} hypervisor contract, which the guest has no model of (it plays vmware and xen)`,
          { file: rom },
        ),
      ],
    };
  }
  let build = o.guest;
  if (!build) {
    const built = buildGuest({ layout: layoutR.value, manifest, expectations, sourceLines: o.sourceLines ?? false });
    if (!built.ok) return built;
    build = built.value;
  }

  let work: string;
  if (o.keepDir) {
    mkdirSync(o.keepDir, { recursive: true });
    work = o.keepDir;
  } else work = mkdtempSync(join(tmpdir(), "vmirom-guest-"));
  let run: ReturnType<typeof runQemu>;
  try {
    const kernel = join(work, "guest.bin");
    writeFileSync(kernel, build.bytes);
    if (o.keepDir) writeFileSync(join(work, "guest.lst"), build.listing);
    run = runQemu({ kernel, optionRom: rom, workDir: work, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  } finally {
    if (!o.keepDir) rmSync(work, { recursive: true, force: true });
  }

  const parsed = parseGuestLog(run.log);
  const outcome = outcomeOf(run.status);
  const problems: string[] = [];
  if (outcome !== "pass")
    problems.push(`qemu exited with status ${run.status} (${outcome})${run.stderr.trim() ? `: ${run.stderr.trim().split("\n")[0]}` : ""}`);
  if (!parsed.end) problems.push("the guest never printed its END line");
  else if (parsed.end.result !== "pass") problems.push(`the guest ended with result=${parsed.end.result}`);
  for (const p of parsed.probes.filter((x) => x.result === "refuse")) problems.push(`probe refused the ROM at ${p.at}: ${p.reason}`);
  if (parsed.init && parsed.init.status !== "ok")
    problems.push(`Init failed: result=${parsed.init.result}${parsed.native ? " (the guest stayed native)" : ""}`);
  for (const r of parsed.relocBad) problems.push(`bad relocation for call ${r.n} (${r.name}): ${r.reason} (type ${r.type}${r.eip ? `, eip ${r.eip}` : ""})`);
  if (parsed.pic && parsed.pic.result !== "ok") problems.push(`GetRelocationInfo is position-dependent: ${parsed.pic.phys_eip} vs ${parsed.pic.alias_eip}`);
  for (const f of parsed.failed) problems.push(`FAIL ${f.test} ${f.call}/${f.path}: ${f.what} (got ${f.got}, want ${f.want})`);
  if (parsed.fatal) {
    const f = parsed.fatal;
    problems.push(
      `unexpected exception vector ${f.vector} at eip ${f.eip}${f.rom_offset ? ` (ROM offset ${f.rom_offset})` : ""} err ${f.err} during test ${f.test}, call ${f.call}`,
    );
  }
  const passed = new Set(parsed.passed);
  for (const t of build.tests) {
    if (!passed.has(t.name)) continue;
    for (const m of t.logMarkers) if (!run.log.includes(`${m}\n`)) problems.push(`test ${t.name} passed but its port output "${m}" is not in the log`);
  }
  // Coverage only means something once the guest got as far as running its tests through the ROM.
  const untested = parsed.patch && parsed.end && !parsed.native ? untestedCalls(manifest, build, parsed.passed, expectations) : [];
  const untestedIsFailure = expectations.untestedIsFailure ?? true;
  if (untestedIsFailure) for (const c of untested) problems.push(`call ${c} is implemented but no passing test exercised it`);

  const common = new Set([hcSelfTest, ...commonEffectTests(layoutR.value)].map((t) => t.name));
  const ownTests = build.tests.map((t) => t.name).filter((n) => !common.has(n));

  const cost = parsed.counts.length ? costTable(basename(rom), manifest, parsed.counts) : null;
  if (cost && o.writeCost !== false) {
    writeFileSync(siblingPath(rom, ".cost.json"), JSON.stringify(cost, null, 2) + "\n");
    const mapPath = siblingPath(rom, ".map");
    if (existsSync(mapPath)) writeFileSync(mapPath, mergeIntoMap(readFileSync(mapPath, "utf8"), cost));
  }
  const { lines: _lines, ...parsedData } = parsed;
  return {
    ok: true,
    value: {
      rom,
      backend: manifest.backend,
      layout: manifest.layout,
      guest: build.kind,
      status: run.status,
      outcome,
      ok: problems.length === 0,
      problems,
      untested,
      untestedIsFailure,
      ownTests,
      durationMs: run.durationMs,
      parsed: parsedData,
      cost,
      log: run.log,
    },
  };
}

function main(argv: string[]): number {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return false;
    args.splice(i, 1);
    return true;
  };
  const value = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  if (flag("--help") || flag("-h")) {
    process.stdout.write("usage: run-guest.ts <rom> [--json] [--no-cost] [--keep DIR [--source]] [--timeout MS] [--manifest FILE]\n");
    return 0;
  }
  const json = flag("--json"),
    noCost = flag("--no-cost"),
    sourceLines = flag("--source");
  const keepDir = value("--keep"),
    timeout = value("--timeout"),
    manifest = value("--manifest");
  const [rom, ...extra] = args;
  if (rom === undefined || extra.length > 0) {
    process.stderr.write("run-guest: expected exactly one ROM file (see --help)\n");
    return 2;
  }
  const r = runGuest({
    rom,
    writeCost: !noCost,
    sourceLines,
    ...(keepDir ? { keepDir } : {}),
    ...(timeout ? { timeoutMs: Number(timeout) } : {}),
    ...(manifest ? { manifest } : {}),
  });
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(`run-guest: ${formatDiagnostic(e)}\n`);
    return 2;
  }
  const v = r.value;
  if (json) {
    const { log: _log, ...rest } = v;
    process.stdout.write(JSON.stringify(rest, null, 2) + "\n");
  } else {
    process.stdout.write(`${basename(v.rom)}: ${v.ok ? "ok" : "FAILED"} (${v.outcome}, status ${v.status}, ${v.durationMs} ms, guest ${v.guest})\n`);
    process.stdout.write(
      `  passed ${v.parsed.passed.length} tests, failed ${v.parsed.failed.length}, skipped ${v.parsed.skipped.length}; relocations ${v.parsed.relocs.length}; patch ${
        v.parsed.patch
          ? Object.entries(v.parsed.patch)
              .map(([k, x]) => `${k}=${x}`)
              .join(" ")
          : "-"
      }\n`,
    );
    for (const p of v.problems) process.stdout.write(`  problem: ${p}\n`);
    if (v.cost) process.stdout.write(`${formatCostTable(v.cost)}\n`);
  }
  return v.ok ? 0 : 1;
}

// exitCode, not exit(): exiting at once would cut off what is still being written to a pipe (`--json | jq`
// got the first 64 KiB of the report).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
