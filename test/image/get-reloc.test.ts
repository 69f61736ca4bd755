// GetRelocationInfo, the image machinery's own code: decoded with iced-x86 and run on a small interpreter
// with the ROM mapped where SeaBIOS and guests put it (0xC0000, 0xC2800, Linux's PAGE_OFFSET alias), for
// every call number and a few out-of-range ones. Expectations come from the layout and the slot
// placement in the manifest, not from the relocation table the routine reads.

import { describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { HIGH_ALIAS } from "../../src/layout/shared-area.ts";
import { RELOC_VALUES } from "../../src/layout/types.ts";
import { icedDecode } from "../support/iced.ts";
import { build, layoutNamed, symbol } from "./helpers.ts";
import { callRoutine, type Regs } from "./mini-cpu.ts";

const BASES = [0xc0000, 0xc2800, 0xcb000, 0xc00c2800];
const CALLEE_SAVED = { ebx: 0x11111111, ebp: 0x22222222, esi: 0x33333333, edi: 0x44444444 };

for (const name of ["api3", "api13"] as const) {
  describe(`GetRelocationInfo (native ${name})`, () => {
    const layout = layoutNamed(name);
    const built = build(native, layout);
    const body = symbol(built, "body_GetRelocationInfo");
    const entry = name === "api3" ? layout.jumpPoints.find((j) => j.role === "getRelocationInfo")!.offset : 85 * 32;

    it("decodes as position-independent code: call/pop finds the ROM, table reads are relative to it", () => {
      const alias = layout.highAlias === undefined ? [] : ["mov %cr0,%ecx", "test %ecx,%ecx", "jns N", "and $N,%eax", "or $N,%eax"];
      const raw = icedDecode(built.bytes.subarray(body, body + 96), 32, body)
        .slice(0, 14 + alias.length)
        .map((d) => d.text);
      const text = raw.map((t) => t.replace(/0x[0-9a-f]+/g, "N"));
      // With a high alias (api13) the answer is moved into it while paging is on (CR0.PG = sign bit).
      expect(text).toEqual([
        "cmp $N,%eax",
        "jae N",
        "call N",
        "pop %ecx",
        "sub $N,%ecx",
        "movzbl N(%ecx,%eax,4),%edx",
        "movzwl N(%ecx,%eax,4),%eax",
        "test %eax,%eax",
        "je N",
        "add %ecx,%eax",
        ...alias,
        "ret",
        "xor %eax,%eax",
        "xor %edx,%edx",
        "ret",
      ]);
      if (layout.highAlias !== undefined) expect(raw.slice(13, 15)).toEqual(["and $0x3fffff,%eax", "or $0xffc00000,%eax"]);
      // No absolute address of the ROM anywhere: the only constants are offsets inside the image.
      const table = built.manifest.relocTable.offset;
      expect(raw[5]).toBe(`movzbl 0x${(table + 10).toString(16)}(%ecx,%eax,4),%edx`);
      expect(raw[6]).toBe(`movzwl 0x${(table + 8).toString(16)}(%ecx,%eax,4),%eax`);
    });

    it(name === "api13" ? "has the high alias 0xFFC00000 (HIGH_ALIAS)" : "has no high alias: answers follow the running address", () => {
      expect(layout.highAlias).toBe(name === "api13" ? HIGH_ALIAS : undefined);
    });

    for (const [base, paging] of BASES.flatMap(
      (b) =>
        [
          [b, true],
          [b, false],
        ] as const,
    )) {
      it(`answers every call number with the slot's ${paging && layout.highAlias !== undefined ? "high-alias" : "linear"} address at base 0x${base.toString(16)}, paging ${paging ? "on" : "off"}`, () => {
        const byNumber = new Map(built.manifest.calls.map((c) => [c.number, c]));
        const numbers = [...Array(layout.slots.count + 3).keys(), 0xffffffff, 0x80000000, 1000];
        for (const n of numbers) {
          const regs: Regs = { eax: n >>> 0, ecx: 0x5555, edx: 0x6666, esp: 0x9000, ...CALLEE_SAVED };
          const { regs: out } = callRoutine(built.bytes, base, entry, regs, 1000, paging ? 0x80000011 : 0x11);
          const call = byNumber.get(n);
          const type = call && call.placement !== "absent" ? RELOC_VALUES[layout.calls.find((c) => c.number === n)!.relocs[0]!] : 0;
          const running = (base + layout.slots.base + n * layout.slots.size) >>> 0;
          const high = paging && layout.highAlias !== undefined ? (layout.highAlias + (running & 0x3fffff)) >>> 0 : running;
          const eip = type === 0 ? 0 : high;
          expect({ n, eax: out.eax, edx: out.edx & 0xff }).toEqual({ n, eax: eip, edx: type });
          expect(out.edx >>> 8, "EDX above the type byte").toBe(0);
          expect({ ...out, eax: 0, ecx: 0, edx: 0 }).toEqual({ ...regs, eax: 0, ecx: 0, edx: 0 });
        }
      });
    }
  });
}
