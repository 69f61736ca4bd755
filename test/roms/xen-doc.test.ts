// docs/hypervisors.md's xen section and roms/xen/abi.ts describe the same contract: every hypercall the ROM
// makes (number, name, the calls that make it, argument registers), the shared_info fields and the mmuext
// commands appear in the doc exactly as the table renders them, and the doc lists no hypercall row the table
// lacks. The ROM code and the guest's model read the table, so this keeps all three in step.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HYPERCALL, HYPERCALL_USES, xenDocRows } from "../../roms/xen/abi.ts";
import { xen } from "../../roms/xen/index.ts";

const doc = readFileSync(new URL("../../docs/hypervisors.md", import.meta.url), "utf8");
const section = (() => {
  const start = doc.indexOf("## xen:");
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
})();

describe("docs/hypervisors.md, xen section", () => {
  const rows = xenDocRows();
  it("exists", () => {
    expect(section.length).toBeGreaterThan(1000);
  });
  it.each(rows.hypercalls)("lists %s", (row) => expect(section).toContain(row));
  it.each(rows.sharedInfo)("lists shared_info field %s", (row) => expect(section).toContain(row));
  it.each(rows.mmuext)("lists mmuext command %s", (row) => expect(section).toContain(row));
  it("lists no hypercall the ROM does not make", () => {
    const documented = [...section.matchAll(/^\| (\d+) \| ([a-z_]+) \| .* \| .* \| .* \|$/gm)].map((m) => m[2]);
    expect(documented.sort()).toEqual(HYPERCALL_USES.map((u) => u.hypercall).sort());
  });
  it("names only calls the backend implements", () => {
    const named = HYPERCALL_USES.flatMap((u) => u.calls).filter((c) => /^[A-Z][A-Za-z0-9]+$/.test(c));
    for (const c of named) expect(xen.calls[c], c).toBeDefined();
  });
  it("every hypercall number the page carries is one the table documents", () => {
    expect(Object.keys(HYPERCALL).sort()).toEqual(HYPERCALL_USES.map((u) => u.hypercall).sort());
  });
});
