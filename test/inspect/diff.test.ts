// vmirom diff's comparison (src/inspect/diff.ts) on real images: identical ROMs, a ROM against mutated
// copies of itself (a call removed, a body's code changed, a PCIR field changed), a body that only moved,
// and two different ROMs.

import { describe, expect, it } from "vitest";
import { eax } from "../../src/asm/index.ts";
import { BACKENDS } from "../../roms/index.ts";
import { diffImages, type DiffSide } from "../../src/inspect/diff.ts";
import { readImageModel } from "../../src/inspect/model.ts";
import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { fixChecksum } from "../guest/rom-files.ts";
import { bodyOfSize, build, layoutNamed, program } from "../image/helpers.ts";
import { flipBits } from "../support/bytes.ts";

const api3 = layoutNamed("api3");
const api13 = layoutNamed("api13");
const native3 = build(BACKENDS.native!, api3);
const native13 = build(BACKENDS.native!, api13);

function side(bytes: Uint8Array, layout: Layout, name: string, manifest?: Manifest): DiffSide {
  return { bytes, model: readImageModel(bytes, layout, { name, ...(manifest ? { manifest } : {}) }) };
}

function mutated(edit: (b: Uint8Array) => void): Uint8Array {
  const b = native3.bytes.slice();
  edit(b);
  fixChecksum(b);
  return b;
}

const call = (name: string) => native3.manifest.calls.find((c) => c.name === name)!;

describe("vmirom diff", () => {
  it("finds two identical images equal", () => {
    const d = diffImages(side(native3.bytes, api3, "a.rom", native3.manifest), side(native3.bytes.slice(), api3, "b.rom"));
    expect(d.equal).toBe(true);
    expect(d.changedCalls).toEqual([]);
    expect(d.text).toContain("the images are identical");
  });

  it("names a call made absent: its form, bytes used, relocation answer and a listing diff", () => {
    const cpuid = call("CPUID");
    const table = native3.manifest.relocTable.offset + 8 + cpuid.number * 4;
    const b = mutated((x) => {
      x.fill(api3.filler, cpuid.slot.offset, cpuid.slot.offset + 32);
      x.set([0x0f, 0x0b], cpuid.slot.offset); // ud2
      x[table + 2] = 0; // NONE
    });
    const d = diffImages(side(native3.bytes, api3, "a.rom", native3.manifest), side(b, api3, "b.rom"));
    expect(d.equal).toBe(false);
    expect(d.changedCalls).toEqual(["CPUID"]);
    expect(d.text).toContain("CPUID: form inline → absent; slot bytes used 3/32 → 2/32; relocation CALL_REL 0x00a0 → NONE; code differs");
    expect(d.text).toMatch(/^ {6}- {4}a0: {2}cpuid$/m);
    expect(d.text).toMatch(/^ {6}\+ {4}a0: {2}ud2$/m);
    expect(d.text).not.toContain("header fields:");
    expect(d.text).toMatch(/relocation table: 0x0a94\+304, bytes differ/);
  });

  it("shows the changed instruction of an out-of-line body, and a changed PCIR field", () => {
    const setdr = call("SetDR");
    const b = mutated((x) => {
      // The body's first instruction is replaced by nops of the same length.
      const lines = readImageModel(native3.bytes, api3).calls.find((c) => c.name === "SetDR")!.lines;
      const first = lines.find((l) => l.offset === setdr.body!.offset)!;
      x.fill(0x90, first.offset, first.offset + first.length);
      flipBits(x, native3.manifest.pci.offset + 6, 0x01); // device id
    });
    const d = diffImages(side(native3.bytes, api3, "a.rom"), side(b, api3, "b.rom"));
    expect(d.changedCalls).toEqual(["SetDR"]);
    expect(d.text).toContain("SetDR: code differs");
    expect(d.text).toMatch(/^ {6}\+ +[0-9a-f]+: {2}nop$/m);
    // Three lines of context around the change, not the whole body.
    expect(d.text).toMatch(/^ {8}⋮$/m);
    expect(d.text).not.toContain("%db7");
    expect(d.text).toContain("PCIR: 0x0020+24, bytes differ");
    expect(d.text).toMatch(/0x0026–0x0026 \(1\): PCIR/);
  });

  it("a body that only moved is placed elsewhere, not changed code", () => {
    const a = build(program({ SetDR: bodyOfSize(40), GetDR: bodyOfSize(50) }), api3);
    const b = build(program({ SetDR: bodyOfSize(70), GetDR: bodyOfSize(50) }), api3);
    const d = diffImages(side(a.bytes, api3, "a.rom", a.manifest), side(b.bytes, api3, "b.rom", b.manifest));
    expect(d.changedCalls).toEqual(["SetDR", "GetDR"]);
    expect(d.text).toMatch(/^ {2}SetDR: body size 40 → 70 bytes; code differs$/m);
    expect(d.text).toMatch(/^ {2}GetDR: body at 0x[0-9a-f]{4} → 0x[0-9a-f]{4}$/m);
  });

  it("a cold part's size and code are compared with its call", () => {
    const withCold = (nops: number) =>
      build(
        program({
          CLTS: (a, ctx) => {
            a.test(eax, eax);
            a.jnz(
              ctx.cold((c) => {
                c.xor(eax, eax);
                c.times(nops, () => c.nop());
                c.ret();
              }),
            );
            a.ret();
          },
        }),
        api3,
      );
    const a = withCold(4),
      b = withCold(9);
    const d = diffImages(side(a.bytes, api3, "a.rom"), side(b.bytes, api3, "b.rom"));
    expect(d.changedCalls).toEqual(["CLTS"]);
    expect(d.text).toMatch(/^ {2}CLTS: cold part size \d+ → \d+ bytes; code differs$/m);
    expect(d.text).toMatch(/^ {6}\+ +[0-9a-f]+: {2}nop$/m);
  });

  it("a call into a shared routine that moved is the same code (the routine is named), only its bytes differ", () => {
    const withHelper = (setdr: number) =>
      build(
        program(
          {
            SetDR: bodyOfSize(setdr),
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
                  a.xor(eax, eax);
                  a.ret();
                },
              },
            ],
          },
        ),
        api3,
      );
    const a = withHelper(40),
      b = withHelper(90);
    const d = diffImages(side(a.bytes, api3, "a.rom", a.manifest), side(b.bytes, api3, "b.rom", b.manifest));
    expect(d.text).toMatch(/^ {2}GetDR: bytes differ$/m);
    expect(d.text).toMatch(/^ {2}routine helper: 0x[0-9a-f]{4}\+3 → 0x[0-9a-f]{4}\+3$/m);
  });

  it("compares two different ROMs (api3 and api13): layout, size, header fields, slots", () => {
    const d = diffImages(side(native3.bytes, api3, "native-api3.rom", native3.manifest), side(native13.bytes, api13, "native-api13.rom", native13.manifest));
    expect(d.equal).toBe(false);
    expect(d.text).toContain("layout: api3 → api13");
    expect(d.text).toContain(`size: ${native3.bytes.length} → ${native13.bytes.length} bytes`);
    expect(d.text).toContain("api_version_maj: 0x03 → 0x0d");
    expect(d.text).toContain("Pause: only in b");
    expect(d.text).toMatch(/CPUID: slot 0 at 0x00a0 → 5 at 0x00a0\n/);
    expect(d.text).toContain("jump point init: only in a");
  });
});
