// Flip every byte of the fixed structures and slots: with the manifest every non-inert change must
// be noticed; from the bytes alone, every data byte (fields, tables, filler) must be.

import { describe, expect, it } from "vitest";
import { buildFixture } from "./fixture.ts";
import { layoutNamed } from "./layouts.ts";
import { defaultInertOffsets, formatMutationReport, mutationReport } from "./mutation.ts";

describe.each(["api3", "api13"] as const)("mutation report %s", (api) => {
  const f = buildFixture(layoutNamed(api));
  const inert = defaultInertOffsets(f.layout, f.manifest);

  it("with the manifest: 100 % of non-inert bytes in every region", () => {
    const r = mutationReport(f.bytes, f.layout, f.manifest, inert);
    console.log(formatMutationReport(api, r));
    expect(r.baseline).toEqual([]);
    expect(r.regions.map((x) => x.region)).toContain("slots");
    for (const region of r.regions) {
      expect(region.bytes, region.region).toBeGreaterThan(0);
      expect({ region: region.region, missed: region.missed }).toEqual({ region: region.region, missed: [] });
    }
  });

  it("structural only: 100 % of data bytes, code bytes reported", () => {
    const r = mutationReport(f.bytes, f.layout, undefined, inert);
    console.log(formatMutationReport(api, r));
    expect(r.baseline).toEqual([]);
    for (const region of r.regions) {
      expect({ region: region.region, missedData: region.missedData }).toEqual({ region: region.region, missedData: [] });
    }
    // Stub code is only partly visible without the manifest (another valid instruction is still valid code).
    const slots = r.regions.find((x) => x.region === "slots")!;
    expect(slots.code.bytes).toBeGreaterThan(0);
    expect(slots.data.bytes).toBeGreaterThan(slots.code.bytes);
  });
});

describe("inline jump points (api3 Init in place)", () => {
  const layout = layoutNamed("api3");

  it("need the manifest's jump point hash to reach 100 %; with it they do", () => {
    const plain = buildFixture(layout, { inlineInit: true });
    const hashed = buildFixture(layout, { inlineInit: true, jumpPointHashes: true });
    expect(plain.bytes).toEqual(hashed.bytes);
    const rate = (f: typeof plain): number => {
      const r = mutationReport(f.bytes, layout, f.manifest, defaultInertOffsets(layout, f.manifest));
      expect(r.baseline).toEqual([]);
      return r.regions.find((x) => x.region === "jump point init")!.rate;
    };
    // `xor eax, eax` → `xor [edi], edi` is still valid inline code: only a hash of the bytes sees it.
    expect(rate(plain)).toBeLessThan(1);
    expect(rate(hashed)).toBe(1);
  });
});
