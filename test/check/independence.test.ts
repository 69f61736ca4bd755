// The checker is a second opinion: it decodes with iced-x86 (src/decode) and must never reach the assembler,
// its opcode table or the builder, whose bugs it exists to catch. The readers (src/inspect) share the
// decoder and must not reach the encoder either. Followed here through every import, type-only ones too.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+\.ts)["']/g;

/** Every repository file reached from `entry` through relative imports. */
function reached(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [resolve(ROOT, entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) stack.push(join(dirname(file), m[1]!));
  }
  return new Set([...seen].map((f) => relative(ROOT, f)));
}

describe("independence of the checker", () => {
  it("src/check imports neither the assembler (src/asm) nor the builder (src/image)", () => {
    const files = [...reached("src/check/index.ts")];
    expect(files.filter((f) => f.startsWith("src/asm/") || f.startsWith("src/image/"))).toEqual([]);
    expect(files).toContain("src/decode/x86-decoder.ts");
  });

  it("the decoder and the rule for which call code belongs to (src/decode) import nothing outside src/decode", () => {
    const files = readdirSync(join(ROOT, "src/decode"))
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [...reached(`src/decode/${f}`)]);
    expect(files.filter((f) => !f.startsWith("src/decode/"))).toEqual([]);
    expect([...reached("src/check/index.ts")]).toContain("src/decode/code-owners.ts");
    expect([...reached("src/inspect/model.ts")]).toContain("src/decode/code-owners.ts");
  });

  it("the readers (src/inspect) share the checker's decoder and format constants, not the assembler's or the builder's", () => {
    const files = ["model", "info", "diff", "svg", "disassemble"].flatMap((m) => [...reached(`src/inspect/${m}.ts`)]);
    expect(files.filter((f) => f.startsWith("src/asm/") || f.startsWith("src/image/"))).toEqual([]);
  });
});
