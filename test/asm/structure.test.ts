// The assembler's module structure: the DSL records into a program holder (program.ts) that layout reads, so no
// module of src/ imports one that imports it back (assembler.ts and layout.ts once did).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/** Every relative import and re-export (type-only ones too) of every .ts file under dir. */
function importGraph(dir: string): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  walk(dir);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gs)].map((m) => resolve(dirname(f), m[1]!));
    graph.set(
      f,
      deps.filter((d) => files.includes(d)),
    );
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(SRC, p)).join(" -> "));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe("module structure", () => {
  it("src/ has no import cycle", () => {
    const graph = importGraph(SRC);
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });

  it("the assembler and layout share only the program holder", () => {
    const graph = importGraph(join(SRC, "asm"));
    const deps = (f: string): string[] => (graph.get(join(SRC, "asm", f)) ?? []).map((p) => relative(join(SRC, "asm"), p));
    expect(deps("layout.ts")).not.toContain("assembler.ts");
    expect(deps("layout.ts")).toContain("program.ts");
    expect(deps("program.ts")).not.toContain("assembler.ts");
  });
});
