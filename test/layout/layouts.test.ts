// The two shipped layouts load cleanly and say what docs/vmi-interface.md says (sections 1-4).

import { describe, expect, it } from "vitest";
import { loadLayout, loadLayoutByName } from "../../src/cli/load-layout.ts";
import { slotOffset, type Layout } from "../../src/layout/types.ts";
import { join } from "node:path";
import { LAYOUTS_DIR } from "./helpers.ts";

function load(name: string): Layout {
  const r = loadLayout(join(LAYOUTS_DIR, `${name}.json`));
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.code} ${e.location.path}: ${e.message}`).join("\n"));
  return r.value;
}

const call = (l: Layout, name: string) => {
  const c = l.calls.find((c) => c.name === name);
  if (!c) throw new Error(`no call ${name} in ${l.name}`);
  return c;
};

const fieldTable = (l: Layout) => l.header.map((f) => [f.name, f.offset, f.size]);

describe("api3 (Linux 2.6.21-2.6.36)", () => {
  const l = load("api3");

  it("loads by name with no diagnostics", () => {
    const r = loadLayoutByName("api3");
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(r.ok && r.value).toEqual(l);
  });

  it("is version 3.0 with calls 0..73 and 74 slots at 0xA0", () => {
    expect(l.version).toEqual({ major: 3, minor: 0 });
    expect(l.calls.map((c) => c.number)).toEqual(Array.from({ length: 74 }, (_, i) => i));
    expect(l.slots).toEqual({ base: 0xa0, size: 32, count: 74 });
    expect(l.headerSize).toBe(0x90);
    expect(l.jumpPoints).toEqual([
      { role: "init", offset: 0x80, size: 8 },
      { role: "getRelocationInfo", offset: 0x88, size: 8 },
    ]);
    expect(l.calls.filter((c) => c.role !== undefined)).toEqual([]);
  });

  it("has the header of table 1a, reserved2 used for the relocation table pointer", () => {
    expect(fieldTable(l)).toEqual([
      ["rom_signature", 0x00, 2],
      ["rom_length", 0x02, 1],
      ["rom_entry", 0x03, 4],
      ["rom_pad0", 0x07, 1],
      ["vrom_signature", 0x08, 4],
      ["api_version_min", 0x0c, 1],
      ["api_version_maj", 0x0d, 1],
      ["jump_slots", 0x0e, 1],
      ["reserved1", 0x0f, 1],
      ["virtual_top", 0x10, 4],
      ["reloc_table_offs", 0x14, 2],
      ["license_offs", 0x16, 2],
      ["pci_header_offs", 0x18, 2],
      ["pnp_header_offs", 0x1a, 2],
      ["rom_pad3", 0x1c, 4],
    ]);
    const byName = Object.fromEntries(l.header.map((f) => [f.name, f]));
    expect(byName.rom_signature!.source).toEqual({ kind: "const", value: 0xaa55 });
    expect(byName.vrom_signature!.source).toEqual({ kind: "ascii", value: "cVmi" });
    expect(byName.api_version_maj!.source).toEqual({ kind: "const", value: 3 });
    expect(byName.virtual_top!.source).toEqual({ kind: "const", value: 0xfc000000 });
    expect(byName.reloc_table_offs!.source).toEqual({ kind: "computed", what: "relocTableOffset" });
    expect(byName.license_offs!.source).toEqual({ kind: "computed", what: "licenseOffset" });
    expect(l.header.filter((f) => f.inert).map((f) => f.name)).toEqual(["rom_pad0", "reserved1", "rom_pad3"]);
  });

  it("names the calls as table 2b", () => {
    expect(call(l, "CPUID").number).toBe(0);
    expect(call(l, "SetPxE").number).toBe(38);
    expect(call(l, "SetPxE").args).toBe("EAX=pte, EDX=ptep, ECX=flags");
    expect(call(l, "SetCallbacks").number).toBe(72);
    expect(call(l, "SetLazyMode").number).toBe(73);
    expect(l.calls.slice(49, 61).map((c) => c.name)).toEqual(["INL", "INB", "INW", "INSL", "INSB", "INSW", "OUTL", "OUTB", "OUTW", "OUTSL", "OUTSB", "OUTSW"]);
  });

  it("allows the relocation types Linux accepts (section 2c)", () => {
    expect(call(l, "IRET").number).toBe(33);
    expect(call(l, "IRET").relocs[0]).toBe("JUMP_REL");
    expect(call(l, "SYSEXIT").relocs[0]).toBe("JUMP_REL");
    const freq = call(l, "GetCycleFrequency");
    expect(freq.number).toBe(66);
    expect(freq.relocs).not.toContain("NOP");
    expect(l.calls.filter((c) => c.relocs.includes("JUMP_REL")).map((c) => c.number)).toEqual([29, 30, 31, 32, 33, 34]);
    for (const c of l.calls) {
      expect(c.relocs[0], c.name).toBe(c.number === 33 || c.number === 34 ? "JUMP_REL" : "CALL_REL");
      expect(c.relocs, c.name).toContain("NONE");
    }
  });

  it("carries the PCI/PnP values, license and limits", () => {
    expect(l.pci).toEqual({ offset: 0x20, vendor: 0x15ad, device: 0x0801, classCode: [0x00, 0x80, 0x08], revision: 0, codeRevision: 0x0100 });
    expect(l.pnp.offset).toBe(0x40);
    expect(l.pnp.product).toBe("VMI {backend} ROM");
    expect(l.license).toBe("GPL v2");
    expect(l.maxImageSize).toBe(65536);
    expect(l.filler).toBe(0xcc);
    expect(l.virtualTop).toBe(0xfc000000);
    expect(l.relocTable).toEqual({ magic: "cVrt", entrySize: 4 });
  });
});

describe("api13 (VMware 2006 ROM / Sanos 13.3)", () => {
  const l = load("api13");

  it("loads by name with no diagnostics", () => {
    const r = loadLayoutByName("api13");
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it("has 88 slots from offset 0 and calls 4..87", () => {
    expect(l.version).toEqual({ major: 13, minor: 3 });
    expect(l.slots).toEqual({ base: 0, size: 32, count: 88 });
    expect(l.calls.map((c) => c.number)).toEqual(Array.from({ length: 84 }, (_, i) => i + 4));
    expect(l.headerSize).toBe(0x80);
    expect(l.jumpPoints).toEqual([]);
    expect(l.maxImageSize).toBe(127 * 512);
  });

  it("puts Init, SwapPxE and GetRelocationInfo where the sources saw them", () => {
    const init = call(l, "Init");
    expect([init.number, init.role, slotOffset(l, init.number)]).toEqual([4, "init", 0x80]);
    expect(slotOffset(l, call(l, "SwapPxE").number)).toBe(0x5e0);
    const reloc = call(l, "GetRelocationInfo");
    expect([reloc.number, reloc.role, slotOffset(l, reloc.number)]).toEqual([85, "getRelocationInfo", 0xaa0]);
    expect(l.calls.filter((c) => c.role !== undefined).map((c) => c.name)).toEqual(["Init", "GetRelocationInfo"]);
  });

  it("uses the 13.3 names", () => {
    const numbers = Object.fromEntries(l.calls.map((c) => [c.name, c.number]));
    expect(numbers).toMatchObject({
      CPUID: 5,
      SetPxE0: 45,
      SetPxELong0: 48,
      SetPxE: 86,
      SetPxELong: 87,
      IN: 59,
      INS: 62,
      OUT: 65,
      OUTS: 68,
      IRET: 39,
      FlushDeferredCalls: 57,
    });
    expect(call(l, "SetPxE").args).toBe("EAX=value, EDX=ptr, ECX=flags (2 = PD, 1 = PT)");
    expect(call(l, "UpdateKernelStack").args).toBe("EAX=&TSS, EDX=esp0");
  });

  it("answers CALL_REL for every call (Sanos panics otherwise)", () => {
    for (const c of l.calls) expect(c.relocs, c.name).toEqual(["CALL_REL"]);
  });

  it("has the header of table 1b with the private-use word split", () => {
    expect(fieldTable(l)).toEqual([
      ["rom_signature", 0x00, 2],
      ["rom_length", 0x02, 1],
      ["rom_entry", 0x03, 4],
      ["rom_pad0", 0x07, 1],
      ["vrom_signature", 0x08, 4],
      ["api_version_min", 0x0c, 1],
      ["api_version_maj", 0x0d, 1],
      ["reserved0", 0x0e, 1],
      ["reserved1", 0x0f, 1],
      ["reserved2", 0x10, 4],
      ["reloc_table_offs", 0x14, 2],
      ["reserved3b", 0x16, 2],
      ["pci_header_offs", 0x18, 2],
      ["pnp_header_offs", 0x1a, 2],
      ["rom_pad3", 0x1c, 4],
    ]);
    expect(l.header.find((f) => f.name === "api_version_min")!.source).toEqual({ kind: "const", value: 3 });
    expect(l.header.find((f) => f.name === "api_version_maj")!.source).toEqual({ kind: "const", value: 13 });
    expect(l.header.some((f) => f.source.kind === "computed" && f.source.what === "licenseOffset")).toBe(false);
    expect(l.license).toBe("GPL v2");
  });
});
