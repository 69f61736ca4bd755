// Issue 14: api13 ROMs stay callable after the guest drops its identity map (Sanos's sequence), and a ROM on a
// machine without its hypervisor leaves the guest native.
// - An api13 ROM built from a layout without `highAlias` answers physical addresses: in Sanos's sequence the
//   guest must refuse every answer, saying which call, which address, and that it is not mapped any more.
// - The native api13 Init refuses (non-zero) when it cannot map itself safely: CR3 above 4 MiB, page-directory
//   entry 1023 taken, PSE off with a large-page bit already set; it accepts an entry that already is its mapping.
// - The presence probe (roms/shared/presence.ts) on a bare guest, with a tiny program whose Init is only the probe:
//   no hypervisor → -1 and the guest stays native; the right hypervisor presented → 0; the wrong one → -1.
// - Every paravirtual backend registered in roms/index.ts, booted with NO model: Init answers failure, nothing
//   faults, the guest goes on natively.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../../roms/index.ts";
import { EXPECTATIONS } from "../../guest/expect/index.ts";
import { native } from "../../roms/native/index.ts";
import { PRESENCE_ROUTINE, presenceRoutine } from "../../roms/shared/presence.ts";
import { runGuest, type GuestRunResult } from "../../guest/qemu/run-guest.ts";
import { cr3, cr4, dword, eax } from "../../src/asm/index.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { buildImage } from "../../src/image/index.ts";
import type { RomProgram } from "../../src/image/program.ts";
import { HIGH_ALIAS, type HypervisorName } from "../../src/layout/shared-area.ts";
import type { Layout } from "../../src/layout/types.ts";
import { requireTools } from "../support/tools.ts";
import { nativeExpectations } from "../../guest/expect/native.ts";
import type { GuestAsm } from "../../guest/emitter.ts";
import type { BackendExpectations } from "../../guest/expect/types.ts";
import { MEM } from "../../guest/memory.ts";
import { presentHypervisor } from "../../guest/models/present.ts";
import { ensureRoms, listRoms, ROM_DIR, romName } from "./rom-files.ts";
import type { HypervisorModel } from "../../guest/traps.ts";

const haveQemu = requireTools("qemu-system-i386");
const roms = haveQemu ? ensureRoms() : [];
const NOT_MAPPED = "not mapped after the identity map is gone";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vmirom-sanos-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function layoutNamed(name: string): Layout {
  const r = loadLayoutByName(name);
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.value;
}

/** Builds `program` for `layout` into the temporary directory as <name>.rom + <name>.json (the manifest). */
function writeRom(name: string, program: RomProgram, layout: Layout): string {
  const r = buildImage(program, layout);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  const rom = join(dir, `${name}.rom`);
  writeFileSync(rom, r.value.bytes);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(r.value.manifest, null, 2));
  return rom;
}

function run(rom: string, expectations: BackendExpectations): GuestRunResult {
  const r = runGuest({ rom, expectations, writeCost: false });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  expect(r.value.durationMs).toBeLessThan(5000);
  return r.value;
}

/** The native expectations with a "hypervisor" that only prepares the machine before the probe. */
const withSetup = (setup: HypervisorModel["setup"], sharedAreaUntouched = true): BackendExpectations => ({
  ...nativeExpectations,
  hypervisor: { transports: [], setup },
  sharedAreaUntouched,
});

/** Init answered failure, the guest said it stays native, nothing faulted, and the native tests passed. */
function expectStayedNative(v: GuestRunResult): void {
  expect(v.parsed.fatal).toBeUndefined();
  expect(v.parsed.init).toMatchObject({ status: "failed" });
  expect(Number.parseInt(v.parsed.init!.result!, 16)).not.toBe(0);
  expect(v.parsed.native).toMatchObject({ reason: "init-failed" });
  expect(v.parsed.native!.what).toContain("the guest stays native");
  expect(v.parsed.relocs).toEqual([]);
  expect(v.parsed.patch).toMatchObject({ call_rel: "0", jump_rel: "0", nop: "0" });
  expect(v.parsed.patch!.none).toBe(v.parsed.patch!.sites);
  expect(v.outcome).toBe("pass");
  expect(v.problems).toEqual([`Init failed: result=${v.parsed.init!.result} (the guest stayed native)`]);
  expect(v.parsed.passed.length).toBeGreaterThan(20);
}

describe.skipIf(!haveQemu)("Sanos's sequence: answers must stay mapped after the identity map is gone", () => {
  it("native-api13 passes with every answer in the high alias, and GetRelocationInfo answers the same when asked there", () => {
    const v = run(join(ROM_DIR, "native-api13.rom"), nativeExpectations);
    expect(v.problems).toEqual([]);
    expect(v.parsed.drop).toMatchObject({ cr3: `0x${MEM.pageDir.toString(16).padStart(8, "0")}` });
    const phys = Number.parseInt(v.parsed.probes.find((p) => p.result === "accept")!.at!, 16);
    for (const r of v.parsed.relocs) {
      expect(Number.parseInt(r.eip!, 16) - Number.parseInt(r.rom_offset!, 16), `call ${r.name}`).toBe(HIGH_ALIAS + phys);
    }
    expect(v.parsed.pic).toMatchObject({ result: "ok" });
    expect(v.parsed.pic!.phys_eip).toBe(v.parsed.pic!.alias_eip);
  });

  it("an api13 ROM answering physical addresses (layout without highAlias) fails, naming each call, its address and why", () => {
    const { highAlias: _dropped, ...physical } = layoutNamed("api13");
    const rom = writeRom("physical-answers", native, physical);
    const v = run(rom, nativeExpectations);
    expect(v.outcome).toBe("fail");
    expect(v.parsed.fatal).toBeUndefined();
    expect(v.parsed.init).toMatchObject({ status: "ok" });
    expect(v.parsed.drop).toBeDefined();
    // Every call 4..87 answered CALL_REL at its physical address, and every one is refused.
    expect(v.parsed.relocBad).toHaveLength(84);
    for (const bad of v.parsed.relocBad) {
      const n = Number(bad.n);
      expect(bad).toMatchObject({ reason: NOT_MAPPED, type: "1" });
      expect(Number.parseInt(bad.eip!, 16)).toBe(0xc0000 + n * 32);
    }
    expect(v.parsed.relocBad.find((b) => b.name === "SetPxE")).toMatchObject({ n: "86", eip: "0x000c0ac0" });
    expect(v.parsed.patch).toBeUndefined(); // nothing was patched or called
    expect(v.problems).toContain(`bad relocation for call 5 (CPUID): ${NOT_MAPPED} (type 1, eip 0x000c00a0)`);
    expect(v.parsed.end).toMatchObject({ result: "bad-relocation" });
  });
});

describe.skipIf(!haveQemu)("the native api13 Init refuses what it cannot map safely, and the guest stays native", () => {
  const rom = () => join(ROM_DIR, "native-api13.rom");
  /** Writes `value` into entry `index` of the page directory CR3 points at. */
  const writePde = (g: GuestAsm, index: number, value: number): void => {
    g.a.mov(eax, cr3);
    g.a.and(eax, ~0xfff);
    g.a.mov(dword(eax, index * 4), value);
    g.a.mov(eax, cr3);
    g.a.mov(cr3, eax);
  };
  const pseOn = (g: GuestAsm): void => {
    g.a.mov(eax, cr4);
    g.a.or(eax, 0x10);
    g.a.mov(cr4, eax);
  };

  it("CR3 above 4 MiB: the page directory is out of the identity map's reach", () => {
    const v = run(
      rom(),
      withSetup((g) => {
        g.a.mov(eax, MEM.pageDir);
        g.a.mov(cr3, eax);
      }),
    );
    expect(v.parsed.init!.result).toBe("0xffffffff");
    expectStayedNative(v);
  });

  it("page-directory entry 1023 already maps a page table", () => {
    const v = run(
      rom(),
      withSetup((g) => writePde(g, 1023, MEM.testTableCopy | 3)),
    );
    expect(v.parsed.init!.result).toBe("0xffffffff");
    expectStayedNative(v);
  });

  it("page-directory entry 1023 already maps another 4 MiB page", () => {
    const v = run(
      rom(),
      withSetup((g) => {
        pseOn(g);
        writePde(g, 1023, 0x00400083);
      }),
    );
    expect(v.parsed.init!.result).toBe("0xffffffff");
    expectStayedNative(v);
  });

  it("CR4.PSE off and an entry with bit 7 set: turning PSE on would change its meaning", () => {
    const v = run(
      rom(),
      withSetup((g) => writePde(g, 1000, MEM.testTableCopy | 0x83)),
    );
    expect(v.parsed.init!.result).toBe("0xffffffff");
    expectStayedNative(v);
  });

  it("entry 1023 already holding exactly the alias (PSE on, accessed and dirty set) is accepted and the run passes", () => {
    const v = run(
      rom(),
      withSetup((g) => {
        pseOn(g);
        writePde(g, 1023, 0xe3);
      }),
    );
    expect(v.parsed.init).toMatchObject({ status: "ok", result: "0x00000000" });
    expect(v.problems).toEqual([]);
  });
});

describe.skipIf(!haveQemu)("the presence probe on a bare guest (a program whose Init is only VMIProbeHypervisor)", () => {
  const probeOnly = (name: HypervisorName): RomProgram => ({
    ...native,
    backend: `probe-${name}`,
    description: "native bodies; Init only asks whether the hypervisor is there",
    init: (a, ctx) => {
      a.call(ctx.shared[PRESENCE_ROUTINE]!);
      a.ret();
    },
    shared: [presenceRoutine(name)],
  });
  const present =
    (name: HypervisorName): HypervisorModel["setup"] =>
    (g, layout) =>
      presentHypervisor(g, layout, name);

  for (const api of ["api3", "api13"] as const) {
    const layout = () => layoutNamed(api);
    it(`${api}: no hypervisor → Init answers -1 without faulting, the guest stays native`, () => {
      const v = run(writeRom(`probe-${api}-bare`, probeOnly("vmware"), layout()), nativeExpectations);
      expect(v.parsed.init!.result).toBe("0xffffffff");
      expectStayedNative(v);
    });

    it(`${api}: its hypervisor presented (shared area mapped and signed${api === "api13" ? ", ROM mapped at the high alias" : ""}) → Init answers 0 and every call works`, () => {
      const v = run(writeRom(`probe-${api}-present`, probeOnly("vmware"), layout()), withSetup(present("vmware"), false));
      expect(v.parsed.init).toMatchObject({ status: "ok", result: "0x00000000" });
      expect(v.problems).toEqual([]);
    });

    it(`${api}: another hypervisor presented → Init answers -1, the guest stays native`, () => {
      const v = run(writeRom(`probe-${api}-wrong`, probeOnly("vmware"), layout()), withSetup(present("xen"), false));
      expect(v.parsed.init!.result).toBe("0xffffffff");
      expectStayedNative(v);
    });
  }
});

describe.skipIf(!haveQemu)("every paravirtual ROM booted with no hypervisor model leaves the guest native", () => {
  // Paravirtual: the guest plays a hypervisor for it (not every backend but native: a registry may hold others).
  const paravirtual = Object.keys(BACKENDS)
    .filter((b) => EXPECTATIONS[b]?.hypervisor !== undefined)
    .sort();

  it("build/roms holds both interfaces of every registered paravirtual backend", () => {
    const names = listRoms().map(romName);
    for (const b of paravirtual) expect(names).toEqual(expect.arrayContaining([`${b}-api3`, `${b}-api13`]));
    // No paravirtual backend yet: the probe itself is tested above; these runs start with the backends.
    expect(roms.length).toBeGreaterThanOrEqual(2);
  });

  for (const b of paravirtual) {
    for (const api of ["api3", "api13"]) {
      it(`${b}-${api}: Init answers failure, nothing faults, the native tests pass`, () => {
        const v = run(join(ROM_DIR, `${b}-${api}.rom`), nativeExpectations);
        expectStayedNative(v);
      });
    }
  }
});
