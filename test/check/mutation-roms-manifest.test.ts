// The mutation test on the real ROMs, with their manifests: every byte of every image in build/roms is
// flipped (xor 0xff, checksum re-fixed; the checksum byte itself flipped alone) and must be caught with the
// image hash ignored, so that the per-call, per-field and per-region rules do the work. Images above
// SWEEP_ALL_BYTES are swept with a stride (every structural byte and every STRIDE-th byte elsewhere) to keep
// `npm test` short; none of the ROMs built today is that large.

import { describe, expect, it } from "vitest";
import { builtRomFiles, loadBuiltRom, runClasses, structuralClasses } from "./mutation.ts";

/** Each check takes about half a millisecond: a 16 KiB image is some ten seconds here. */
const SWEEP_ALL_BYTES = 16 * 1024;
const STRIDE = 3;

describe.each(builtRomFiles())("mutations of %s with its manifest", (file) => {
  const { bytes, manifest, layout } = loadBuiltRom(file);

  it("every byte of the image caught", () => {
    const structures = structuralClasses(bytes, layout, manifest).flatMap((c) => c.offsets);
    const always = new Set([...structures, bytes.length - 1]);
    const sweep = bytes.length <= SWEEP_ALL_BYTES;
    const offsets = Array.from({ length: bytes.length }, (_, o) => o).filter((o) => sweep || always.has(o) || o % STRIDE === 0);
    const { baseline, results } = runClasses(bytes, layout, [{ name: "every byte", offsets, names: [], extents: [] }], manifest);
    const r = results[0]!;
    console.log(`${file} with its manifest: ${r.caught}/${r.bytes} bytes caught${sweep ? "" : ` (structures, and every ${STRIDE}rd byte elsewhere)`}`);
    expect(baseline).toEqual([]);
    expect(r.bytes).toBe(offsets.length);
    const missed = r.misses.filter((m) => m.rules.length === 0).map((m) => m.offset.toString(16));
    expect(missed.slice(0, 20)).toEqual([]);
  });
});
