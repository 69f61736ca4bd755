// Reading images back: `vmirom list` (iced-x86) must find the same instructions at the same addresses as
// the builder's own listing (vmirom's assembler), and `vmirom info` must decode the envelope; neither may
// throw on bytes that are not a good image.

import { describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { disassembleImage } from "../../src/inspect/disassemble.ts";
import { describeImage } from "../../src/inspect/info.ts";
import { build, layoutNamed, symbol } from "../image/helpers.ts";
import { flipBits } from "../support/bytes.ts";

const LINE = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} ?)+?)\s*\t([^\t#]*)/;

interface Row {
  addr: number;
  bytes: string;
  text: string;
}

function rows(text: string): Row[] {
  return text.split("\n").flatMap((l) => {
    const m = LINE.exec(l);
    return m ? [{ addr: parseInt(m[1]!, 16), bytes: m[2]!.trim(), text: m[3]!.trim().replace(/\s+/g, " ") }] : [];
  });
}

for (const name of ["api3", "api13"] as const) {
  describe(`reading the native ${name} image back`, () => {
    const layout = layoutNamed(name);
    const built = build(native, layout);
    const listed = disassembleImage(built.bytes, layout, `native-${name}.rom`);

    it("lists every slot and out-of-line body under the builder's symbol names", () => {
      for (const c of built.manifest.calls) {
        expect(listed).toContain(`${c.slot.offset.toString(16).padStart(8, "0")} <stub_${c.name}>:`);
        if (c.body) expect(listed).toContain(`${c.body.offset.toString(16).padStart(8, "0")} <body_${c.name}>:`);
      }
      expect(listed).toContain(`${symbol(built, "init16").toString(16).padStart(8, "0")} <init16>:`);
      expect(listed).toContain(`${symbol(built, "body_GetRelocationInfo").toString(16).padStart(8, "0")} <body_GetRelocationInfo>:`);
      if (name === "api13") expect(listed).toContain("000005e0 <stub_SwapPxE>:");
    });

    it("decodes the same instructions (address, bytes, text) as the builder's listing shows", () => {
      const fromBuilder = new Map(rows(built.listing).map((r) => [r.addr, r]));
      const decoded = rows(listed).filter((r) => !r.text.startsWith("("));
      expect(decoded.length).toBeGreaterThan(200);
      for (const r of decoded) {
        const b = fromBuilder.get(r.addr);
        expect({ addr: r.addr.toString(16), bytes: b?.bytes, text: b?.text }).toEqual({ addr: r.addr.toString(16), bytes: r.bytes, text: r.text });
      }
    });

    it("describes the envelope: fields, structures, strings and slot counts", () => {
      const info = describeImage(built.bytes, layout, `native-${name}.rom`);
      expect(info).toContain(`native-${name}.rom: ${built.bytes.length} bytes (${built.bytes.length / 512} blocks of 512), checksum ok`);
      for (const f of layout.header) expect(info).toMatch(new RegExp(`\\n  0x${f.offset.toString(16).padStart(4, "0")}  ${f.name} `));
      expect(info).toContain('"GPL v2"');
      expect(info).toContain('manufacturer "vmirom"');
      expect(info).toContain('product "VMI native ROM"');
      expect(info).toContain(`vendor 0x15ad, device 0x0801`);
      const absent = built.manifest.calls.filter((c) => c.placement === "absent").length;
      const outOfLine = built.manifest.calls.filter((c) => c.body).length;
      expect(info).toContain(`${layout.calls.length} calls: ${layout.calls.length - absent - outOfLine} inline, ${outOfLine} out of line, ${absent} absent`);
    });

    it("reports a broken checksum and survives truncated or garbage bytes", () => {
      const broken = built.bytes.slice();
      flipBits(broken, broken.length - 1, 0xff);
      expect(describeImage(broken, layout)).toMatch(/checksum BAD \(sum 0x[0-9a-f]{2}\)/);
      let seed = 7;
      const random = Uint8Array.from({ length: 3000 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      random.set([0x55, 0xaa], 0);
      for (const bytes of [built.bytes.subarray(0, 100), built.bytes.subarray(0, 0x90), random]) {
        expect(() => describeImage(bytes, layout)).not.toThrow();
        expect(() => disassembleImage(bytes, layout)).not.toThrow();
      }
    });
  });
}
