// The mutation test on the real ROMs: every image `vmirom build --all` wrote to build/roms (the
// directory is listed, so new backends are covered as they appear), each with its manifest beside it.
// One byte at a time is flipped (xor 0xff) and the checksum re-fixed, so that rule alone cannot see it.
//
// - Without the manifest, every structural byte — header fields, PCIR, $PnP, license and strings,
//   relocation table, jump points (but the code of an inline one), out-of-line slots (jmp opcode,
//   target, ud2, filler), absent slots (ud2, filler), the filler of inline slots — must be caught by a
//   violation that names the right region: its region (a slot's body or cold part counts for the slot), or
//   an offset inside it.
// - Without the manifest, the first byte of every inline body, out-of-line body and shared routine:
//   the share caught is printed (valid code that still returns cannot be told from the original).
// - With the manifest (image hash ignored, so the per-call and per-region rules must do the work),
//   every byte of the image must be caught. Images above SWEEP_ALL_BYTES bytes are swept with a
//   stride (every byte of a structure, every STRIDE-th byte elsewhere) to keep `npm test` short.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Manifest } from "../../src/manifest.ts";
import { firstByteClasses, formatClassResults, runClasses, structuralClasses, type MutationClass } from "./mutation.ts";

const ROMS = join(import.meta.dirname, "../../build/roms");
/** Larger images are swept with a stride outside their structures (each check takes ~0.5 ms). */
const SWEEP_ALL_BYTES = 16 * 1024;
const STRIDE = 3;

const roms = existsSync(ROMS) ? readdirSync(ROMS).filter((f) => f.endsWith(".rom")).sort() : [];

function load(file: string): { bytes: Uint8Array; manifest: Manifest } {
  const bytes = new Uint8Array(readFileSync(join(ROMS, file)));
  const manifest = JSON.parse(readFileSync(join(ROMS, file.replace(/\.rom$/, ".json")), "utf8")) as Manifest;
  return { bytes, manifest };
}

describe("build/roms", () => {
  it("holds the ROMs `npm run build-rom` writes (run it first), each with its manifest", () => {
    expect(roms.length).toBeGreaterThanOrEqual(2);
    for (const f of roms) expect(existsSync(join(ROMS, f.replace(/\.rom$/, ".json"))), f).toBe(true);
  });
});

describe.each(roms)("mutations of %s", (file) => {
  const { bytes, manifest } = load(file);
  const loaded = loadLayoutByName(manifest.layout);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const layout = loaded.value;

  it("without the manifest: 100 % of structural bytes caught, each under the right region", () => {
    const { baseline, results } = runClasses(bytes, layout, structuralClasses(bytes, layout, manifest));
    console.log(formatClassResults(`structural mutations of ${file} (no manifest):`, results));
    expect(baseline).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining(["PCIR", "$PnP", "license", "relocation table"]));
    for (const r of results) expect({ class: r.name, misses: r.misses.slice(0, 10) }).toEqual({ class: r.name, misses: [] });
  });

  it("without the manifest: the share of first code bytes caught is reported", () => {
    const classes: MutationClass[] = firstByteClasses(manifest).filter((c) => c.offsets.length > 0).map((c) => ({ ...c, names: [], extents: [] }));
    const { baseline, results } = runClasses(bytes, layout, classes);
    const lines = results.map((r) => `  ${r.name.padEnd(28)} ${r.caught}/${r.bytes} caught (${((100 * r.caught) / r.bytes).toFixed(1)}%)`);
    console.log([`first code bytes of ${file} (no manifest):`, ...lines].join("\n"));
    expect(baseline).toEqual([]);
    // Flipping a first byte mostly breaks the code's shape; a share of zero would mean the rules do not look.
    for (const r of results) expect(r.caught, r.name).toBeGreaterThan(0);
  });

  it("with the manifest: every byte of the image caught", () => {
    const structures = structuralClasses(bytes, layout, manifest).flatMap((c) => c.offsets);
    const always = new Set([...structures, bytes.length - 1]);
    const sweep = bytes.length <= SWEEP_ALL_BYTES;
    const offsets = Array.from({ length: bytes.length }, (_, o) => o).filter((o) => sweep || always.has(o) || o % STRIDE === 0);
    const { baseline, results } = runClasses(bytes, layout, [{ name: "every byte", offsets, names: [], extents: [] }], manifest);
    const r = results[0]!;
    console.log(`${file} with its manifest: ${r.caught}/${r.bytes} bytes caught${sweep ? "" : ` (every ${STRIDE}rd byte outside structures)`}`);
    expect(baseline).toEqual([]);
    expect(r.bytes).toBe(offsets.length);
    const missed = r.misses.filter((m) => m.rules.length === 0).map((m) => m.offset.toString(16));
    expect(missed.slice(0, 20)).toEqual([]);
  });
});
