// The table of diagnostic codes (src/diagnostics.ts) against the code: every code in it is emitted somewhere
// in src/, roms/ or guest/ (tsc already checks that every emitted code is in it), and every code is provoked
// and named by a test (a code no test could provoke would be listed below, with the reason).

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DIAGNOSTICS, type DiagnosticCode } from "../src/diagnostics.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CODES = Object.keys(DIAGNOSTICS) as DiagnosticCode[];
const CODE_LITERAL = /"((?:ASM|LAYOUT|IMAGE|CLI|GUEST)_[A-Z0-9_]+)"/g;

/** Codes no test provokes, and why: none today (broken invariants of vmirom's own throw; they are no codes). */
const NOT_PROVOKED: Partial<Record<DiagnosticCode, string>> = {};

function sources(dir: string, keep: (file: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    const file = relative(ROOT, join(e.parentPath, e.name));
    if (e.isFile() && keep(file)) out.set(file, readFileSync(join(ROOT, file), "utf8"));
  }
  return out;
}

const isTs = (f: string) => f.endsWith(".ts") && f !== join("src", "diagnostics.ts");
const code = new Map([...sources("src", isTs), ...sources("roms", isTs), ...sources("guest", isTs)]);
// This file names the codes no test provokes: it does not count.
const tests = sources("test", (f) => isTs(f) && f !== join("test", "diagnostics.test.ts"));
const literals = (files: Map<string, string>) => new Set([...files.values()].flatMap((t) => [...t.matchAll(CODE_LITERAL)].map((m) => m[1]!)));

describe("the table of diagnostic codes", () => {
  it("every code in the table is emitted by src/, roms/ or guest/", () => {
    const used = literals(code);
    expect(CODES.filter((c) => !used.has(c))).toEqual([]);
  });

  it("every code-like string in src/, roms/ and guest/ is in the table", () => {
    expect([...literals(code)].filter((c) => !(c in DIAGNOSTICS))).toEqual([]);
  });

  it("every code has a meaning", () => {
    for (const c of CODES) expect(DIAGNOSTICS[c].length, c).toBeGreaterThan(10);
  });

  it("every code is provoked and named by a test, except the few listed with their reason", () => {
    // In a test a code may also stand in a regular expression or a template (`/CLI_WRITE_FAILED: .../`).
    const text = [...tests.values()].join("\n");
    const named = new Set(CODES.filter((c) => new RegExp(`\\b${c}\\b`).test(text)));
    expect(CODES.filter((c) => !named.has(c)).sort()).toEqual(Object.keys(NOT_PROVOKED).sort());
  });
});
