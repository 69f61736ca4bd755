// The shared area is described once (src/layout/shared-area.ts); docs/hypervisors.md gives it in prose. This
// keeps the document's table equal to the description, field by field, and the description self-consistent.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HYPERVISOR_IDS, SHARED_AREA, SHARED_AREA_SIZE, SHARED_MAGIC } from "../../src/layout/shared-area.ts";

const doc = readFileSync(new URL("../../docs/hypervisors.md", import.meta.url), "utf8");

/** Rows of the markdown table under the "shared area" heading: offset, size, field. */
function docRows(): Array<{ offset: number; size: number; field: string }> {
  const section = doc.split(/^## /m).find((s) => s.startsWith("The shared area"));
  if (!section) throw new Error("docs/hypervisors.md has no 'The shared area' section");
  return section
    .split("\n")
    .filter((l) => /^\| 0x/.test(l))
    .map((l) => l.split("|").map((c) => c.trim()))
    .map((c) => ({ offset: Number(c[1]), size: Number(c[2]), field: c[3]! }));
}

const ascii = (v: number): string => String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);

describe("the shared area", () => {
  it("is documented field by field as described in shared-area.ts", () => {
    const described = Object.entries(SHARED_AREA).map(([field, f]) => ({ offset: f.offset, size: f.size, field }));
    expect(docRows()).toEqual(described);
  });

  it("has fields that do not overlap and fit the area; the lookaside is where VMware's ROM has it", () => {
    const fields = Object.values(SHARED_AREA).sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < fields.length; i++) expect(fields[i]!.offset).toBeGreaterThanOrEqual(fields[i - 1]!.offset + fields[i - 1]!.size);
    const last = fields[fields.length - 1]!;
    expect(last.offset + last.size).toBeLessThanOrEqual(SHARED_AREA_SIZE);
    expect(SHARED_AREA.linearMap.offset).toBe(0x54);
    expect(SHARED_AREA.linearMap.size).toBe(64);
  });

  it("spells its signatures as the document does", () => {
    expect(ascii(SHARED_MAGIC)).toBe("VMIh");
    expect(ascii(HYPERVISOR_IDS.vmware)).toBe("VMwr");
    expect(ascii(HYPERVISOR_IDS.xen)).toBe("Xen3");
    for (const s of ["VMIh", "VMwr", "Xen3"]) expect(doc).toContain(`"${s}"`);
  });
});
