// Where src/ may reach into guest/ (docs/architecture.md): the test guest lives outside src/, and the CLI loads it
// as a separate file (the bundle's dist/vmirom-guest.mjs, or dist/lib's guest for run --backend), never through
// an import. The one exception is the library entry "vmirom/guest" (src/lib/guest.ts), which re-exports the
// guest's public test vocabulary (guest/api.ts) and its effect tests for backends outside the tree; that
// vocabulary names nothing of the guest's internals, so they stay free to change.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
// Static imports and re-exports (type-only ones too) and dynamic import() of relative .ts files.
const IMPORT = /(?:(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\s+from\s+)?|import\s*\(\s*)["'](\.{1,2}\/[^"']+\.ts)["']/g;

/** The repository files `file` imports (relative to the root). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(IMPORT)].map((m) => relative(ROOT, join(dirname(join(ROOT, file)), m[1]!)));
}

/** Every repository file reached from `entry` through relative imports. */
function reached(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...importsOf(file));
  }
  return seen;
}

const SRC = readdirSync(join(ROOT, "src"), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith(".ts"))
  .map((e) => relative(ROOT, join(e.parentPath, e.name)));

describe("src/ and guest/", () => {
  it("src/ imports guest/ in src/lib/guest.ts alone (the vmirom/guest entry)", () => {
    expect(SRC.length).toBeGreaterThan(50);
    expect(SRC.filter((f) => importsOf(f).some((i) => i.startsWith("guest/")))).toEqual(["src/lib/guest.ts"]);
  });

  it("nothing else in src/ imports that entry, so the CLI reaches no guest/ file", () => {
    expect(SRC.filter((f) => importsOf(f).includes("src/lib/guest.ts"))).toEqual([]);
    const cli = [...reached("src/cli/main.ts")];
    expect(cli).toContain("src/cli/commands/run.ts"); // dynamic imports are followed too
    expect(cli.filter((f) => f.startsWith("guest/"))).toEqual([]);
  });

  it("the public vocabulary (guest/api.ts) imports nothing of the guest; the entry reaches the guest through it and the effect tests", () => {
    expect([...reached("guest/api.ts")].filter((f) => f.startsWith("guest/") && f !== "guest/api.ts")).toEqual([]);
    expect(new Set(importsOf("src/lib/guest.ts").filter((f) => f.startsWith("guest/")))).toEqual(new Set(["guest/api.ts", "guest/expect/effects/index.ts"]));
  });
});
