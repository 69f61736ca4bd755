// The image envelope against the layouts: every header field at its offset with its value, the 16-bit init
// entry (decoded by objdump), PCIR, $PnP, license, length, padding and checksum; and reproducibility.

import { describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { checkImage } from "../../src/check/index.ts";
import { stableJson } from "../../src/image/index.ts";
import { objdumpDecode, requireTools } from "../support/tools.ts";
import { build, i32, layoutNamed, sum8, u16 } from "./helpers.ts";

const readLE = (b: Uint8Array, at: number, size: number): number => {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
};
const cstr = (b: Uint8Array, at: number): string => String.fromCharCode(...b.subarray(at, b.indexOf(0, at)));

for (const name of ["api3", "api13"] as const) {
  describe(`native ${name} image envelope`, () => {
    const layout = layoutNamed(name);
    const built = build(native, layout);
    const b = built.bytes;

    it("has the option-ROM size rules: a multiple of 512, byte 2 = blocks, whole-image sum 0, within the layout's limit", () => {
      expect(b.length % 512).toBe(0);
      expect(b.length).toBeLessThanOrEqual(layout.maxImageSize);
      expect([b[0], b[1]]).toEqual([0x55, 0xaa]);
      expect(b[2]).toBe(b.length / 512);
      expect(sum8(b)).toBe(0);
    });

    it("keeps the checksum byte out of every structure: the last byte follows all content", () => {
      const m = built.manifest;
      const ends = [
        m.relocTable,
        m.license,
        ...m.strings,
        m.init16,
        m.pci,
        m.pnp,
        ...m.shared,
        ...m.calls.flatMap((c) => [c.slot, ...(c.body ? [c.body] : [])]),
      ].map((r) => r.offset + r.size);
      expect(Math.max(...ends)).toBeLessThan(b.length - 1);
      // Padding between the content and the checksum byte is zero.
      expect(b.subarray(Math.max(...ends), b.length - 1).every((x) => x === 0)).toBe(true);
    });

    it("holds every header field the layout declares, at its offset", () => {
      for (const f of layout.header) {
        const v = readLE(b, f.offset, f.size);
        const src = f.source;
        if (src.kind === "const") expect(v, f.name).toBe(src.value >>> 0);
        else if (src.kind === "ascii") expect(String.fromCharCode(...b.subarray(f.offset, f.offset + f.size)), f.name).toBe(src.value);
        else if (src.kind === "reserved") expect(v, f.name).toBe(0);
        else {
          switch (src.what) {
            case "romLength":
              expect(v).toBe(b.length / 512);
              break;
            case "pciOffset":
              expect(v).toBe(layout.pci.offset);
              break;
            case "pnpOffset":
              expect(v).toBe(layout.pnp.offset);
              break;
            case "jumpSlots":
              expect(v).toBe(layout.slots.count);
              break;
            case "licenseOffset":
              expect(cstr(b, v)).toBe(layout.license);
              break;
            case "relocTableOffset":
              expect(String.fromCharCode(...b.subarray(v, v + 4))).toBe(layout.relocTable.magic);
              expect(u16(b, v + 4)).toBe(layout.slots.count);
              expect(u16(b, v + 6)).toBe(4);
              break;
            case "romEntry":
              break; // decoded below
          }
        }
      }
      expect(String.fromCharCode(...b.subarray(8, 12))).toBe("cVmi");
      expect([b[0x0c], b[0x0d]]).toEqual([layout.version.minor, layout.version.major]);
    });

    it("enters at offset 3 with a 16-bit jmp to a routine that clears AX and far-returns (objdump -m i8086)", () => {
      if (!requireTools("objdump")) return;
      const entry = objdumpDecode(b.subarray(3, 7), 16, 3);
      expect(entry[0]!.text).toMatch(/^jmp\s+0x[0-9a-f]+$/);
      const target = parseInt(entry[0]!.text.split(/\s+/)[1]!, 16);
      expect(target).toBe(built.manifest.init16.offset);
      expect(b.subarray(3 + entry[0]!.length, 7).every((x) => x === layout.filler)).toBe(true);
      const routine = objdumpDecode(b.subarray(target, target + built.manifest.init16.size), 16, target).map((d) => d.text.replace(/\s+/g, " "));
      expect(routine).toEqual(["xor %ax,%ax", "lret"]);
    });

    it("has the PCIR structure with the layout's values and the image length", () => {
      const p = layout.pci.offset;
      expect(String.fromCharCode(...b.subarray(p, p + 4))).toBe("PCIR");
      expect([u16(b, p + 4), u16(b, p + 6), u16(b, p + 8), u16(b, p + 0x0a)]).toEqual([layout.pci.vendor, layout.pci.device, 0, 0x18]);
      expect(b[p + 0x0c]).toBe(layout.pci.revision);
      expect([...b.subarray(p + 0x0d, p + 0x10)]).toEqual(layout.pci.classCode);
      expect(u16(b, p + 0x10)).toBe(b.length / 512);
      expect(u16(b, p + 0x12)).toBe(layout.pci.codeRevision);
      expect([b[p + 0x14], b[p + 0x15], u16(b, p + 0x16)]).toEqual([0, 0x80, 0]);
    });

    it("has a $PnP header that sums to 0 and points to the manufacturer and product strings", () => {
      const p = layout.pnp.offset;
      expect(String.fromCharCode(...b.subarray(p, p + 4))).toBe("$PnP");
      expect([b[p + 4], b[p + 5], u16(b, p + 6), b[p + 8]]).toEqual([1, 2, 0, 0]);
      expect(sum8(b, p, p + 0x20)).toBe(0);
      expect(i32(b, p + 0x0a) >>> 0).toBe(layout.pnp.deviceId >>> 0);
      expect(cstr(b, u16(b, p + 0x0e))).toBe(layout.pnp.manufacturer);
      expect(cstr(b, u16(b, p + 0x10))).toBe("VMI native ROM");
      expect([...b.subarray(p + 0x12, p + 0x15)]).toEqual(layout.pnp.deviceType);
      expect(b[p + 0x15]).toBe(layout.pnp.indicators);
      expect(b.subarray(p + 0x16, p + 0x20).every((x) => x === 0)).toBe(true);
    });

    it("passes the independent checker, manifest included", () => {
      expect(checkImage(b, layout, { manifest: built.manifest })).toEqual([]);
    });

    it("is reproducible: a second build gives the same bytes, manifest, listing and map", () => {
      const again = build(native, layout);
      expect(Buffer.from(again.bytes).equals(Buffer.from(b))).toBe(true);
      expect(stableJson(again.manifest)).toBe(stableJson(built.manifest));
      expect(again.listing).toBe(built.listing);
      expect(again.map).toBe(built.map);
    });
  });
}
