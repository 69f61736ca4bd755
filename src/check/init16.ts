// The 16-bit init entry at offset 3. SeaBIOS far-calls it in real mode, so every path from it
// must end in a far return; the entry field itself is only 4 bytes, so it must finish (or jump
// away) inside them. Decoded as 16-bit code with iced-x86; exploration is bounded.

import type { Layout } from "../layout/types.ts";
import { inImage } from "./image-bytes.ts";
import { headerField, regionContains, type NamedRegion } from "./image-regions.ts";
import { hex, hexBytes, report, type ViolationSink } from "./violation.ts";
import { X86Decoder } from "../decode/x86-decoder.ts";

const REGION = "init16";
/** Real init code is a handful of instructions; anything longer is not what the builder emits. */
const MAX_INSTRUCTIONS = 256;
const PADDING_BYTES = [0x00, 0x90];

export interface Init16Result {
  /** Byte ranges of the 16-bit code reached from the entry. */
  code: Array<{ offset: number; size: number }>;
}

type Mode = "far" | "near";

export function checkInit16(bytes: Uint8Array, layout: Layout, forbidden: NamedRegion[], out: ViolationSink): Init16Result {
  const result: Init16Result = { code: [] };
  const field = headerField(layout, "romEntry");
  if (!field || !inImage(bytes, field.offset, field.size)) return result;
  const decoder = new X86Decoder(bytes, 16);
  try {
    const fieldEnd = field.offset + field.size;
    const worklist: Array<{ offset: number; mode: Mode }> = [];
    // The entry field: straight-line code that must end in retf or a jump before the field ends.
    let p = field.offset;
    let ended = false;
    while (p < fieldEnd && !ended) {
      const ins = decoder.at(p);
      if (ins.status !== "ok") {
        report(
          out,
          "init16.decode",
          REGION,
          p,
          "a valid 16-bit instruction",
          hexBytes(bytes, p, fieldEnd - p),
          "the init entry does not decode as 16-bit code",
        );
        return result;
      }
      if (p + ins.length > fieldEnd) {
        report(
          out,
          "init16.entry-size",
          REGION,
          p,
          `instructions ending by ${hex(fieldEnd)}`,
          `${ins.mnemonic} of ${ins.length} bytes`,
          `an instruction of the init entry crosses the end of the ${field.size}-byte entry field`,
        );
        return result;
      }
      result.code.push({ offset: p, size: ins.length });
      followSuccessors(ins, "far", worklist, out, p);
      ended = ins.terminator;
      p += ins.length;
    }
    if (!ended) {
      report(
        out,
        "init16.entry-size",
        REGION,
        field.offset,
        `retf or jmp within ${field.size} bytes`,
        hexBytes(bytes, field.offset, field.size),
        "the init entry falls off the end of its field without a far return or jump",
      );
      return result;
    }
    checkPadding(bytes, p, fieldEnd, layout.filler, out);
    exploreTargets(bytes, decoder, worklist, field.offset, fieldEnd, forbidden, result, out);
  } finally {
    decoder.free();
  }
  return result;
}

function checkPadding(bytes: Uint8Array, start: number, end: number, filler: number, out: ViolationSink): void {
  if (start >= end) return;
  const pad = bytes[start]!;
  const uniform = bytes.subarray(start, end).every((b) => b === pad);
  if (!uniform || !(PADDING_BYTES.includes(pad) || pad === filler)) {
    report(
      out,
      "init16.padding",
      REGION,
      start,
      `all 00, all 90 or all ${hex(filler, 2)}`,
      hexBytes(bytes, start, end - start),
      "the entry field bytes after the init code's last instruction are not uniform padding",
    );
  }
}

function followSuccessors(
  ins: { offset: number; length: number; flow: string; mnemonic: string; target?: number },
  mode: Mode,
  worklist: Array<{ offset: number; mode: Mode }>,
  out: ViolationSink,
  at: number,
): void {
  const next = ins.offset + ins.length;
  switch (ins.flow) {
    case "return":
      if (mode === "far" && ins.mnemonic === "Retf" && ins.length > 1) {
        report(out, "init16.return", REGION, at, "retf", "retf imm16", "the init code returns with retf imm16, which pops stack bytes SeaBIOS never pushed");
        return;
      }
      if ((mode === "far") !== (ins.mnemonic === "Retf")) {
        report(
          out,
          "init16.return",
          REGION,
          at,
          mode === "far" ? "retf" : "ret",
          ins.mnemonic.toLowerCase(),
          mode === "far"
            ? "the init code returns with something other than a far return; SeaBIOS far-calls it"
            : "a routine the init code calls does not end in a near return",
        );
      }
      return;
    case "jump":
      if (ins.target === undefined) {
        report(
          out,
          "init16.flow",
          REGION,
          at,
          "a short or near jmp, or retf",
          ins.mnemonic.toLowerCase(),
          "the init code leaves through an indirect or far jump the checker cannot follow",
        );
      } else worklist.push({ offset: ins.target, mode });
      return;
    case "branch":
      if (ins.target !== undefined) worklist.push({ offset: ins.target, mode });
      worklist.push({ offset: next, mode });
      return;
    case "call":
      if (ins.target !== undefined) worklist.push({ offset: ins.target, mode: "near" });
      worklist.push({ offset: next, mode });
      return;
    case "trap":
      report(out, "init16.flow", REGION, at, "retf", ins.mnemonic.toLowerCase(), "the init code traps instead of returning");
      return;
    default:
      worklist.push({ offset: next, mode });
  }
}

function exploreTargets(
  bytes: Uint8Array,
  decoder: X86Decoder,
  worklist: Array<{ offset: number; mode: Mode }>,
  fieldStart: number,
  fieldEnd: number,
  forbidden: NamedRegion[],
  result: Init16Result,
  out: ViolationSink,
): void {
  const seen = new Set<string>();
  let budget = MAX_INSTRUCTIONS;
  for (let item = worklist.pop(); item !== undefined; item = worklist.pop()) {
    const { offset, mode } = item;
    if (offset >= fieldStart && offset < fieldEnd) continue; // the entry field was walked already
    const key = `${mode}:${offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (--budget < 0) {
      report(out, "init16.limit", REGION, offset, `at most ${MAX_INSTRUCTIONS} instructions`, "more", "the init code is too long to verify");
      return;
    }
    const ins = decoder.at(offset);
    if (ins.status === "truncated" || !inImage(bytes, offset, ins.length)) {
      report(out, "init16.bounds", REGION, offset, "code inside the image", hex(offset), "the init code runs or jumps outside the image");
      continue;
    }
    if (ins.status === "invalid") {
      report(
        out,
        "init16.decode",
        REGION,
        offset,
        "a valid 16-bit instruction",
        hexBytes(bytes, offset, ins.length),
        "the init code reaches bytes that do not decode as 16-bit code",
      );
      continue;
    }
    const hit = forbidden.find((r) => regionContains(r, offset) || regionContains(r, offset + ins.length - 1));
    if (hit) {
      report(out, "init16.data", REGION, offset, "code outside the image's data structures", hit.name, `the init code runs into the ${hit.name}`);
      continue;
    }
    result.code.push({ offset, size: ins.length });
    followSuccessors(ins, mode, worklist, out, offset);
  }
}
