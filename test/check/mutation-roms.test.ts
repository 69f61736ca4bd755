// The mutation test on the real ROMs, without their manifests: every image `vmirom build --all` wrote to
// build/roms (the directory is listed, so new backends are covered as they appear). One byte at a time is
// flipped (xor 0xff) and the checksum re-fixed, so that rule alone cannot see it.
//
// - Every structural byte — header fields, PCIR, $PnP, license and strings, relocation table, jump points
//   (but the code of an inline one), out-of-line slots (jmp opcode, target, ud2, filler), absent slots
//   (ud2, filler), the filler of inline slots, padding (every byte no region holds) — must be caught by a
//   violation that names the right region: its region (a slot's body or cold part counts for the slot), or
//   an offset inside it.
// - The first byte of every inline body, out-of-line body, cold part and shared routine: the share caught
//   is printed (valid code that still returns cannot be told from the original without the manifest).
// With the manifest: mutation-roms-manifest.test.ts (a file of its own, so vitest runs the two in parallel).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BUILT_ROMS_DIR,
  builtRomFiles,
  firstByteClasses,
  formatClassResults,
  loadBuiltRom,
  runClasses,
  structuralClasses,
  type MutationClass,
} from "./mutation.ts";

const roms = builtRomFiles();

describe("build/roms", () => {
  it("holds the ROMs `npm run build-rom` writes (run it first), each with its manifest", () => {
    expect(roms.length).toBeGreaterThanOrEqual(2);
    for (const f of roms) expect(existsSync(join(BUILT_ROMS_DIR, f.replace(/\.rom$/, ".json"))), f).toBe(true);
  });
});

describe.each(roms)("mutations of %s without its manifest", (file) => {
  const { bytes, manifest, layout } = loadBuiltRom(file);

  it("100 % of structural bytes caught, each under the right region", () => {
    const { baseline, results } = runClasses(bytes, layout, structuralClasses(bytes, layout, manifest));
    console.log(formatClassResults(`structural mutations of ${file} (no manifest):`, results));
    expect(baseline).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining(["PCIR", "$PnP", "license", "relocation table"]));
    for (const r of results) expect({ class: r.name, misses: r.misses.slice(0, 10) }).toEqual({ class: r.name, misses: [] });
  });

  it("the share of first code bytes caught is reported", () => {
    const classes: MutationClass[] = firstByteClasses(manifest)
      .filter((c) => c.offsets.length > 0)
      .map((c) => ({ ...c, names: [], extents: [] }));
    const { baseline, results } = runClasses(bytes, layout, classes);
    const lines = results.map((r) => `  ${r.name.padEnd(28)} ${r.caught}/${r.bytes} caught (${((100 * r.caught) / r.bytes).toFixed(1)}%)`);
    console.log([`first code bytes of ${file} (no manifest):`, ...lines].join("\n"));
    expect(baseline).toEqual([]);
    expect(results.reduce((n, r) => n + r.bytes, 0)).toBe(classes.reduce((n, c) => n + c.offsets.length, 0));
    // A class may be small and all its changes valid code (xen's two cold parts), but over the whole image a
    // share of zero would mean the rules do not look at code at all.
    expect(results.reduce((n, r) => n + r.caught, 0)).toBeGreaterThan(0);
  });
});
