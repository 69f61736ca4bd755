// Decode-back: what the DSL emits is decoded by objdump and by iced-x86; each instruction's length and
// text must agree with the DSL's own listing text.
import { describe, expect, it } from "vitest";
import { emitAll, tableCorpus } from "./corpus.ts";
import { icedDecode, icedSpelling } from "../support/iced.ts";
import { normalizeText, objdumpDecode, requireTools, type Decoded } from "../support/tools.ts";

function compare(
  name: string,
  ours: { offset: number; bytes: Uint8Array; text: string; call: string }[],
  theirs: Decoded[],
  fold: (t: string) => string,
): string[] {
  const at = new Map(theirs.map((d) => [d.offset, d]));
  const bad: string[] = [];
  for (const e of ours) {
    const d = at.get(e.offset);
    if (!d || d.length !== e.bytes.length || fold(d.text) !== fold(e.text)) {
      bad.push(`${name}: ${e.call}: ours '${e.text}' (${e.bytes.length}), ${name} '${d?.text}' (${d?.length})`);
    }
  }
  return bad;
}

describe("decode-back", () => {
  const emitted = emitAll(tableCorpus(32), 32);
  const bytes = Buffer.concat(emitted.map((e) => Buffer.from(e.bytes)));

  it("iced-x86 agrees on every instruction's length and text", () => {
    const bad = compare("iced", emitted, icedDecode(bytes), icedSpelling);
    expect(bad.slice(0, 40)).toEqual([]);
  });

  it.runIf(requireTools("objdump"))("objdump agrees on every instruction's length and text", () => {
    const bad = compare("objdump", emitted, objdumpDecode(bytes), normalizeText);
    expect(bad.slice(0, 40)).toEqual([]);
  });
});
