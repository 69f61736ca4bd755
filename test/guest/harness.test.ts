// The pieces around the qemu runs: the log parser, the cost table and its place in the .map, the exit
// status mapping, the guest generator's input checks and its multiboot header, a run with no VMI ROM at
// all, and the hypervisor hook a paravirtual backend's expectations will use.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dword, eax, ebp, ebx } from "../../src/asm/index.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Layout } from "../../src/layout/types.ts";
import { costTable, formatCostTable, MAP_SECTION_START, mergeIntoMap } from "../../guest/qemu/cost.ts";
import { parseGuestLog, parseLine } from "../../guest/qemu/parse-log.ts";
import { runQemu } from "../../guest/qemu/qemu.ts";
import { outcomeOf, runGuest } from "../../guest/qemu/run-guest.ts";
import { requireTools } from "../support/tools.ts";
import { EXPECTATIONS } from "../../guest/expect/index.ts";
import type { BackendExpectations } from "../../guest/expect/types.ts";
import { buildGuest } from "../../guest/guest.ts";
import { EXIT, exitStatus, LOAD_ADDR } from "../../guest/memory.ts";
import { ensureRoms, readManifestOf, romName } from "./rom-files.ts";
import { FRAME } from "../../guest/traps.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const layoutOf = (name: string): Layout => {
  const r = loadLayoutByName(name);
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.value;
};
const native = EXPECTATIONS.native!;

describe("log parsing", () => {
  it("splits key=value fields, lets values run over spaces, and takes what= to the end", () => {
    const l = parseLine("GUEST: FOUND rom_version=1.0 api=3.0 manufacturer=vmirom product=VMI native ROM");
    expect(l).toEqual({
      kind: "FOUND",
      fields: { rom_version: "1.0", api: "3.0", manufacturer: "vmirom", product: "VMI native ROM" },
      line: expect.any(String),
    });
    const f = parseLine("GUEST: FAIL test=cr0 call=GetCR0 path=toggled got=0x1 want=0x2 what=GetCR0 path=x after a=b");
    expect(f?.fields).toEqual({ test: "cr0", call: "GetCR0", path: "toggled", got: "0x1", want: "0x2", what: "GetCR0 path=x after a=b" });
    expect(parseLine("Running option rom at c000:0003")).toBeUndefined();
  });

  it("collects the run's facts from a log with SeaBIOS lines in between", () => {
    const p = parseGuestLog(
      [
        "SeaBIOS (version 1.16.2)",
        "Running option rom at c000:0003",
        "Running option rom at c300:0003",
        "GUEST: PROBE at=0x000c3000 result=accept reason=ok major=3 minor=0 size=0x00000c00",
        "GUEST: INIT at=0xc00c3080",
        "GUEST: INIT result=0x00000000 status=ok",
        "GUEST: COUNT call=IRET path=same-ring instructions=1 hypercalls=0 tf=lost slot_used=1 placement=inline",
        "GUEST: COUNT call=SetDR path=dr0 instructions=5 hypercalls=2 tf=kept slot_used=7 placement=outOfLine body=55",
        "GUEST: PASS test=cr0",
        "GUEST: FATAL vector=0x0000000e err=0x00000002 eip=0xc00c3104 cs=0x00000008 eflags=0x00010002 cr2=0x00000000 rom_offset=0x00000104 test=cr3 call=SetCR3 path=copy",
        "GUEST: REGS eax=0x00000001 ebx=0x00000002",
        "GUEST: END result=fail fails=1",
      ].join("\n"),
    );
    expect(p.seabiosRomRuns).toBe(2);
    expect(p.probes[0]).toMatchObject({ at: "0x000c3000", result: "accept" });
    expect(p.init).toMatchObject({ at: "0xc00c3080", result: "0x00000000", status: "ok" });
    expect(p.counts).toEqual([
      { call: "IRET", path: "same-ring", instructions: 1, hypercalls: 0, tfKept: false, slotUsed: 1, placement: "inline" },
      { call: "SetDR", path: "dr0", instructions: 5, hypercalls: 2, tfKept: true, slotUsed: 7, placement: "outOfLine", body: 55 },
    ]);
    expect(p.passed).toEqual(["cr0"]);
    expect(p.fatal).toMatchObject({ vector: "0x0000000e", call: "SetCR3", eax: "0x00000001" });
    expect(p.end).toEqual({ result: "fail", fails: "1" });
  });

  it("maps qemu exit statuses to outcomes", () => {
    expect(outcomeOf(exitStatus(EXIT.pass))).toBe("pass");
    expect(outcomeOf(exitStatus(EXIT.fail))).toBe("fail");
    expect(outcomeOf(exitStatus(EXIT.noRom))).toBe("no-rom");
    expect(outcomeOf(exitStatus(EXIT.fatal))).toBe("fatal");
    expect(outcomeOf(0)).toBe("triple-fault");
    expect(outcomeOf(124)).toBe("timeout");
    expect(new Set(Object.values(EXIT).map(exitStatus)).size).toBe(4);
  });
});

describe("the cost table", () => {
  const roms = ensureRoms();
  const manifest = readManifestOf(roms.find((r) => romName(r) === "native-api3")!);
  const counts = parseGuestLog(
    [
      "GUEST: COUNT call=GetCR0 path=toggled instructions=2 hypercalls=0 tf=kept",
      "GUEST: COUNT call=GetCR0 path=toggled instructions=9 hypercalls=0 tf=kept",
      "GUEST: COUNT call=IRET path=same-ring instructions=1 hypercalls=0 tf=lost",
    ].join("\n"),
  ).counts;
  const t = costTable("native-api3.rom", manifest, counts);

  it("keeps the first count of a call and path and joins the manifest's slot bytes", () => {
    expect(t.rows.map((r) => [r.call, r.path, r.instructions])).toEqual([
      ["GetCR0", "toggled", 2],
      ["IRET", "same-ring", 1],
    ]);
    const getCr0 = manifest.calls.find((c) => c.name === "GetCR0")!;
    expect(t.rows[0]).toMatchObject({ slotUsed: getCr0.slot.used, placement: getCr0.placement });
    expect(formatCostTable(t)).toMatch(/IRET\s+same-ring\s+1\*/);
  });

  it("replaces its .map section instead of adding a second one, keeping the rest", () => {
    const map = "# vmirom map\nSymbols:\n  0x0020 pci_data\n";
    const once = mergeIntoMap(map, t);
    const twice = mergeIntoMap(once, { ...t, rows: t.rows.slice(0, 1) });
    expect(once.startsWith(map)).toBe(true);
    expect(twice.split(MAP_SECTION_START)).toHaveLength(2);
    expect(twice).not.toContain("same-ring");
    expect(twice.startsWith(map)).toBe(true);
  });
});

describe("the guest generator", () => {
  const api3 = layoutOf("api3");

  it("builds a multiboot v1 kernel with the a.out kludge, loaded at LOAD_ADDR (8 MiB, above the identity map an api13 guest drops)", () => {
    const g = buildGuest({ layout: api3, expectations: native });
    if (!g.ok) throw new Error(g.errors[0]!.message);
    const v = new DataView(g.value.bytes.buffer, g.value.bytes.byteOffset);
    const [magic, flags, sum] = [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)];
    expect(magic).toBe(0x1badb002);
    expect(flags).toBe(0x00010000);
    expect((magic + flags + sum) >>> 0).toBe(0);
    const field = (o: number) => v.getUint32(o, true);
    const headerAddr = field(12),
      loadAddr = field(16),
      loadEnd = field(20),
      bssEnd = field(24),
      entry = field(28);
    expect([headerAddr, loadAddr]).toEqual([LOAD_ADDR, LOAD_ADDR]);
    expect(loadEnd - loadAddr).toBe(g.value.bytes.length);
    expect(bssEnd).toBe(loadEnd);
    expect(entry).toBeGreaterThan(LOAD_ADDR);
    expect(entry).toBeLessThan(loadEnd);
    expect(g.value.kind).toBe("linux");
    expect(g.value.tests[0]!.name).toBe("guest-hypercall-hook");
  });

  it("refuses an API no guest uses, a manifest of another layout, and broken test definitions", () => {
    const r1 = buildGuest({ layout: { ...api3, version: { major: 5, minor: 0 } }, expectations: native });
    expect(r1.ok ? [] : r1.errors.map((e) => e.code)).toEqual(["GUEST_UNKNOWN_API"]);
    const manifest = readManifestOf(ensureRoms().find((r) => romName(r) === "native-api13")!);
    const r2 = buildGuest({ layout: api3, manifest, expectations: native });
    expect(r2.ok ? [] : r2.errors.map((e) => e.message)).toEqual(["the manifest is for layout api13, not api3"]);
    expect(r2.ok ? [] : r2.errors.map((e) => e.code)).toEqual(["GUEST_MANIFEST"]);
    const dup: BackendExpectations = {
      ...native,
      tests: () => [
        { name: "x", calls: [], emit() {} },
        { name: "x", calls: [], emit() {} },
      ],
    };
    const r3 = buildGuest({ layout: api3, expectations: dup });
    expect(r3.ok ? [] : r3.errors.map((e) => e.message)).toEqual(["two tests are named x"]);
    expect(r3.ok ? [] : r3.errors.map((e) => e.code)).toEqual(["GUEST_TEST_DEFINITION"]);
    const missing: BackendExpectations = { ...native, tests: () => [{ name: "y", calls: [], emit: (t) => t.call("NoSuchCall") }] };
    const r4 = buildGuest({ layout: api3, expectations: missing });
    expect(r4.ok ? [] : r4.errors.map((e) => e.message)).toEqual(["layout api3 has no call named NoSuchCall"]);
    const r5 = buildGuest({ layout: { ...api3, virtualTop: api3.virtualTop + 0x800 }, expectations: native });
    expect(r5.ok ? [] : r5.errors.map((e) => e.code)).toContain("GUEST_LAYOUT");
  });

  it("runGuest refuses what it cannot run before starting qemu: no ROM, no manifest, not a manifest, a hypervisor it cannot play", () => {
    const dir = mkdtempSync(join(tmpdir(), "vmirom-guest-errors-"));
    try {
      const codeOf = (o: Parameters<typeof runGuest>[0]) => {
        const r = runGuest(o);
        return r.ok ? "ok" : r.errors.map((e) => e.code).join(",");
      };
      const rom = join(dir, "x.rom");
      expect(codeOf({ rom, writeCost: false })).toBe("GUEST_NO_ROM");
      writeFileSync(rom, new Uint8Array(512));
      expect(codeOf({ rom, writeCost: false })).toBe("GUEST_NO_MANIFEST");
      writeFileSync(join(dir, "x.json"), JSON.stringify({ tool: "other" }));
      expect(codeOf({ rom, writeCost: false })).toBe("GUEST_BAD_MANIFEST");
      const manifest = readManifestOf(ensureRoms().find((r) => romName(r) === "native-api3")!);
      // A backend without expectations runs the common effect tests; one whose hypervisor the guest cannot play is refused.
      writeFileSync(join(dir, "x.json"), JSON.stringify({ ...manifest, backend: "nobody", hypervisor: "kvm" }));
      expect(codeOf({ rom, writeCost: false })).toBe("GUEST_NO_EXPECTATIONS");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves out tests whose calls the layout lacks (api3 has no SwapPxE)", () => {
    const g = buildGuest({ layout: api3, expectations: native });
    const g13 = buildGuest({ layout: layoutOf("api13"), expectations: native });
    if (!g.ok || !g13.ok) throw new Error("build");
    expect(g.value.tests.map((t) => t.name)).not.toContain("pte-swap");
    expect(g13.value.tests.map((t) => t.name)).toContain("pte-swap");
  });
});

describe.skipIf(!requireTools("qemu-system-i386"))("runs in qemu", () => {
  it("run-guest --json writes the whole report into a pipe before it exits", async () => {
    // The report of a paravirtual ROM is over 64 KiB, more than a pipe holds; the reader waits before it reads.
    const rom = ensureRoms().find((r) => romName(r) === "xen-api13")!;
    const dir = mkdtempSync(join(tmpdir(), "vmirom-pipe-"));
    try {
      const { build } = await import("esbuild");
      const script = join(dir, "run-guest.mjs");
      await build({
        entryPoints: [join(REPO, "guest", "qemu", "run-guest.ts")],
        bundle: true,
        platform: "node",
        format: "esm",
        outfile: script,
        external: ["iced-x86"],
        logLevel: "warning",
      });
      const r = spawnSync("sh", ["-c", `"${process.execPath}" "${script}" "${rom}" --json --no-cost | (sleep 0.3; cat)`], {
        cwd: REPO,
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      expect(r.stdout.length).toBeGreaterThan(65536);
      expect(JSON.parse(r.stdout).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without any VMI ROM: the hook self-test passes and the probe reports no ROM", () => {
    const g = buildGuest({ layout: layoutOf("api3"), expectations: native });
    if (!g.ok) throw new Error(g.errors[0]!.message);
    const dir = mkdtempSync(join(tmpdir(), "vmirom-norom-"));
    try {
      writeFileSync(join(dir, "guest.bin"), g.value.bytes);
      const run = runQemu({ kernel: join(dir, "guest.bin"), workDir: dir });
      const p = parseGuestLog(run.log);
      expect(outcomeOf(run.status)).toBe("no-rom");
      expect(p.passed).toEqual(["guest-hypercall-hook"]);
      expect(p.probes.every((x) => x.result === "skip")).toBe(true);
      expect(p.end?.result).toBe("no-rom");
      expect(run.durationMs).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("plays a hypervisor: hypercalls reach the model, which sets results, and tests see the log", () => {
    // A model that answers every hypercall with EAX + EBX, and a test that talks to it directly.
    const expectations: BackendExpectations = {
      ...native,
      hypervisor: {
        transports: ["vmcall", "int82"],
        emit: (g) => {
          g.a.mov(eax, dword(ebp, FRAME.eax));
          g.a.add(eax, dword(ebp, FRAME.ebx));
          g.a.mov(dword(ebp, FRAME.eax), eax);
        },
      },
      tests: () => [
        {
          name: "model",
          calls: [],
          emit(t) {
            const a = t.a;
            t.hc.mark();
            a.mov(eax, 0x100);
            a.mov(ebx, 0x23);
            a.vmcall();
            t.expectEq(eax, 0x123, "vmcall result from the model");
            a.mov(eax, 0x200);
            a.mov(ebx, 0x45);
            a.int(0x82);
            t.expectEq(eax, 0x245, "int 0x82 result from the model");
            t.hc.expectCount(2, "two hypercalls logged");
            t.hc.expectField(0, "eax", 0x100, "first hypercall's EAX");
            t.hc.expectField(0, "result", 0x123, "first hypercall's result");
            t.hc.expectField(1, "via", 3, "second hypercall came through int 0x82");
            t.hc.expectField(1, "ebx", 0x45, "second hypercall's EBX");
            // Not a transport of this model: an ordinary #UD.
            t.expectFault(6, () => a.vmmcall(), "vmmcall is not caught");
          },
        },
      ],
    };
    const rom = ensureRoms().find((r) => romName(r) === "native-api3")!;
    const r = runGuest({ rom, expectations, writeCost: false });
    if (!r.ok) throw new Error(r.errors[0]!.message);
    expect(r.value.parsed.failed).toEqual([]);
    expect(r.value.parsed.passed).toEqual(["guest-hypercall-hook", "model"]);
    expect(r.value.outcome).toBe("pass");
    expect(r.value.parsed.hypercalls.slice(-2).map((h) => [h.via, h.eax])).toEqual([
      ["1", "0x00000100"],
      ["3", "0x00000200"],
    ]);
  });
});
