// Slot placement on small programs: a 32-byte body stays in its slot, a 33-byte one goes out of line
// behind exactly `e9 rel32 0f 0b` + filler with the jmp landing on the body, left-out calls get `ud2` +
// filler and relocation NONE, shared routines are placed once and reached by the bodies that call them.

import { describe, expect, it } from "vitest";
import { eax, edx } from "../../src/asm/index.ts";
import { checkImage, sha256Hex } from "../../src/check/index.ts";
import { RELOC_VALUES } from "../../src/layout/types.ts";
import { icedDecode } from "../support/iced.ts";
import { bodyOfSize, build, i32, layoutNamed, program, symbol, u16 } from "./helpers.ts";

const layout = layoutNamed("api3");
const slotOf = (n: number): number => layout.slots.base + n * 32;
const callNumber = (name: string): number => layout.calls.find((c) => c.name === name)!.number;

describe("slot placement (api3, a test program)", () => {
  const helper = (a: Parameters<ReturnType<typeof bodyOfSize>>[0]): void => {
    a.mov(eax, edx);
    a.ret();
  };
  const built = build(
    program(
      {
        CPUID: bodyOfSize(32),
        WRMSR: bodyOfSize(33),
        // Calls a shared routine; another body tail-jumps to it.
        RDMSR: (a, ctx) => {
          a.call(ctx.shared.helper!);
          a.ret();
        },
        SetGDT: (a, ctx) => a.jmp(ctx.shared.helper!),
      },
      { shared: [{ name: "helper", emit: helper }] },
    ),
    layout,
  );
  const b = built.bytes;
  const relocAt = u16(b, 0x14);
  const reloc = (n: number): number[] => [...b.subarray(relocAt + 8 + 4 * n, relocAt + 12 + 4 * n)];

  it("keeps a 32-byte body in its slot, filling it exactly", () => {
    const at = slotOf(callNumber("CPUID"));
    expect([...b.subarray(at, at + 32)]).toEqual([...new Array<number>(31).fill(0x90), 0xc3]);
    const call = built.manifest.calls.find((c) => c.name === "CPUID")!;
    expect(call).toMatchObject({ placement: "inline", slot: { offset: at, size: 32, used: 32 } });
    expect(call.body).toBeUndefined();
  });

  it("moves a 33-byte body out of line: the slot is exactly e9 rel32 0f 0b + filler and the jmp lands on the body", () => {
    const at = slotOf(callNumber("WRMSR"));
    expect(b[at]).toBe(0xe9);
    expect([b[at + 5], b[at + 6]]).toEqual([0x0f, 0x0b]);
    expect(b.subarray(at + 7, at + 32).every((x) => x === layout.filler)).toBe(true);
    const target = at + 5 + i32(b, at + 1);
    expect(target).toBe(symbol(built, "body_WRMSR"));
    expect([...b.subarray(target, target + 33)]).toEqual([...new Array<number>(32).fill(0x90), 0xc3]);
    expect(target).toBeGreaterThanOrEqual(layout.slots.base + layout.slots.count * 32); // after the table
    const call = built.manifest.calls.find((c) => c.name === "WRMSR")!;
    expect(call).toMatchObject({ placement: "outOfLine", slot: { offset: at, used: 7 }, body: { offset: target, size: 33 } });
    // iced-x86 sees the same: a near jmp to the body, then ud2.
    const decoded = icedDecode(b.subarray(at, at + 7), 32, at);
    expect(decoded.map((d) => d.text)).toEqual([`jmp 0x${target.toString(16)}`, "ud2"]);
  });

  it("answers the slot's own address and CALL_REL for implemented calls, all-zero (NONE) for left-out ones", () => {
    for (const name of ["CPUID", "WRMSR", "RDMSR", "SetGDT"]) {
      const n = callNumber(name);
      const s = slotOf(n);
      expect(reloc(n), name).toEqual([s & 0xff, s >> 8, RELOC_VALUES.CALL_REL, 0]);
    }
    const absent = slotOf(callNumber("SetIDT"));
    expect(reloc(callNumber("SetIDT"))).toEqual([0, 0, 0, 0]);
    expect([b[absent], b[absent + 1]]).toEqual([0x0f, 0x0b]);
    expect(b.subarray(absent + 2, absent + 32).every((x) => x === layout.filler)).toBe(true);
    expect(built.manifest.calls.find((c) => c.name === "SetIDT")).toMatchObject({ placement: "absent", reloc: "NONE", slot: { used: 2 } });
  });

  it("places a shared routine once, after the bodies, and both the call and the tail jump reach it", () => {
    const helperAt = symbol(built, "helper");
    expect(built.manifest.shared).toEqual([{ name: "helper", offset: helperAt, size: 3, sha256: sha256Hex(b.subarray(helperAt, helperAt + 3)) }]);
    expect(helperAt).toBeGreaterThan(symbol(built, "body_WRMSR"));
    expect(helperAt).toBeLessThan(symbol(built, "body_GetRelocationInfo"));
    const rdmsr = icedDecode(b.subarray(slotOf(2), slotOf(2) + 6), 32, slotOf(2));
    expect(rdmsr.map((d) => d.text)).toEqual([`call 0x${helperAt.toString(16)}`, "ret"]);
    const setGdt = slotOf(callNumber("SetGDT"));
    // Measured alone the jmp to an unknown label is long; in place it may shrink, and the slot is filler after it.
    const jmp = icedDecode(b.subarray(setGdt, setGdt + 5), 32, setGdt)[0]!;
    expect(jmp.text).toBe(`jmp 0x${helperAt.toString(16)}`);
    expect(b.subarray(setGdt + jmp.length, setGdt + 32).every((x) => x === layout.filler)).toBe(true);
  });

  it("lists and maps what it placed: stub_/body_ headers in the listing, slot lines in the map", () => {
    const at = slotOf(callNumber("WRMSR"));
    expect(built.listing).toContain(`${at.toString(16).padStart(8, "0")} <stub_WRMSR>:`);
    expect(built.listing).toContain(`${symbol(built, "body_WRMSR").toString(16).padStart(8, "0")} <body_WRMSR>:`);
    expect(built.map).toMatch(
      new RegExp(`\\n\\s+1\\s+WRMSR\\s+0x${at.toString(16).padStart(4, "0")}\\s+7/32\\s+out of line\\s+0x[0-9a-f]{4}\\+33\\s+CALL_REL\\n`),
    );
    expect(built.map).toMatch(/\n\s+0\s+CPUID\s+0x00a0\s+32\/32\s+inline\s+-\s+CALL_REL\n/);
    expect(built.map).toMatch(/\n\s+5\s+SetIDT\s+0x0140\s+2\/32\s+absent\s+-\s+NONE\n/);
  });

  it("passes the checker with its manifest", () => {
    expect(checkImage(b, layout, { manifest: built.manifest })).toEqual([]);
  });
});

describe("jump points (api3)", () => {
  it("keeps an Init of up to 8 bytes in the jump point and moves a longer one out of line", () => {
    const short = build(program({}, { init: bodyOfSize(8) }), layout);
    expect([...short.bytes.subarray(0x80, 0x88)]).toEqual([...new Array<number>(7).fill(0x90), 0xc3]);
    const long = build(program({}, { init: bodyOfSize(9) }), layout);
    const b = long.bytes;
    expect([b[0x80], b[0x85], b[0x86], b[0x87]]).toEqual([0xe9, 0x0f, 0x0b, layout.filler]);
    const target = 0x85 + i32(b, 0x81);
    expect(target).toBe(symbol(long, "body_Init"));
    expect(long.manifest.jumpPoints.find((j) => j.role === "init")).toMatchObject({ offset: 0x80, size: 8, target });
    // Init's body comes after the shared routines and before GetRelocationInfo's.
    expect(target).toBeLessThan(symbol(long, "body_GetRelocationInfo"));
    expect(checkImage(b, layout, { manifest: long.manifest })).toEqual([]);
  });
});

describe("cold parts (a hot path in the slot, the rest out of line)", () => {
  // A 24-byte hot path plus a 40-byte cold part: 64 bytes in all, which could never sit in the slot.
  const built = build(
    program({
      CPUID: (a, ctx) => {
        const cold = ctx.cold((x) => {
          for (let i = 0; i < 39; i++) x.nop();
          x.ret();
        });
        a.test(eax, eax);
        a.jnz(cold);
        for (let i = 0; i < 15; i++) a.nop();
        a.ret();
      },
    }),
    layout,
  );
  const b = built.bytes;
  const at = slotOf(callNumber("CPUID"));
  const call = built.manifest.calls.find((c) => c.name === "CPUID")!;

  it("keeps the hot path inline and measures it without the cold part", () => {
    expect(call.placement).toBe("inline");
    expect(call.slot.used).toBe(2 + 6 + 15 + 1); // the jnz to a label outside the slot stays rel32
  });

  it("places the cold part after the bodies under cold_<Call>, and the slot's branch lands on it", () => {
    const coldAt = symbol(built, "cold_CPUID");
    expect(call.cold).toEqual([{ offset: coldAt, size: 40 }]);
    expect(coldAt).toBeGreaterThan(symbol(built, "body_GetRelocationInfo"));
    const decoded = icedDecode(b.subarray(at, at + 8), 32, at);
    expect(decoded[1]!.text).toBe(`jne 0x${coldAt.toString(16)}`);
    expect(b[coldAt + 39]).toBe(0xc3);
    expect(built.listing).toContain(`${coldAt.toString(16).padStart(8, "0")} <cold_CPUID>:`);
    expect(built.map).toContain(`cold 0x${coldAt.toString(16).padStart(4, "0")}+40`);
  });

  it("passes the checker, whose manifest hash covers the cold part", () => {
    expect(checkImage(b, layout, { manifest: built.manifest })).toEqual([]);
    const changed = b.slice();
    changed[symbol(built, "cold_CPUID") + 5] = 0xf4; // nop → hlt inside the cold part
    const rules = checkImage(changed, layout, { manifest: built.manifest }).map((v) => v.rule);
    expect(rules).toContain("manifest.call-sha256");
  });
});

describe("an out-of-line body with a cold part", () => {
  // 40 bytes of body (too long for the slot) that branch to an 8-byte cold part: the checker follows the body
  // into the cold part, which the manifest lists for the call, and accepts it (it once reported manifest.body).
  const built = build(
    program({
      CPUID: (a, ctx) => {
        const cold = ctx.cold((x) => {
          for (let i = 0; i < 7; i++) x.nop();
          x.ret();
        });
        a.test(eax, eax);
        a.jnz(cold);
        for (let i = 0; i < 31; i++) a.nop();
        a.ret();
      },
    }),
    layout,
  );
  const call = built.manifest.calls.find((c) => c.name === "CPUID")!;
  it("goes out of line, keeps its cold part, and passes the checker", () => {
    expect(call.placement).toBe("outOfLine");
    expect(call.cold).toEqual([{ offset: symbol(built, "cold_CPUID"), size: 8 }]);
    expect(checkImage(built.bytes, layout, { manifest: built.manifest })).toEqual([]);
  });
});
