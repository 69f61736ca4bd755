// Property test: random valid instructions (any non-branch row of the table, random registers, addressing
// forms, displacements and immediates) assembled by the DSL and by GNU as must give identical bytes, and
// objdump and iced-x86 must decode them to our listing's lengths and text.
// 100,000 instructions per run; VMIROM_PROPERTY_INSTRUCTIONS=1000000 for a long run.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnyOperand } from "../../src/asm/operands.ts";
import { ROWS, type Row } from "../../src/asm/rows.ts";
import { CREGS, DREGS, GPR16, GPR32, GPR8, SREGS, far, mem, type MemSize } from "../../src/asm/index.ts";
import { emitAll } from "./corpus.ts";
import { gasAssemble, normalizeText, objdumpDecode, requireTools } from "../support/tools.ts";
import { icedDecode, icedSpelling } from "../support/iced.ts";

const TOTAL = Number(process.env.VMIROM_PROPERTY_INSTRUCTIONS ?? 100_000);
const BATCH = 2_000;

function operandArb(tok: string, row: Row): fc.Arbitrary<AnyOperand> {
  const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
  const disp = fc.oneof(fc.constant(0), fc.integer({ min: -130, max: 130 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
  const memOf = (size: MemSize) =>
    fc
      .record({
        base: fc.option(pick(GPR32), { nil: undefined }),
        index: fc.option(pick(GPR32.filter((r) => r.name !== "esp")), { nil: undefined }),
        scale: pick([1, 2, 4, 8] as const),
        disp,
        seg: fc.option(pick(SREGS), { freq: 4, nil: undefined }),
      })
      .map((s) => ({ ...mem({ ...s, disp: s.base || s.index ? s.disp : s.disp >>> 0 }), size }) as AnyOperand);
  const regs = (size: 8 | 16 | 32): readonly AnyOperand[] => (size === 8 ? GPR8 : size === 16 ? GPR16 : GPR32);
  const memOrReg = (size: 8 | 16 | 32) => fc.oneof(pick(regs(size)), memOf(size));
  switch (tok) {
    case "r8":
      return pick(GPR8);
    case "r16":
      return pick(GPR16);
    case "r32":
      return pick(GPR32);
    case "rm8":
      return memOrReg(8);
    case "rm16":
      return memOrReg(16);
    case "rm32":
      return memOrReg(32);
    case "m":
      return memOf(0);
    case "m8":
      return memOf(8);
    case "m16":
      return memOf(16);
    case "m32":
      return memOf(32);
    case "m64":
      return memOf(64);
    case "mfar":
      return memOf(48);
    case "moffs8":
    case "moffs16":
    case "moffs32": {
      const size = tok === "moffs8" ? 8 : tok === "moffs16" ? 16 : 32;
      return fc
        .record({ d: fc.integer({ min: 0, max: 2 ** 32 - 1 }), seg: fc.option(pick(SREGS), { nil: undefined }) })
        .map(({ d, seg }) => ({ ...mem({ disp: d, ...(seg ? { seg } : {}) }), size }) as AnyOperand);
    }
    case "imm8":
      return row.sx ? fc.integer({ min: -128, max: 127 }) : fc.integer({ min: -128, max: 255 });
    case "imm16":
      return fc.integer({ min: -32768, max: 65535 });
    case "imm32":
      return fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 });
    case "one":
      return fc.constant(1);
    case "three":
      return fc.constant(3);
    case "AL":
      return fc.constant(GPR8[0]!);
    case "AX":
      return fc.constant(GPR16[0]!);
    case "EAX":
      return fc.constant(GPR32[0]!);
    case "CL":
      return fc.constant(GPR8[1]!);
    case "DX":
      return fc.constant(GPR16[2]!);
    case "sreg":
      return pick(row.toks[0] === "sreg" ? SREGS.filter((s) => s.name !== "cs") : SREGS);
    case "creg":
      return pick(CREGS);
    case "dreg":
      return pick(DREGS);
    case "ptr":
      return fc.record({ s: fc.integer({ min: 0, max: 0xffff }), o: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }).map(({ s, o }) => far(s, o));
    default:
      return pick(SREGS.filter((s) => s.name === tok.toLowerCase()));
  }
}

const rows = ROWS.filter((r) => !r.relative);
const instruction = fc
  .constantFrom(...rows)
  .chain((row) => fc.tuple(...row.toks.map((t) => operandArb(t, row))).map((ops) => ({ mnemonic: row.mnemonic, ops: ops as AnyOperand[] })));

describe.runIf(requireTools("as", "objcopy", "objdump"))("random instructions equal GNU as and decode back", () => {
  it(`${TOTAL} instructions`, () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(instruction, { minLength: BATCH, maxLength: BATCH }), (batch) => {
        const emitted = emitAll(batch, 32);
        const gas = gasAssemble(emitted.map((e) => e.text).join("\n"));
        for (const e of emitted) {
          const ours = Buffer.from(e.bytes).toString("hex");
          const g = Buffer.from(gas.subarray(e.offset, e.offset + e.bytes.length)).toString("hex");
          if (ours !== g) throw new Error(`${e.call} '${e.text}': ours ${ours}, as ${Buffer.from(gasAssemble(e.text)).toString("hex")}`);
        }
        expect(gas.length).toBe(emitted.reduce((n, e) => n + e.bytes.length, 0));
        // Decode-back: objdump and iced-x86 see the same instructions, lengths and text as our listing.
        const decoded = { objdump: objdumpDecode(gas), iced: icedDecode(gas) };
        for (const [name, list] of Object.entries(decoded)) {
          const fold = name === "iced" ? icedSpelling : normalizeText;
          const at = new Map(list.map((d) => [d.offset, d]));
          for (const e of emitted) {
            const d = at.get(e.offset);
            if (!d || d.length !== e.bytes.length || fold(d.text) !== fold(e.text)) {
              throw new Error(`${name} decodes ${e.call} as '${d?.text}' (${d?.length} bytes), our listing says '${e.text}' (${e.bytes.length})`);
            }
          }
        }
        checked += batch.length;
      }),
      // A failing batch is shrunk by fast-check; the assertion message names the first differing instruction.
      {
        numRuns: Math.ceil(TOTAL / BATCH),
        endOnFailure: true,
        includeErrorInReport: true,
        reporter: (d) => {
          if (d.failed) throw new Error(`seed ${d.seed}: ${String(d.errorInstance).split("\n").slice(0, 12).join("\n")}`);
        },
      },
    );
    expect(checked).toBeGreaterThanOrEqual(TOTAL);
  });
});
