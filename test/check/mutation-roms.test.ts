// The mutation test on the real ROMs: every native image is built in-process, then every byte of its header,
// PCIR, $PnP, jump points, slots and relocation table is flipped (checksum re-fixed) and checked.
// With the manifest (image hash ignored, so the per-call and per-region rules must do the work) every
// non-inert byte must be caught; from the bytes alone every data byte must be.
import { describe, expect, it } from "vitest";
import { buildImage } from "../../src/image/index.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { BACKENDS } from "../../roms/index.ts";
import { defaultInertOffsets, formatMutationReport, mutationReport } from "./mutation.ts";

const cases = Object.keys(BACKENDS).flatMap((backend) => ["api3", "api13"].map((api) => [backend, api] as const));

describe.each(cases)("mutation report for the built %s-%s ROM", (backend, api) => {
  const layout = loadLayoutByName(api);
  if (!layout.ok) throw new Error(layout.errors.map((e) => e.message).join("\n"));
  const built = buildImage(BACKENDS[backend]!, layout.value);
  if (!built.ok) throw new Error(built.errors.map((e) => e.message).join("\n"));
  const { bytes, manifest } = built.value;
  const inert = defaultInertOffsets(layout.value, manifest);

  it("with the manifest: 100 % of non-inert bytes detected in every region", () => {
    const r = mutationReport(bytes, layout.value, manifest, inert);
    console.log(formatMutationReport(`${backend}-${api}`, r));
    expect(r.baseline).toEqual([]);
    for (const region of r.regions) {
      expect(region.bytes, region.region).toBeGreaterThan(0);
      expect({ region: region.region, missed: region.missed }).toEqual({ region: region.region, missed: [] });
    }
  });

  it("structural only: 100 % of data bytes detected, code bytes reported", () => {
    const r = mutationReport(bytes, layout.value, undefined, inert);
    console.log(formatMutationReport(`${backend}-${api} (no manifest)`, r));
    expect(r.baseline).toEqual([]);
    for (const region of r.regions) {
      expect({ region: region.region, missedData: region.missedData }).toEqual({ region: region.region, missedData: [] });
    }
  });
});
