// Every ROM in build/roms, booted under SeaBIOS with the test guest: the probe accepts it, Init
// succeeds, every relocation answer is right, the patched sites run, every implemented call passes its
// tests, nothing faults, and the instruction-count table lands next to the ROM.

import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { MAP_SECTION_START } from "../../guest/qemu/cost.ts";
import { runGuest, siblingPath } from "../../guest/qemu/run-guest.ts";
import { icedDecode } from "../support/iced.ts";
import { requireTools } from "../support/tools.ts";
import { ensureRoms, readManifestOf, romName } from "./rom-files.ts";

const haveQemu = requireTools("qemu-system-i386");
const roms = haveQemu ? ensureRoms() : [];

describe.skipIf(!haveQemu)("the test guest boots every built ROM", () => {
  it("finds ROMs to boot (native api3 and api13 at least)", () => {
    const names = roms.map(romName);
    expect(names).toContain("native-api3");
    expect(names).toContain("native-api13");
  });

  for (const rom of roms) {
    it(`${romName(rom)}: probe, init, relocations, patched calls and effects all pass`, () => {
      const r = runGuest({ rom });
      if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
      const v = r.value;
      expect(v.problems).toEqual([]);
      expect(v.outcome).toBe("pass");
      expect(v.durationMs).toBeLessThan(5000);

      const manifest = readManifestOf(rom);
      const layout = loadLayoutByName(manifest.layout);
      if (!layout.ok) throw new Error("layout");
      const p = v.parsed;
      expect(p.probes.filter((x) => x.result === "accept")).toHaveLength(1);
      expect(p.init?.status).toBe("ok");
      // One answer per call of the layout, each matching the manifest.
      expect(p.relocs).toHaveLength(layout.value.calls.length);
      for (const rel of p.relocs) {
        const m = manifest.calls.find((c) => c.number === Number(rel.n));
        expect(m, `manifest entry for call ${rel.n}`).toBeDefined();
        expect(["NONE", "CALL_REL", "JUMP_REL", "NOP"][Number(rel.type)]).toBe(m!.reloc);
        if (m!.reloc !== "NONE") expect(parseInt(rel.rom_offset!, 16)).toBe(m!.slot.offset);
      }
      expect(p.pic?.result).toBe("ok");
      // Every site got patched as its relocation says.
      const patch = p.patch!;
      const sites = Number(patch.sites);
      expect(sites).toBeGreaterThan(100);
      expect(Number(patch.call_rel) + Number(patch.jump_rel) + Number(patch.nop) + Number(patch.none)).toBe(sites);
      // A backend with expectations of its own exercises every call it implements; one without (the common
      // effect tests only) has the rest reported, not failed.
      if (v.untestedIsFailure) expect(v.untested).toEqual([]);
      expect(p.passed.length).toBeGreaterThan(40);

      // The cost table: written as JSON and merged into the map exactly once.
      expect(v.cost!.rows.length).toBeGreaterThan(40);
      expect(v.cost!.rows.every((row) => Number.isInteger(row.instructions) && row.instructions > 0)).toBe(true);
      const costFile = siblingPath(rom, ".cost.json");
      expect(JSON.parse(readFileSync(costFile, "utf8")).rows).toEqual(JSON.parse(JSON.stringify(v.cost!.rows)));
      const map = siblingPath(rom, ".map");
      if (existsSync(map)) expect(readFileSync(map, "utf8").split(MAP_SECTION_START)).toHaveLength(2);

      // Issue 10's fast-path targets, from the counts just measured (docs/hypervisors.md states them):
      // the interrupt-flag calls run at most 4 instructions wherever they make no hypercall, except xen's
      // enabling SetInterruptMask, which runs exactly 5 (the least under the contract, see there); vmware's
      // SwapPxE and SetPxE take at most 10 on an uninteresting change, inside their slot; at least 90 % of the
      // implemented calls fit their slot.
      const rows = v.cost!.rows;
      const backend = manifest.backend;
      if (backend !== "native") {
        for (const row of rows.filter((x) => /^(Enable|Disable)Interrupts$|^(Get|Set)InterruptMask$/.test(x.call) && x.hypercalls === 0)) {
          const limit = backend === "xen" && row.call === "SetInterruptMask" && row.path === "mask=0x200" ? 5 : 4;
          expect(row.instructions, `${row.call}/${row.path}`).toBeLessThanOrEqual(limit);
        }
        if (backend === "xen") expect(rows.find((x) => x.call === "SetInterruptMask" && x.path === "mask=0x200")?.instructions).toBe(5);
      }
      if (backend === "vmware") {
        for (const call of ["SwapPxE", "SetPxE"]) {
          const row = rows.find((x) => x.call === call && x.path === "uninteresting");
          if (call === "SwapPxE" && !layout.value.calls.some((c) => c.name === call)) continue;
          expect(row, `${call}/uninteresting`).toBeDefined();
          expect(row!.instructions, `${call}/uninteresting`).toBeLessThanOrEqual(10);
          expect(row!.placement, `${call}: the hot path in its slot`).toBe("inline");
        }
      }
      const implemented = manifest.calls.filter((c) => c.placement === "inline" || c.placement === "outOfLine");
      expect(implemented.filter((c) => c.placement === "inline").length / implemented.length).toBeGreaterThanOrEqual(0.9);

      // The single-step counter against an independent count: for inline slots whose code runs straight
      // to a `ret` (no branch, loop, rep), the count must be the number of instructions iced-x86 decodes.
      const bytes = new Uint8Array(readFileSync(rom));
      let compared = 0;
      for (const row of v.cost!.rows) {
        const m = manifest.calls.find((c) => c.name === row.call);
        if (!m || m.placement !== "inline" || !row.tfKept) continue;
        const code = icedDecode(bytes.subarray(m.slot.offset, m.slot.offset + m.slot.used));
        const end = code.findIndex((d) => d.text === "ret");
        if (end < 0 || code.slice(0, end).some((d) => /^(j|call|loop|rep|iret|sysexit|hlt|ret)/.test(d.text))) continue;
        expect(
          row.instructions,
          `${row.call}/${row.path}: ${code
            .slice(0, end + 1)
            .map((d) => d.text)
            .join("; ")}`,
        ).toBe(end + 1);
        compared++;
      }
      expect(compared).toBeGreaterThan(30);
    });
  }
});
