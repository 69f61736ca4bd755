// Shared by the image tests: the real layouts, building with a failing test on errors, and small
// programs written for one test.

import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { formatDiagnostic } from "../../src/diagnostics.ts";
import { buildImage, type BuiltImage } from "../../src/image/index.ts";
import type { Body, RomProgram } from "../../src/image/program.ts";
import type { Layout } from "../../src/layout/types.ts";
import { eax } from "../../src/asm/index.ts";

export function layoutNamed(name: "api3" | "api13"): Layout {
  const r = loadLayoutByName(name);
  if (!r.ok) throw new Error(`cannot load layout ${name}: ${r.errors.map(formatDiagnostic).join("; ")}`);
  return r.value;
}

export function build(program: RomProgram, layout: Layout): BuiltImage {
  const r = buildImage(program, layout);
  if (!r.ok) throw new Error(`build failed:\n${r.errors.map(formatDiagnostic).join("\n")}`);
  return r.value;
}

export const initReturnsZero: Body = (a) => {
  a.xor(eax, eax);
  a.ret();
};

/** A program with only the given calls (api3 answers NONE for the rest). */
export function program(calls: Record<string, Body>, extra: Partial<RomProgram> = {}): RomProgram {
  return { backend: "test", description: "test program", init: initReturnsZero, calls, ...extra };
}

/** A body of exactly `size` bytes: nops, then ret. */
export function bodyOfSize(size: number): Body {
  return (a) => {
    a.times(size - 1, () => a.nop());
    a.ret();
  };
}

export function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

export function i32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

export function sum8(b: Uint8Array, start = 0, end = b.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + b[i]!) & 0xff;
  return s;
}

export function symbol(built: BuiltImage, name: string): number {
  const s = built.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.offset;
}
