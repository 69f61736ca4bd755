// The vmware hypercall contract is defined once (roms/vmware/hypercalls.ts) and printed in
// docs/hypervisors.md: the document's tables must say exactly what the definition says, and the ROM must use
// only numbers the table lists (read back from the built image's bytes, not from the program).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { buildImage } from "../../src/image/index.ts";
import { ASYNC, HC_ARG_REGS, HYPERCALLS, hypercallProblems } from "../../roms/vmware/hypercalls.ts";
import { vmware } from "../../roms/vmware/index.ts";

const doc = readFileSync(new URL("../../docs/hypervisors.md", import.meta.url), "utf8");

function section(): string {
  const s = doc.split(/^## /m).find((x) => x.startsWith("vmware"));
  if (!s) throw new Error("docs/hypervisors.md has no vmware section");
  return s;
}

/** Table rows starting with a hex number, cells trimmed. */
function rows(text: string): string[][] {
  return text
    .split("\n")
    .filter((l) => /^\| 0x/.test(l))
    .map((l) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

describe("the vmware hypercall contract", () => {
  it("has one number per hypercall and no more arguments than the transport carries", () => {
    expect(hypercallProblems()).toEqual([]);
    expect(HC_ARG_REGS).toEqual(["EBX", "ECX", "EDX", "ESI", "EDI"]);
  });

  it("is documented in docs/hypervisors.md row by row: number, name, argument registers, result", () => {
    const documented = rows(section()).filter((r) => r.length === 9);
    const defined = Object.entries(HYPERCALLS).map(([name, d]) => [
      `0x${d.number.toString(16).padStart(2, "0")}`,
      name,
      ...[0, 1, 2, 3, 4].map((i) => d.args[i] ?? "-"),
      d.result || "-",
      d.effect,
    ]);
    expect(documented).toEqual(defined);
  });

  it("documents the queued update numbers", () => {
    const documented = rows(section())
      .filter((r) => r.length === 7)
      .map((r) => [r[0], r[1]]);
    expect(documented).toEqual(Object.entries(ASYNC).map(([name, d]) => [`0x${d.number.toString(16)}`, name]));
  });

  const used = new Set<number>();
  for (const name of ["api3", "api13"]) {
    it(`${name}: every vmcall in the built ROM is preceded by mov eax, <a documented number>`, () => {
      const layout = loadLayoutByName(name);
      if (!layout.ok) throw new Error("layout");
      const built = buildImage(vmware, layout.value);
      if (!built.ok) throw new Error(built.errors.map((e) => e.message).join("\n"));
      const bytes = built.value.bytes;
      const known = new Set<number>(Object.values(HYPERCALLS).map((d) => d.number));
      let sites = 0;
      for (let i = 5; i + 2 < bytes.length; i++) {
        if (bytes[i] !== 0x0f || bytes[i + 1] !== 0x01 || bytes[i + 2] !== 0xc1) continue;
        sites++;
        expect(bytes[i - 5], `mov eax, imm32 before the vmcall at 0x${i.toString(16)}`).toBe(0xb8);
        const n = bytes[i - 4]! | (bytes[i - 3]! << 8) | (bytes[i - 2]! << 16) | (bytes[i - 1]! << 24);
        expect(known.has(n), `number 0x${n.toString(16)} at 0x${i.toString(16)} is in the table`).toBe(true);
        used.add(n);
      }
      expect(sites).toBeGreaterThan(30);
    });
  }
  it("uses every hypercall of the table on one interface or the other (no dead rows)", () => {
    for (const [n, d] of Object.entries(HYPERCALLS)) expect(used.has(d.number), `${n} (0x${d.number.toString(16)}) is used`).toBe(true);
  });
});
