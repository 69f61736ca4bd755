// Every validation rule: a bad copy of a real layout, written to a temp dir and loaded back,
// gives exactly the diagnostics named (code and path), each naming the file.

import { describe, expect, it } from "vitest";
import { loadLayout } from "../../src/cli/load-layout.ts";
import { validateLayout } from "../../src/layout/validate.ts";
import { rawLayout, writeTemp, type RawLayout } from "./helpers.ts";

interface Case {
  rule: string;
  base: "api3" | "api13";
  mutate: (l: RawLayout) => void;
  /** [code, path] of every diagnostic expected, in order. */
  expect: Array<[string, string]>;
}

const cases: Case[] = [
  // Shape (zod) rules.
  {
    rule: "unknown relocation type",
    base: "api3",
    mutate: (l) => (l.calls[5].relocs[1] = "JMP"),
    expect: [["LAYOUT_UNKNOWN_RELOC_TYPE", "calls[5].relocs[1]"]],
  },
  {
    rule: "unknown computed kind",
    base: "api3",
    mutate: (l) => (l.header[1].source.what = "romSize"),
    expect: [["LAYOUT_UNKNOWN_COMPUTED", "header[1].source.what"]],
  },
  {
    rule: "unknown source kind",
    base: "api13",
    mutate: (l) => (l.header[3].source = { kind: "zero" }),
    expect: [["LAYOUT_UNKNOWN_SOURCE_KIND", "header[3].source.kind"]],
  },
  { rule: "unknown role", base: "api13", mutate: (l) => (l.calls[0].role = "start"), expect: [["LAYOUT_UNKNOWN_ROLE", "calls[0].role"]] },
  { rule: "unknown key", base: "api3", mutate: (l) => (l.calls[2].nmae = "x"), expect: [["LAYOUT_UNKNOWN_KEY", "calls[2].nmae"]] },
  { rule: "missing key", base: "api3", mutate: (l) => delete l.calls[2].use, expect: [["LAYOUT_MISSING_KEY", "calls[2].use"]] },
  { rule: "not an integer", base: "api3", mutate: (l) => (l.slots.count = "seventy-four"), expect: [["LAYOUT_SCHEMA", "slots.count"]] },
  { rule: "fractional number", base: "api3", mutate: (l) => (l.slots.count = 74.5), expect: [["LAYOUT_SCHEMA", "slots.count"]] },
  { rule: "field size not 1/2/4", base: "api3", mutate: (l) => (l.header[0].size = 3), expect: [["LAYOUT_SCHEMA", "header[0].size"]] },
  // Calls.
  { rule: "duplicate call number", base: "api3", mutate: (l) => (l.calls[10].number = 9), expect: [["LAYOUT_DUPLICATE_CALL", "calls[10].number"]] },
  { rule: "duplicate call name", base: "api3", mutate: (l) => (l.calls[11].name = "GetTR"), expect: [["LAYOUT_DUPLICATE_CALL_NAME", "calls[11].name"]] },
  { rule: "call name not a C identifier", base: "api3", mutate: (l) => (l.calls[0].name = "CPU ID"), expect: [["LAYOUT_BAD_IDENTIFIER", "calls[0].name"]] },
  { rule: "call number >= slots.count", base: "api3", mutate: (l) => (l.calls[73].number = 74), expect: [["LAYOUT_CALL_OUT_OF_RANGE", "calls[73].number"]] },
  { rule: "call number < 0", base: "api3", mutate: (l) => (l.calls[0].number = -1), expect: [["LAYOUT_CALL_OUT_OF_RANGE", "calls[0].number"]] },
  { rule: "call number in hex < 0", base: "api13", mutate: (l) => (l.calls[1].number = "-0x1"), expect: [["LAYOUT_CALL_OUT_OF_RANGE", "calls[1].number"]] },
  {
    rule: "call slot overlaps the header",
    base: "api13",
    mutate: (l) => l.calls.push({ number: 3, name: "Reserved3", args: "", returns: "", relocs: ["CALL_REL"], use: "" }),
    expect: [["LAYOUT_CALL_SLOT_IN_HEADER", "calls[84].number"]],
  },
  { rule: "call slot overlaps $PnP", base: "api13", mutate: (l) => (l.pnp.offset = "0x100"), expect: [["LAYOUT_CALL_SLOT_OVERLAP", "calls[4].number"]] },
  { rule: "empty relocs", base: "api3", mutate: (l) => (l.calls[3].relocs = []), expect: [["LAYOUT_EMPTY_RELOCS", "calls[3].relocs"]] },
  {
    rule: "duplicate reloc",
    base: "api3",
    mutate: (l) => (l.calls[3].relocs = ["CALL_REL", "NOP", "CALL_REL"]),
    expect: [["LAYOUT_DUPLICATE_RELOC", "calls[3].relocs[2]"]],
  },
  // Header fields and regions.
  { rule: "field overlaps field", base: "api3", mutate: (l) => (l.header[8].size = 2), expect: [["LAYOUT_HEADER_OVERLAP", "header[9].offset"]] },
  {
    rule: "jump point overlaps jump point",
    base: "api3",
    mutate: (l) => (l.jumpPoints[1].offset = "0x84"),
    expect: [["LAYOUT_HEADER_OVERLAP", "jumpPoints[1].offset"]],
  },
  { rule: "field overlaps PCIR", base: "api13", mutate: (l) => (l.pci.offset = "0x1C"), expect: [["LAYOUT_HEADER_OVERLAP", "pci.offset"]] },
  { rule: "$PnP overlaps PCIR", base: "api3", mutate: (l) => (l.pnp.offset = "0x30"), expect: [["LAYOUT_HEADER_OVERLAP", "pnp.offset"]] },
  { rule: "jump point overlaps $PnP", base: "api3", mutate: (l) => (l.pnp.offset = "0x68"), expect: [["LAYOUT_HEADER_OVERLAP", "pnp.offset"]] },
  {
    rule: "jump point beyond headerSize",
    base: "api3",
    mutate: (l) => (l.headerSize = "0x88"),
    expect: [["LAYOUT_FIELD_BEYOND_HEADER", "jumpPoints[1].offset"]],
  },
  {
    rule: "field beyond headerSize",
    base: "api13",
    mutate: (l) => l.header.push({ name: "extra", offset: "0x80", size: 1, source: { kind: "reserved" }, inert: true }),
    expect: [["LAYOUT_FIELD_BEYOND_HEADER", "header[15].offset"]],
  },
  { rule: "duplicate field name", base: "api3", mutate: (l) => (l.header[8].name = "rom_pad0"), expect: [["LAYOUT_DUPLICATE_FIELD_NAME", "header[8].name"]] },
  {
    rule: "field name not a C identifier",
    base: "api3",
    mutate: (l) => (l.header[3].name = "rom-pad0"),
    expect: [["LAYOUT_BAD_IDENTIFIER", "header[3].name"]],
  },
  {
    rule: "constant wider than its field",
    base: "api3",
    mutate: (l) => (l.header[9].source.value = "0x1FC000000"),
    expect: [["LAYOUT_CONST_TOO_WIDE", "header[9].source.value"]],
  },
  {
    rule: "ascii value not the field size",
    base: "api3",
    mutate: (l) => (l.header[4].source.value = "cVm"),
    expect: [
      ["LAYOUT_ASCII_SIZE", "header[4].source.value"],
      ["LAYOUT_PROBE_FIELD", "header[4].source"],
    ],
  },
  {
    rule: "major version byte disagrees with version",
    base: "api3",
    mutate: (l) => (l.header[6].source.value = 4),
    expect: [["LAYOUT_PROBE_FIELD", "header[6].source"]],
  },
  {
    rule: "minor version byte disagrees with version",
    base: "api13",
    mutate: (l) => (l.version.minor = 0),
    expect: [["LAYOUT_PROBE_FIELD", "header[5].source"]],
  },
  {
    rule: "no option-ROM signature",
    base: "api13",
    mutate: (l) => (l.header[0].source = { kind: "reserved" }),
    expect: [["LAYOUT_PROBE_FIELD", "header[0].source"]],
  },
  // Computed fields.
  { rule: "romEntry not 4 bytes", base: "api3", mutate: (l) => (l.header[2].size = 2), expect: [["LAYOUT_COMPUTED_SIZE", "header[2].size"]] },
  { rule: "license offset too narrow", base: "api3", mutate: (l) => (l.header[11].size = 1), expect: [["LAYOUT_COMPUTED_SIZE", "header[11].size"]] },
  {
    rule: "jumpSlots too narrow for the slot count",
    base: "api3",
    mutate: (l) => {
      l.slots.count = 300;
      l.calls.push({ number: 299, name: "Last", args: "", returns: "", relocs: ["CALL_REL"], use: "" });
    },
    expect: [["LAYOUT_COMPUTED_SIZE", "header[7].size"]],
  },
  {
    rule: "PCIR / $PnP pointers swapped",
    base: "api13",
    mutate: (l) => {
      l.header[12].source.what = "pnpOffset";
      l.header[13].source.what = "pciOffset";
    },
    expect: [
      ["LAYOUT_COMPUTED_OFFSET", "header[12].offset"],
      ["LAYOUT_COMPUTED_OFFSET", "header[13].offset"],
    ],
  },
  {
    rule: "romLength at the wrong place and size",
    base: "api3",
    mutate: (l) => {
      l.header[1].source = { kind: "reserved" };
      l.header[14].source = { kind: "computed", what: "romLength" };
    },
    expect: [
      ["LAYOUT_COMPUTED_OFFSET", "header[14].offset"],
      ["LAYOUT_COMPUTED_SIZE", "header[14].size"],
    ],
  },
  {
    rule: "relocTableOffset missing",
    base: "api3",
    mutate: (l) => (l.header[10].source = { kind: "reserved" }),
    expect: [["LAYOUT_COMPUTED_MISSING", "header"]],
  },
  {
    rule: "licenseOffset missing for API 3",
    base: "api3",
    mutate: (l) => (l.header[11].source = { kind: "reserved" }),
    expect: [["LAYOUT_COMPUTED_MISSING", "header"]],
  },
  {
    rule: "computed kind twice",
    base: "api3",
    mutate: (l) => (l.header[14].source = { kind: "computed", what: "pnpOffset" }),
    expect: [["LAYOUT_COMPUTED_DUPLICATE", "header[14].source.what"]],
  },
  { rule: "license offset but no license", base: "api3", mutate: (l) => (l.license = ""), expect: [["LAYOUT_LICENSE_MISSING", "license"]] },
  // Slots and image.
  { rule: "slot base misaligned", base: "api3", mutate: (l) => (l.slots.base = "0xB0"), expect: [["LAYOUT_SLOT_MISALIGNED", "slots.base"]] },
  { rule: "slot size not 32", base: "api3", mutate: (l) => (l.slots.size = 16), expect: [["LAYOUT_SLOT_SIZE", "slots.size"]] },
  { rule: "slot table past maxImageSize", base: "api3", mutate: (l) => (l.maxImageSize = "0x800"), expect: [["LAYOUT_SLOTS_PAST_IMAGE", "slots.count"]] },
  { rule: "slot count not highest call + 1", base: "api13", mutate: (l) => (l.slots.count = 90), expect: [["LAYOUT_SLOT_COUNT", "slots.count"]] },
  { rule: "maxImageSize not a multiple of 512", base: "api3", mutate: (l) => (l.maxImageSize = 65000), expect: [["LAYOUT_IMAGE_SIZE", "maxImageSize"]] },
  {
    rule: "maxImageSize over 255 x 512 (and 2-byte offsets too narrow for it)",
    base: "api3",
    mutate: (l) => (l.maxImageSize = "0x20000"),
    expect: [
      ["LAYOUT_IMAGE_SIZE", "maxImageSize"],
      ["LAYOUT_COMPUTED_SIZE", "header[10].size"],
      ["LAYOUT_COMPUTED_SIZE", "header[11].size"],
    ],
  },
  { rule: "$PnP past maxImageSize", base: "api13", mutate: (l) => (l.pnp.offset = "0xFDF0"), expect: [["LAYOUT_STRUCT_PAST_IMAGE", "pnp.offset"]] },
  // Roles.
  { rule: "no init", base: "api13", mutate: (l) => delete l.calls[0].role, expect: [["LAYOUT_MISSING_ROLE", "calls"]] },
  { rule: "two inits (calls)", base: "api13", mutate: (l) => (l.calls[1].role = "init"), expect: [["LAYOUT_DUPLICATE_ROLE", "calls[1].role"]] },
  { rule: "init on a jump point and a call", base: "api3", mutate: (l) => (l.calls[0].role = "init"), expect: [["LAYOUT_DUPLICATE_ROLE", "calls[0].role"]] },
  {
    rule: "both jump points getRelocationInfo",
    base: "api3",
    mutate: (l) => (l.jumpPoints[0].role = "getRelocationInfo"),
    expect: [
      ["LAYOUT_MISSING_ROLE", "calls"],
      ["LAYOUT_DUPLICATE_ROLE", "jumpPoints[1].role"],
    ],
  },
  // Scalars and strings.
  { rule: "filler above 255", base: "api3", mutate: (l) => (l.filler = "0x1FF"), expect: [["LAYOUT_FILLER", "filler"]] },
  { rule: "filler negative", base: "api13", mutate: (l) => (l.filler = -1), expect: [["LAYOUT_FILLER", "filler"]] },
  { rule: "license not ASCII", base: "api13", mutate: (l) => (l.license = "GPL v2 \u00e9"), expect: [["LAYOUT_LICENSE_NOT_ASCII", "license"]] },
  { rule: "license with a control character", base: "api3", mutate: (l) => (l.license = "GPL\n"), expect: [["LAYOUT_LICENSE_NOT_ASCII", "license"]] },
  { rule: "API 3 license Linux refuses", base: "api3", mutate: (l) => (l.license = "MIT"), expect: [["LAYOUT_LICENSE_REJECTED", "license"]] },
  { rule: "PnP string not ASCII", base: "api3", mutate: (l) => (l.pnp.product = "VMI \u2713 ROM"), expect: [["LAYOUT_STRING_NOT_ASCII", "pnp.product"]] },
  {
    rule: "relocation table magic not 4 characters",
    base: "api3",
    mutate: (l) => (l.relocTable.magic = "cVr"),
    expect: [["LAYOUT_RELOC_MAGIC", "relocTable.magic"]],
  },
  { rule: "PCI vendor wider than 16 bits", base: "api3", mutate: (l) => (l.pci.vendor = "0x10000"), expect: [["LAYOUT_VALUE_RANGE", "pci.vendor"]] },
  { rule: "PnP device type byte > 255", base: "api13", mutate: (l) => (l.pnp.deviceType[1] = 256), expect: [["LAYOUT_VALUE_RANGE", "pnp.deviceType[1]"]] },
  { rule: "high alias not 4 MiB-aligned", base: "api13", mutate: (l) => (l.highAlias = "0xFFC01000"), expect: [["LAYOUT_HIGH_ALIAS", "highAlias"]] },
  { rule: "high alias below virtualTop", base: "api13", mutate: (l) => (l.highAlias = "0x400000"), expect: [["LAYOUT_HIGH_ALIAS", "highAlias"]] },
  { rule: "PCIR pointer 0", base: "api3", mutate: (l) => (l.pci.offset = 0), expect: [["LAYOUT_VALUE_RANGE", "pci.offset"]] },
];

describe("validation rules on bad copies of the layouts", () => {
  it.each(cases.map((c) => [c.rule, c] as const))("%s", (_rule, c) => {
    const raw = rawLayout(c.base);
    c.mutate(raw);
    const file = writeTemp(raw);
    const r = loadLayout(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.code, e.location.path])).toEqual(c.expect);
    for (const e of r.errors) {
      expect(e.location.file).toBe(file);
      expect(e.message.length).toBeGreaterThan(10);
    }
  });

  it("covers each rule code the validator and loader can emit", () => {
    const codes = new Set(cases.flatMap((c) => c.expect.map(([code]) => code)));
    // Rules only reachable from a document that is not a layout at all are tested in load.test.ts.
    for (const code of [
      "LAYOUT_DUPLICATE_CALL",
      "LAYOUT_DUPLICATE_CALL_NAME",
      "LAYOUT_CALL_OUT_OF_RANGE",
      "LAYOUT_CALL_SLOT_IN_HEADER",
      "LAYOUT_CALL_SLOT_OVERLAP",
      "LAYOUT_HEADER_OVERLAP",
      "LAYOUT_FIELD_BEYOND_HEADER",
      "LAYOUT_SLOT_MISALIGNED",
      "LAYOUT_SLOT_SIZE",
      "LAYOUT_SLOTS_PAST_IMAGE",
      "LAYOUT_SLOT_COUNT",
      "LAYOUT_IMAGE_SIZE",
      "LAYOUT_UNKNOWN_RELOC_TYPE",
      "LAYOUT_UNKNOWN_COMPUTED",
      "LAYOUT_UNKNOWN_SOURCE_KIND",
      "LAYOUT_UNKNOWN_ROLE",
      "LAYOUT_UNKNOWN_KEY",
      "LAYOUT_MISSING_KEY",
      "LAYOUT_SCHEMA",
      "LAYOUT_EMPTY_RELOCS",
      "LAYOUT_DUPLICATE_RELOC",
      "LAYOUT_COMPUTED_SIZE",
      "LAYOUT_COMPUTED_OFFSET",
      "LAYOUT_COMPUTED_MISSING",
      "LAYOUT_COMPUTED_DUPLICATE",
      "LAYOUT_LICENSE_MISSING",
      "LAYOUT_MISSING_ROLE",
      "LAYOUT_DUPLICATE_ROLE",
      "LAYOUT_FILLER",
      "LAYOUT_LICENSE_NOT_ASCII",
      "LAYOUT_LICENSE_REJECTED",
      "LAYOUT_STRING_NOT_ASCII",
      "LAYOUT_RELOC_MAGIC",
      "LAYOUT_VALUE_RANGE",
      "LAYOUT_BAD_IDENTIFIER",
      "LAYOUT_DUPLICATE_FIELD_NAME",
      "LAYOUT_CONST_TOO_WIDE",
      "LAYOUT_ASCII_SIZE",
      "LAYOUT_PROBE_FIELD",
      "LAYOUT_STRUCT_PAST_IMAGE",
    ]) {
      expect(codes, code).toContain(code);
    }
  });

  it("api13 may have no license field, and then an empty license is fine", () => {
    const raw = rawLayout("api13");
    raw.license = "";
    const r = loadLayout(writeTemp(raw));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it("validateLayout works on a hand-built Layout and leaves file out of the location", () => {
    const r = loadLayout(writeTemp(rawLayout("api3")));
    if (!r.ok) throw new Error("api3 must load");
    const layout = structuredClone(r.value);
    expect(validateLayout(layout)).toEqual([]);
    layout.calls[1]!.number = 0;
    expect(validateLayout(layout)).toEqual([
      { code: "LAYOUT_DUPLICATE_CALL", message: expect.stringContaining("calls[0]"), location: { path: "calls[1].number" } },
    ]);
  });
});
