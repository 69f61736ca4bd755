// The image model (src/inspect/model.ts) and its SVG picture (svg.ts): for every backend × layout the
// build makes, every call has its element, slots are shaded to scale, out-of-line slots point at their
// bodies, the document is well-formed XML (parsed here) that rsvg-convert renders; the model read from
// the bytes alone agrees with the builder's manifest.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffImages } from "../../src/inspect/diff.ts";
import { eax, ecx } from "../../src/asm/index.ts";
import { BACKENDS } from "../../roms/index.ts";
import { loadAllLayouts } from "../../src/cli/layouts.ts";
import { readImageModel } from "../../src/inspect/model.ts";
import { renderSvg } from "../../src/inspect/svg.ts";
import type { Layout } from "../../src/layout/types.ts";
import { requireTools, runTool, withTempDirAsync } from "../support/tools.ts";
import { allElements, parseXml, type XmlElement } from "../support/xml.ts";
import { build, layoutNamed, program } from "../image/helpers.ts";

const layoutsR = loadAllLayouts();
if (!layoutsR.ok) throw new Error("cannot load the layouts");
const LAYOUTS: Layout[] = layoutsR.value;
const ROMS = Object.values(BACKENDS).flatMap((p) => LAYOUTS.map((layout) => ({ name: `${p.backend}-api${layout.version.major}`, program: p, layout })));

function byId(root: XmlElement): Map<string, XmlElement> {
  const m = new Map<string, XmlElement>();
  for (const e of allElements(root))
    if (e.attrs.id !== undefined) {
      if (m.has(e.attrs.id)) throw new Error(`duplicate id ${e.attrs.id}`);
      m.set(e.attrs.id, e);
    }
  return m;
}

const titleOf = (e: XmlElement): string => e.children.find((c) => c.name === "title")?.text ?? "";
const rects = (e: XmlElement): XmlElement[] => allElements(e).filter((c) => c.name === "rect");

describe.each(ROMS)("the SVG map of $name", ({ name, program: p, layout }) => {
  const built = build(p, layout);
  const model = readImageModel(built.bytes, layout, { name: `${name}.rom`, manifest: built.manifest });
  const svg = renderSvg(model);
  const root = parseXml(svg);
  const ids = byId(root);

  it("is well-formed XML with an <svg> root and a size", () => {
    expect(root.name).toBe("svg");
    expect(Number(root.attrs.width)).toBeGreaterThan(1000);
    expect(Number(root.attrs.height)).toBeGreaterThan(100);
    expect(model.fromManifest).toBe(true);
  });

  it("has an element for every call, named, with its form, and the used bytes to scale", () => {
    for (const c of layout.calls) {
      const g = ids.get(`call-${c.name}`);
      expect(g, c.name).toBeDefined();
      const mc = built.manifest.calls.find((x) => x.name === c.name)!;
      expect(g!.attrs.class).toBe(`slot ${mc.placement === "image" ? "image" : mc.placement}`);
      expect(titleOf(g!)).toContain(`call ${c.number} ${c.name}: slot 0x${mc.slot.offset.toString(16).padStart(4, "0")}, ${mc.slot.used}/32 bytes used`);
      expect(
        allElements(g!).some((e) => e.name === "text" && e.text === c.name),
        `${c.name} label`,
      ).toBe(true);
      // Background, used strip, frame: the slot is 32 bytes wide, the strip `used` bytes, at 5 px a byte.
      const [room, used] = rects(g!);
      expect(Number(room!.attrs.width)).toBe(32 * 5);
      expect(Number(used!.attrs.width)).toBe(mc.slot.used * 5);
    }
  });

  it("draws every out-of-line body and an arrow from its slot to it", () => {
    for (const c of built.manifest.calls.filter((x) => x.body)) {
      const body = ids.get(`body-${c.name}`),
        arrow = ids.get(`arrow-${c.name}`);
      expect(body, c.name).toBeDefined();
      expect(arrow, c.name).toBeDefined();
      expect(titleOf(body!)).toContain(`${c.body!.size} bytes`);
      const first = rects(body!)[0]!;
      const end = /(-?[\d.]+),(-?[\d.]+)$/.exec(arrow!.attrs.d!)!;
      expect(Number(end[1])).toBeCloseTo(Number(first.attrs.x) - 0.5 + 4, 1);
      expect(Number(end[2])).toBeCloseTo(Number(first.attrs.y) - 0.5, 1);
    }
  });

  it("draws the header fields, PCIR, $PnP, relocation table, init16, strings and free space", () => {
    for (const f of layout.header) expect(ids.has(`field-${f.name}`), f.name).toBe(true);
    const kinds = new Set([...ids.keys()].filter((k) => k.startsWith("region-")).map((k) => k.split("-")[1]));
    for (const k of ["pcir", "pnp", "relocTable", "init16", "string", "checksum"]) expect(kinds.has(k), k).toBe(true);
    expect(svg).toContain(`relocation table (${built.manifest.relocTable.size} bytes)`);
  });

  it("is reproducible", () => {
    expect(renderSvg(readImageModel(built.bytes, layout, { name: `${name}.rom`, manifest: built.manifest }))).toBe(svg);
  });

  it("agrees, read from the bytes alone, with the manifest on every slot's form, bytes used and body", () => {
    const bare = readImageModel(built.bytes, layout);
    expect(bare.fromManifest).toBe(false);
    for (const c of built.manifest.calls) {
      const m = bare.calls.find((x) => x.name === c.name)!;
      expect(m.placement === c.placement || (c.placement === "image" && m.placement === "outOfLine"), c.name).toBe(true);
      expect(m.used, c.name).toBe(c.slot.used);
      expect(m.body?.offset, c.name).toBe(c.body?.offset);
      expect(m.reloc?.type, c.name).toBe(c.reloc);
    }
    for (const s of built.manifest.shared)
      expect(
        bare.regions.some((r) => r.kind === "routine" && r.offset === s.offset),
        s.name,
      ).toBe(true);
  });
});

describe("the model and the map, in detail", () => {
  it("native: from the bytes alone, body extents and every region equal the manifest's", () => {
    for (const layout of LAYOUTS) {
      const built = build(BACKENDS.native!, layout);
      const a = readImageModel(built.bytes, layout, { manifest: built.manifest });
      const b = readImageModel(built.bytes, layout);
      expect(b.calls.map((c) => [c.name, c.used, c.body])).toEqual(a.calls.map((c) => [c.name, c.used, c.body]));
      expect(b.regions.map((r) => [r.kind, r.offset, r.size])).toEqual(a.regions.map((r) => [r.kind, r.offset, r.size]));
    }
  });

  it("a manifest of other bytes is ignored", () => {
    const layout = layoutNamed("api3");
    const built = build(BACKENDS.native!, layout);
    const other = build(program({}), layout);
    const m = readImageModel(built.bytes, layout, { manifest: other.manifest });
    expect(m.fromManifest).toBe(false);
    expect(renderSvg(m)).toContain("from the bytes alone");
  });

  it("shows shared routines with their users, and a body's cold part with a dashed arrow from the body", () => {
    const layout = layoutNamed("api3");
    const p = program(
      {
        SetDR: (a, ctx) => {
          a.call(ctx.shared.helper!);
          a.test(eax, eax);
          a.jnz(
            ctx.cold((c) => {
              c.times(20, () => c.nop());
              c.ret();
            }),
          );
          a.times(30, () => a.nop());
          a.ret();
        },
        GetDR: (a, ctx) => {
          a.call(ctx.shared.helper!);
          a.ret();
        },
      },
      {
        shared: [
          {
            name: "helper",
            emit: (a) => {
              a.mov(eax, ecx);
              a.ret();
            },
          },
        ],
      },
    );
    const built = build(p, layout);
    const helper = built.manifest.shared.find((s) => s.name === "helper")!;
    const setdr = built.manifest.calls.find((c) => c.name === "SetDR")!;
    const cold = setdr.cold![0]!;
    for (const manifest of [built.manifest, undefined]) {
      const model = readImageModel(built.bytes, layout, manifest ? { manifest } : {});
      // From the bytes alone the body is its contiguous code and the cold part what it branches to elsewhere.
      const m = model.calls.find((c) => c.name === "SetDR")!;
      expect([m.body, m.cold]).toEqual([setdr.body, [cold]]);
      const ids = byId(parseXml(renderSvg(model)));
      const routine = ids.get(`region-routine-${helper.offset.toString(16)}`)!;
      expect(titleOf(routine)).toBe(
        `shared routine ${manifest ? "helper" : `sub_${helper.offset.toString(16).padStart(4, "0")}`}: 0x${helper.offset.toString(16).padStart(4, "0")}–0x${(helper.offset + helper.size - 1).toString(16).padStart(4, "0")}, ${helper.size} bytes; used by SetDR, GetDR`,
      );
      const coldEl = ids.get(`region-cold-${cold.offset.toString(16)}`)!;
      expect(titleOf(coldEl)).toBe(
        `cold part cold_SetDR: 0x${cold.offset.toString(16).padStart(4, "0")}–0x${(cold.offset + cold.size - 1).toString(16).padStart(4, "0")}, ${cold.size} bytes (of SetDR)`,
      );
      const arrow = ids.get("arrow-cold_SetDR")!;
      expect(arrow.attrs["stroke-dasharray"]).toBeDefined();
      // It starts under the body (its first row), not under the slot.
      const bodyRect = rects(ids.get("body-SetDR")!)[0]!;
      expect(Number(/^M[\d.]+,([\d.]+)/.exec(arrow.attrs.d!)![1])).toBeCloseTo(Number(bodyRect.attrs.y) - 0.5 + 34, 1);
    }
  });

  it("a cold part an inline slot jumps out to is that call's, from the manifest or the bytes alone; a place several slots jump to is a shared routine", () => {
    const layout = layoutNamed("api3");
    const p = program(
      {
        // Hot path in the slot, the rare cases out of line.
        CLTS: (a, ctx) => {
          a.test(eax, eax);
          a.jnz(
            ctx.cold((c) => {
              c.xor(eax, eax);
              c.times(12, () => c.nop());
              c.ret();
            }),
          );
          a.test(ecx, ecx);
          a.jnz(
            ctx.cold((c) => {
              c.xor(ecx, ecx);
              c.ret();
            }),
          );
          a.ret();
        },
        WBINVD: (a, ctx) => a.jmp(ctx.shared.tail!),
        INVD: (a, ctx) => a.jmp(ctx.shared.tail!),
        RDPMC: (a, ctx) => a.jmp(ctx.shared.tail!),
      },
      {
        shared: [
          {
            name: "tail",
            emit: (a) => {
              a.mov(eax, ecx);
              a.ret();
            },
          },
        ],
      },
    );
    const built = build(p, layout);
    const colds = built.manifest.calls.find((c) => c.name === "CLTS")!.cold!;
    expect(colds).toHaveLength(2);
    const tail = built.manifest.shared.find((s) => s.name === "tail")!;
    const users = layout.calls.map((c) => c.name).filter((n) => ["WBINVD", "INVD", "RDPMC"].includes(n));
    for (const manifest of [built.manifest, undefined]) {
      const model = readImageModel(built.bytes, layout, manifest ? { manifest } : {});
      const clts = model.calls.find((c) => c.name === "CLTS")!;
      expect(clts.form).toBe("inline");
      expect(clts.cold).toEqual(colds);
      expect(clts.lines.some((l) => l.offset === colds[0]!.offset && l.text.startsWith("xor"))).toBe(true);
      const coldRegions = model.regions.filter((r) => r.kind === "cold").map((r) => [r.name, r.offset, r.calls]);
      expect(coldRegions).toEqual([
        ["cold_CLTS", colds[0]!.offset, ["CLTS"]],
        ["cold_CLTS_2", colds[1]!.offset, ["CLTS"]],
      ]);
      const shared = model.regions.find((r) => r.kind === "routine" && r.offset === tail.offset)!;
      expect(shared.calls).toEqual(users);
      const ids = byId(parseXml(renderSvg(model)));
      expect(ids.get("arrow-cold_CLTS")!.attrs["stroke-dasharray"]).toBeDefined();
      expect(ids.has("arrow-cold_CLTS_2")).toBe(true);
      expect(titleOf(ids.get("call-CLTS")!)).toContain(`cold part at 0x${colds[0]!.offset.toString(16).padStart(4, "0")}`);
    }
  });

  it("any bytes that start with 55 AA give a model, a well-formed picture and a diff against a real ROM", () => {
    const layout = layoutNamed("api3");
    const real = build(BACKENDS.native!, layout);
    const realSide = { bytes: real.bytes, model: readImageModel(real.bytes, layout) };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 2, maxLength: 6000 }),
          // A real image with a few bytes changed, possibly cut short.
          fc
            .tuple(
              fc.array(fc.tuple(fc.nat(real.bytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }),
              fc.integer({ min: 2, max: real.bytes.length }),
            )
            .map(([edits, size]) => {
              const b = real.bytes.slice(0, size);
              for (const [at, v] of edits) if (at < size) b[at] = v;
              return b;
            }),
        ),
        (raw) => {
          const bytes = raw.slice();
          bytes[0] = 0x55;
          bytes[1] = 0xaa;
          const model = readImageModel(bytes, layout);
          expect(model.calls).toHaveLength(layout.calls.length);
          const ids = byId(parseXml(renderSvg(model)));
          for (const c of layout.calls) expect(ids.has(`call-${c.name}`)).toBe(true);
          const d = diffImages(realSide, { bytes, model });
          expect(d.equal).toBe(bytes.length === real.bytes.length && bytes.every((x, i) => x === real.bytes[i]));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rsvg-convert renders every map to a PNG", async () => {
    if (!requireTools("rsvg-convert")) return;
    await withTempDirAsync(async (dir) => {
      for (const { name, program: p, layout } of ROMS) {
        const built = build(p, layout);
        const svg = join(dir, `${name}.svg`),
          png = join(dir, `${name}.png`);
        writeFileSync(svg, renderSvg(readImageModel(built.bytes, layout, { name, manifest: built.manifest })));
        const r = await runTool("rsvg-convert", [svg, "-o", png]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toBe("");
        expect([...readFileSync(png).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      }
    });
  });
});
