// Branch relaxation: every label-relative jmp/jcc starts long and shrinks while it fits. Checked against
// GNU as at the exact rel8 boundaries, on chains of dependent branches, and across align/org.
import { describe, expect, it } from "vitest";
import { Assembler, eax, formatInstruction, type Expr, type Label } from "../../src/asm/index.ts";
import { gasAssemble, normalizeText, objdumpDecode, requireTools } from "../support/tools.ts";

type Item =
  | { k: "jmp" | "je" | "jne" | "call" | "loop" | "jecxz"; to: number }
  | { k: "fill"; n: number }
  | { k: "label"; id: number }
  | { k: "align"; n: number };

function build(items: Item[]): { ours: Uint8Array; gas: string; listed: { offset: number; length: number; text: string }[] } {
  const a = new Assembler({ captureSource: false });
  const labels = new Map<number, Label>();
  const lab = (id: number): Label => {
    const known = labels.get(id);
    if (known) return known;
    const l = a.newLabel(`L${id}`);
    labels.set(id, l);
    return l;
  };
  const gas: string[] = [];
  for (const it of items) {
    if (it.k === "fill") {
      a.fill(it.n, 0x90);
      gas.push(`.fill ${it.n},1,0x90`);
    } else if (it.k === "label") {
      a.label(lab(it.id));
      gas.push(`L${it.id}:`);
    } else if (it.k === "align") {
      a.align(it.n, 0xcc);
      gas.push(`.balign ${it.n},0xcc`);
    } else {
      a[it.k](lab(it.to));
      gas.push(`${it.k} L${it.to}`);
    }
  }
  const r = a.assemble();
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  const value = (e: Expr) => (typeof e === "number" ? e : (r.labels.get(e as Label) ?? 0));
  const listed = r.placed
    .filter((p) => p.ins)
    .map((p) => ({ offset: p.offset, length: p.size, text: formatInstruction(p.ins!, r.bytes.subarray(p.offset, p.offset + p.size), value) }));
  return { ours: r.bytes, gas: gas.join("\n"), listed };
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe.runIf(requireTools("as", "objcopy", "objdump"))("branch relaxation equals GNU as", () => {
  it("forward distances 127 and 128, backward -128 and -129", () => {
    for (const n of [0, 1, 126, 127, 128, 129, 300]) {
      for (const k of ["jmp", "je"] as const) {
        const fwd = build([
          { k, to: 1 },
          { k: "fill", n },
          { k: "label", id: 1 },
        ]);
        expect(hex(fwd.ours), `${k} forward over ${n}`).toBe(hex(gasAssemble(fwd.gas)));
        const back = build([
          { k: "label", id: 1 },
          { k: "fill", n },
          { k, to: 1 },
        ]);
        expect(hex(back.ours), `${k} backward over ${n}`).toBe(hex(gasAssemble(back.gas)));
      }
    }
    // Exactly at the edges: forward rel8 = +127 is short, +128 long; backward -128 short, -129 long.
    expect(
      build([
        { k: "jmp", to: 1 },
        { k: "fill", n: 127 },
        { k: "label", id: 1 },
      ]).ours[0],
    ).toBe(0xeb);
    expect(
      build([
        { k: "jmp", to: 1 },
        { k: "fill", n: 128 },
        { k: "label", id: 1 },
      ]).ours[0],
    ).toBe(0xe9);
    expect(
      build([
        { k: "label", id: 1 },
        { k: "fill", n: 126 },
        { k: "jmp", to: 1 },
      ]).ours[126],
    ).toBe(0xeb);
    expect(
      build([
        { k: "label", id: 1 },
        { k: "fill", n: 127 },
        { k: "jmp", to: 1 },
      ]).ours[127],
    ).toBe(0xe9);
  });

  it("chains of dependent branches, including ones that fit only together", () => {
    // A forward jump over a backward jump whose span includes the first: each fits only if the other is short.
    for (let gap = 118; gap <= 130; gap++) {
      const items: Item[] = [
        { k: "label", id: 0 },
        { k: "fill", n: gap },
        { k: "jmp", to: 1 },
        { k: "fill", n: 2 },
        { k: "jne", to: 0 },
        { k: "fill", n: gap - 2 },
        { k: "label", id: 1 },
      ];
      const b = build(items);
      expect(hex(b.ours), `gap ${gap}`).toBe(hex(gasAssemble(b.gas)));
    }
    // A ladder: each jump's reach depends on the ones after it shrinking.
    const ladder: Item[] = [];
    for (let i = 0; i < 40; i++) ladder.push({ k: "je", to: 100 + i }, { k: "fill", n: 3 });
    ladder.push({ k: "fill", n: 40 });
    for (let i = 0; i < 40; i++) ladder.push({ k: "label", id: 100 + i }, { k: "fill", n: 1 });
    const b = build(ladder);
    expect(hex(b.ours)).toBe(hex(gasAssemble(b.gas)));
  });

  it("random programs of jumps, calls, fills and alignment", () => {
    let seed = 12345;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let round = 0; round < 40; round++) {
      const items: Item[] = [];
      const nl = 6;
      for (let i = 0; i < 60; i++) {
        const r = rnd(10);
        if (r < 4) items.push({ k: (["jmp", "je", "jne", "call"] as const)[rnd(4)]!, to: rnd(nl) });
        else if (r < 8) items.push({ k: "fill", n: rnd(70) });
        else if (r < 9) items.push({ k: "align", n: 1 << rnd(5) });
        else items.push({ k: "fill", n: 1 });
      }
      for (let l = 0; l < nl; l++) items.splice(rnd(items.length + 1), 0, { k: "label", id: l });
      const b = build(items);
      expect(hex(b.ours), `round ${round}`).toBe(hex(gasAssemble(b.gas)));
      // Decode-back: objdump finds each branch at our offset, with our length and our text (target address).
      const at = new Map(objdumpDecode(b.ours).map((d) => [d.offset, d]));
      for (const l of b.listed) {
        const d = at.get(l.offset);
        expect({ length: d?.length, text: d && normalizeText(d.text) }, `round ${round} at 0x${l.offset.toString(16)}`).toEqual({
          length: l.length,
          text: normalizeText(l.text),
        });
      }
    }
  });
});

describe("branch sizes", () => {
  it("a forced long jump stays e9 rel32 even when the target is near", () => {
    const a = new Assembler();
    const l = a.newLabel("t");
    a.jmp(l, "long");
    a.ud2();
    a.label(l);
    a.ret();
    const r = a.assemble();
    expect(r.ok && hex(r.bytes)).toBe("e9020000000f0bc3");
  });

  it("an explicit short branch that cannot reach is an error naming both ends and the distance", () => {
    const a = new Assembler();
    const far = a.newLabel("far_away");
    a.label("start");
    a.jmp(far, "short");
    a.fill(200, 0x90);
    a.label(far);
    a.ret();
    const r = a.assemble();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe("ASM_SHORT_BRANCH_RANGE");
    expect(r.errors[0]!.message).toMatch(/jmp at 0x0 to far_away at 0xca: distance 200 does not fit rel8/);
    expect(r.errors[0]!.location.source).toMatch(/branches\.test\.ts:\d+/);
  });

  it("loop and jecxz have only rel8 forms: out of reach is an error", () => {
    const a = new Assembler();
    const top = a.label("top");
    a.fill(130, 0x90);
    a.loop(top);
    a.mov(eax, 1);
    const r = a.assemble();
    expect(!r.ok && r.errors.map((e) => e.code)).toEqual(["ASM_SHORT_BRANCH_RANGE"]);
  });

  it("org is checked against the final layout, not the all-long first round", () => {
    const a = new Assembler();
    const l = a.newLabel();
    a.jmp(l); // first round: e9 rel32 (5 bytes); final: eb 00
    a.label(l);
    a.org(3, 0x90);
    const r = a.assemble();
    expect(r.ok && hex(r.bytes)).toBe("eb0090");
  });

  it("16-bit code uses rel16 near branches", () => {
    const a = new Assembler({ bits: 16 });
    const l = a.newLabel("x");
    a.jmp(l);
    a.fill(200, 0x90);
    a.label(l);
    a.retf();
    const r = a.assemble();
    expect(r.ok && hex(r.bytes.subarray(0, 3))).toBe("e9c800");
  });
});
