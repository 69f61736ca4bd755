// One rule for which call each piece of code belongs to (src/decode/code-owners.ts): the checker and the
// readers must see the same bodies, cold parts and shared routines, with the same extents, in every ROM the
// build makes — from the bytes alone and with the manifest's shared routines.

import { describe, expect, it } from "vitest";
import { BACKENDS } from "../../roms/index.ts";
import { checkBodies } from "../../src/check/bodies.ts";
import { locateRegions } from "../../src/check/image-regions.ts";
import { readStubs } from "../../src/check/stubs.ts";
import { loadAllLayouts } from "../../src/cli/layouts.ts";
import { X86Decoder } from "../../src/decode/x86-decoder.ts";
import { decodeImage } from "../../src/inspect/disassemble.ts";
import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { build } from "../image/helpers.ts";

const layoutsR = loadAllLayouts();
if (!layoutsR.ok) throw new Error("cannot load the layouts");
const LAYOUTS: Layout[] = layoutsR.value;
const ROMS = Object.values(BACKENDS).flatMap((p) => LAYOUTS.map((layout) => ({ name: `${p.backend}-api${layout.version.major}`, program: p, layout })));

type Seen = Array<{ offset: number; kind: string; call?: string; code: number[] }>;

/** The checker's entries (a jump point's owner spelled as the readers do: Init for init). */
function checkerView(bytes: Uint8Array, layout: Layout, shared: Manifest["shared"]): Seen {
  const decoder = new X86Decoder(bytes, 32);
  try {
    const stubs = readStubs(bytes, layout, decoder, []);
    const bodies = checkBodies(bytes, locateRegions(bytes, layout), stubs, decoder, [], shared, layout.filler);
    return bodies.entries
      .map((e) => ({
        offset: e.offset,
        kind: e.kind,
        ...(e.area ? { call: e.area.area === "jump-point" ? e.area.name.charAt(0).toUpperCase() + e.area.name.slice(1) : e.area.name } : {}),
        code: e.instructions.map((i) => i.offset),
      }))
      .sort((x, y) => x.offset - y.offset);
  } finally {
    decoder.free();
  }
}

function readerView(bytes: Uint8Array, layout: Layout, shared: Manifest["shared"]): Seen {
  return decodeImage(bytes, layout, { shared })
    .entries.filter((e) => e.kind !== undefined)
    .map((e) => ({ offset: e.offset, kind: e.kind!, ...(e.call !== undefined ? { call: e.call } : {}), code: e.lines.map((l) => l.offset) }));
}

describe.each(ROMS)("$name: the checker and the readers", ({ program, layout }) => {
  const built = build(program, layout);

  it("see the same bodies, cold parts and shared routines, from the bytes alone", () => {
    expect(readerView(built.bytes, layout, [])).toEqual(checkerView(built.bytes, layout, []));
  });

  it("and with the manifest's shared routines", () => {
    const { shared } = built.manifest;
    expect(readerView(built.bytes, layout, shared)).toEqual(checkerView(built.bytes, layout, shared));
  });

  it("find every manifest cold part as a cold part of its call, or inside its body's code", () => {
    const seen = readerView(built.bytes, layout, []);
    for (const c of built.manifest.calls) {
      for (const cold of c.cold ?? []) {
        const owner = seen.find((e) => e.code.includes(cold.offset));
        expect({ call: c.name, owner: owner && (owner.kind === "shared" ? "shared" : owner.call) }).toEqual({ call: c.name, owner: c.name });
      }
    }
  });
});

describe("a place several slots jump out to is a shared routine, from the bytes alone", () => {
  it("xen: XenMmuextOp, the tail of SetCR3 and the page calls", () => {
    for (const layout of LAYOUTS) {
      const built = build(BACKENDS.xen!, layout);
      const mmuext = built.manifest.shared.find((s) => s.name === "XenMmuextOp")!;
      const entry = decodeImage(built.bytes, layout).entries.find((e) => e.offset === mmuext.offset)!;
      expect(entry.kind).toBe("shared");
      expect(entry.reachedBy).toEqual(expect.arrayContaining(["SetCR3", "InvalPage", "FlushTLB"]));
    }
  });
});
