// The native api13 Init with paging off: it maps nothing and answers 0 (GetRelocationInfo then answers physical
// addresses). Run on the small interpreter with CR0.PG clear: any access to a control register other than CR0,
// or to memory outside the stack, would throw or show up as a write.

import { describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { PRESENCE_ROUTINE, presenceRoutine } from "../../roms/shared/presence.ts";
import { build, layoutNamed, symbol } from "./helpers.ts";
import { callRoutine, type Regs } from "./mini-cpu.ts";

describe("native api13 Init with paging off", () => {
  const layout = layoutNamed("api13");
  const built = build(native, layout);
  const init = built.manifest.calls.find((c) => c.name === "Init")!;

  for (const base of [0xc0000, 0xcb000]) {
    it(`answers 0 and maps nothing (ROM at 0x${base.toString(16)})`, () => {
      const regs: Regs = { eax: 0x5555, ecx: 0x6666, edx: 0x7777, ebx: 0x11111111, ebp: 0x22222222, esi: 0x33333333, edi: 0x44444444, esp: 0x9000 };
      const { regs: out, steps } = callRoutine(built.bytes, base, init.slot.offset, regs, 100, 0x00000011);
      expect(out.eax).toBe(0);
      expect({ ebx: out.ebx, esi: out.esi, edi: out.edi, ebp: out.ebp, esp: out.esp }).toEqual({
        ebx: regs.ebx,
        esi: regs.esi,
        edi: regs.edi,
        ebp: regs.ebp,
        esp: regs.esp,
      });
      expect(steps).toBeLessThan(16);
    });
  }

  it("with paging on it goes on to the page directory (the interpreter has no CR4: it stops there)", () => {
    const regs: Regs = { eax: 0, ecx: 0, edx: 0, ebx: 0, ebp: 0, esi: 0, edi: 0, esp: 0x9000 };
    expect(() => callRoutine(built.bytes, 0xc0000, init.slot.offset, regs, 100, 0x80000011)).toThrow(/unsupported register operand/);
  });
});

// The presence probe (roms/shared/presence.ts) refuses before reading any memory when there is nothing it can
// walk safely: paging off, or PAE paging (CR3 then names a PDPT of 8-byte entries). The interpreter throws on
// any memory read outside the ROM and the stack, so these runs also show that nothing was read.
describe("the presence probe refuses without reading memory", () => {
  for (const api of ["api3", "api13"] as const) {
    const layout = layoutNamed(api);
    const built = build({ ...native, backend: "probe", shared: [presenceRoutine("vmware")] }, layout);
    const entry = symbol(built, PRESENCE_ROUTINE);
    for (const [what, cr0, cr4] of [
      ["paging off", 0x11, 0],
      ["PAE paging", 0x80000011, 0x30],
    ] as const) {
      it(`${api}: ${what} → EAX = -1`, () => {
        const regs: Regs = { eax: 0, ecx: 0, edx: 0, ebx: 1, ebp: 2, esi: 3, edi: 4, esp: 0x9000 };
        const { regs: out } = callRoutine(built.bytes, 0xc0000, entry, regs, 100, cr0, cr4);
        expect(out.eax).toBe(0xffffffff);
        expect({ ebx: out.ebx, esp: out.esp }).toEqual({ ebx: 1, esp: 0x9000 });
      });
    }
  }
});
