// The shapes the paravirtual backends give their images, built by the real image machinery and checked
// from the bytes alone: shared routines that call each other (VMIEnqueue → VMIFlush, SetLinearMapping,
// VMITranslate, the presence probe), bodies that keep a hot path in the slot and a cold part out of line
// that jumps back into it, and a xen-style hypercall page (32-byte entries `mov $i, %eax; int $0x82; ret`
// + filler, unused entries all filler) whose entries bodies call. None of it may trip a structural rule,
// and every byte must still be accounted for.

import { describe, expect, it } from "vitest";
import { dword, eax, edx, plus, type Assembler } from "../../src/asm/index.ts";
import { checkImage } from "../../src/check/index.ts";
import type { Body, RomProgram, SharedRoutine } from "../../src/image/program.ts";
import type { Layout } from "../../src/layout/types.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { ENQUEUE_ROUTINE, FLUSH_ROUTINE, paravirtRoutines, setLinearMapping, TRANSLATE_ROUTINE } from "../../roms/shared/paravirt.ts";
import { presenceRoutine, PRESENCE_ROUTINE } from "../../roms/shared/presence.ts";
import { build, layoutNamed } from "../image/helpers.ts";
import { formatClassResults, runClasses, structuralClasses } from "./mutation.ts";

const PAGE = "hypercall_page";
const ENTRIES = 8;
const USED = [1, 3, 4];

const hypercallPage: SharedRoutine = {
  name: PAGE,
  emit(a, ctx) {
    // Entry i at the routine's start + 32 i (mov 5 + int 2 + ret 1 = 8 bytes, then filler).
    for (let i = 0; i < ENTRIES; i++) {
      if (USED.includes(i)) {
        a.mov(eax, i);
        a.int(0x82);
        a.ret();
        a.fill(24, ctx.layout.filler);
      } else a.fill(32, ctx.layout.filler);
    }
  },
};

const flush: SharedRoutine = {
  name: FLUSH_ROUTINE,
  emit(a, ctx) {
    a.call(plus(ctx.shared[PAGE]!, 32 * 4)); // multicall
    a.mov(dword(sharedAddress(ctx.layout.virtualTop, "queueCount")), 0);
    a.ret();
  },
};

/** A hot path in the slot; the cold part calls a hypercall entry and jumps back to the slot's ret. */
const withCold =
  (entry: number): Body =>
  (a, ctx) => {
    const back = a.newLabel();
    const cold = ctx.cold((x: Assembler) => {
      x.call(plus(ctx.shared[PAGE]!, 32 * entry));
      x.jmp(back);
    });
    a.test(eax, eax);
    a.jnz(cold);
    a.label(back);
    a.ret();
  };

const calls: Record<string, Body> = {
  CPUID: withCold(1),
  RDTSC: withCold(3),
  SetPxE: (a, ctx) => {
    a.mov(eax, edx);
    a.call(ctx.shared[TRANSLATE_ROUTINE]!);
    a.push(0);
    a.push(0);
    a.call(ctx.shared[ENQUEUE_ROUTINE]!);
    a.add(eax, 0); // keep the body out of line with more than fits a slot
    a.times(20, () => a.nop());
    a.ret();
  },
  SetLinearMapping: setLinearMapping,
  FlushTLB: (a, ctx) => a.jmp(ctx.shared[FLUSH_ROUTINE]!),
  Halt: (a, ctx) => {
    a.call(ctx.shared[PRESENCE_ROUTINE]!);
    a.ret();
  },
};

/** The calls above; api13 needs every call, so `ret` for the rest there. */
function program(layout: Layout): RomProgram {
  const all: Record<string, Body> = {};
  for (const c of layout.calls) {
    const body = calls[c.name] ?? (c.relocs.includes("NONE") ? undefined : (a: Assembler) => a.ret());
    if (!c.role && body) all[c.name] = body;
  }
  return {
    backend: "shapes",
    description: "the paravirtual backends' shapes",
    init: (a) => {
      a.xor(eax, eax);
      a.ret();
    },
    calls: all,
    shared: [...paravirtRoutines, flush, presenceRoutine("xen"), hypercallPage],
  };
}

describe.each(["api3", "api13"] as const)("the paravirtual shapes, %s", (api) => {
  const layout = layoutNamed(api);
  const built = build(program(layout), layout);

  it("use cold parts, shared routines and the hypercall page", () => {
    const m = built.manifest;
    expect(
      m.calls
        .filter((c) => c.cold?.length)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["CPUID", "RDTSC"]);
    expect(m.shared.map((s) => s.name)).toEqual(expect.arrayContaining([PAGE, FLUSH_ROUTINE, ENQUEUE_ROUTINE, TRANSLATE_ROUTINE]));
    const page = m.shared.find((s) => s.name === PAGE)!;
    expect(built.bytes[page.offset + 32 * 2]).toBe(layout.filler); // an unused entry
  });

  it("pass every rule without the manifest and with it", () => {
    expect(checkImage(built.bytes, layout)).toEqual([]);
    expect(checkImage(built.bytes, layout, { manifest: built.manifest })).toEqual([]);
  });

  it("a hypercall entry no code calls is reported as unclaimed", () => {
    const page = built.manifest.shared.find((s) => s.name === PAGE)!;
    const bytes = built.bytes.slice();
    const at = page.offset + 32 * 2;
    bytes.set([0xb8, 2, 0, 0, 0, 0xcd, 0x82, 0xc3], at);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1]! - (0xb8 + 2 + 0xcd + 0x82 + 0xc3 - 8 * layout.filler)) & 0xff;
    expect(checkImage(bytes, layout).map((v) => `${v.rule}@${v.offset}`)).toEqual([`coverage.unclaimed@${at}`]);
  });
});

describe("the paravirtual shapes under mutation (api3)", () => {
  const layout = layoutNamed("api3");
  const built = build(program(layout), layout);

  // The stubs only: header, structures and absent slots are the same as in every ROM (mutation-roms.test.ts).
  it("without the manifest: 100 % of the stubs' structural bytes caught under the right region", () => {
    const stubs = structuralClasses(built.bytes, layout, built.manifest).filter((c) => /^(out-of-line slots|inline slot filler|jump point )/.test(c.name));
    const { baseline, results } = runClasses(built.bytes, layout, stubs);
    console.log(formatClassResults("structural mutations of the paravirtual shapes (api3, no manifest):", results));
    expect(baseline).toEqual([]);
    for (const r of results) expect({ class: r.name, misses: r.misses.slice(0, 10) }).toEqual({ class: r.name, misses: [] });
  });
});
