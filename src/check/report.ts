// Turning violations into text for people (one line each) or JSON for tools, and the one-line
// summary the CLI prints per image.

import type { Layout } from "../layout/types.ts";
import { readStubs, type StubKind } from "./stubs.ts";
import { hex, type Violation } from "./violation.ts";
import { X86Decoder } from "../decode/x86-decoder.ts";

export function formatViolation(v: Violation): string {
  return `${v.rule} [${v.region} @ ${hex(v.offset, 4)}] ${v.message}: expected ${v.expected}, found ${v.found}`;
}

export function formatViolations(violations: Violation[], json: boolean): string {
  if (json) return JSON.stringify(violations, null, 2);
  return violations.map(formatViolation).join("\n");
}

/** Counts of call slots by kind, from the image itself. */
export function countSlots(bytes: Uint8Array, layout: Layout): Record<StubKind, number> {
  const counts: Record<StubKind, number> = { inline: 0, outOfLine: 0, absent: 0, broken: 0 };
  const decoder = new X86Decoder(bytes, 32);
  try {
    for (const s of readStubs(bytes, layout, decoder, [])) if (s.area === "slot") counts[s.kind]++;
  } finally {
    decoder.free();
  }
  return counts;
}

/** "ok: native-api3.rom 8192 bytes, 74 slots (60 inline, 14 out of line), 0 violations". */
export function summarize(bytes: Uint8Array, layout: Layout, violations: Violation[], name = "image"): string {
  const c = countSlots(bytes, layout);
  const total = c.inline + c.outOfLine + c.absent + c.broken;
  const kinds = [`${c.inline} inline`, `${c.outOfLine} out of line`];
  if (c.absent) kinds.push(`${c.absent} absent`);
  if (c.broken) kinds.push(`${c.broken} malformed`);
  const head = `${name} ${bytes.length} bytes, ${total} slots (${kinds.join(", ")})`;
  if (violations.length === 0) return `ok: ${head}, 0 violations`;
  const rules = [...new Set(violations.map((v) => v.rule))];
  const shown = rules.slice(0, 5).join(", ") + (rules.length > 5 ? ", …" : "");
  return `FAIL: ${head}, ${violations.length} violation${violations.length === 1 ? "" : "s"} (${shown})`;
}
