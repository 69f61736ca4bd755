// Golden cross-check: every row of the opcode table, with representative operands, assembled by the DSL
// and by GNU as in the same test; the bytes must be identical.
import { describe, expect, it } from "vitest";
import { ROWS } from "../../src/asm/rows.ts";
import { emitAll, tableCorpus, type Emitted } from "./corpus.ts";
import { gasAssemble, requireTools } from "../support/tools.ts";

function firstMismatch(ours: Emitted[], gas: Uint8Array, bits: 16 | 32): string | undefined {
  for (const e of ours) {
    const g = gas.subarray(e.offset, e.offset + e.bytes.length);
    if (Buffer.compare(Buffer.from(e.bytes), Buffer.from(g)) !== 0) {
      const alone = Buffer.from(gasAssemble(e.text, bits)).toString("hex");
      return `${e.call} -> '${e.text}': ours ${Buffer.from(e.bytes).toString("hex")}, as ${alone}`;
    }
  }
  return undefined;
}

describe.runIf(requireTools("as", "objcopy"))("encodings equal GNU as", () => {
  for (const bits of [32, 16] as const) {
    it(`every table row, ${bits}-bit code`, () => {
      const emitted = emitAll(tableCorpus(bits), bits);
      const ours = Buffer.concat(emitted.map((e) => Buffer.from(e.bytes)));
      const gas = gasAssemble(emitted.map((e) => e.text).join("\n"), bits);
      expect(firstMismatch(emitted, gas, bits)).toBeUndefined();
      expect(gas.length).toBe(ours.length);
      expect(emitted.length).toBeGreaterThan(bits === 32 ? 20000 : 15000);
      if (bits === 32) {
        // Every non-branch row must have been chosen by the encoder at least once (branches: branches.test.ts).
        const used = new Set(emitted.map((e) => e.row.index));
        const unused = ROWS.filter((r) => !r.relative && !used.has(r.index)).map((r) => `${r.mnemonic} ${r.spec[1]}`);
        expect(unused).toEqual([]);
      }
    });
  }
});
