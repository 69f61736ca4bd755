// Classifies every jump point and call slot as inline code, an out-of-line `jmp rel32; ud2`, or an
// absent `ud2`, each followed only by filler; reports what breaks that shape. Out-of-line targets
// and code reached from inline stubs are verified later with the bodies.

import type { Layout } from "../layout/types.ts";
import { areaExits, slotShape, type AreaExit } from "../decode/slot-form.ts";
import { inImage } from "./image-bytes.ts";
import { hex, hexBytes, report, type ViolationSink } from "./violation.ts";
import type { DecodedInstruction, X86Decoder } from "../decode/x86-decoder.ts";

export type StubKind = "inline" | "outOfLine" | "absent" | "broken";

export interface Stub {
  /** "slot 47 SwapPxE" or "jump point init". */
  region: string;
  /** Rule-id prefix: "slot" or "jump-point". */
  area: "slot" | "jump-point";
  /** Call name, or the jump point's role. */
  name: string;
  number?: number;
  role?: "init" | "getRelocationInfo";
  offset: number;
  size: number;
  kind: StubKind;
  /** Bytes before the filler. */
  used: number;
  /** Where an out-of-line stub jumps to. */
  target?: number;
  /** Instructions of an inline stub. */
  code: DecodedInstruction[];
  /** Branches and calls of an inline stub that leave it (tail jumps to shared code). */
  exits: AreaExit[];
}

export function readStubs(bytes: Uint8Array, layout: Layout, decoder: X86Decoder, out: ViolationSink): Stub[] {
  const stubs: Stub[] = [];
  for (const jp of layout.jumpPoints) {
    stubs.push(
      readStub(bytes, layout.filler, decoder, out, {
        region: `jump point ${jp.role}`,
        area: "jump-point",
        name: jp.role,
        role: jp.role,
        offset: jp.offset,
        size: jp.size,
      }),
    );
  }
  const calls = [...layout.calls].sort((a, b) => a.number - b.number);
  for (const call of calls) {
    if (call.number < 0 || call.number >= layout.slots.count) continue;
    const offset = layout.slots.base + call.number * layout.slots.size;
    stubs.push(
      readStub(bytes, layout.filler, decoder, out, {
        region: `slot ${call.number} ${call.name}`,
        area: "slot",
        name: call.name,
        number: call.number,
        role: call.role,
        offset,
        size: layout.slots.size,
      }),
    );
  }
  for (const s of stubs) {
    if (s.role && s.kind === "absent") {
      report(
        out,
        `${s.area}.absent-required`,
        s.region,
        s.offset,
        "an implementation",
        "ud2 (absent)",
        `${s.name} (${s.role}) must be implemented: guests call it before anything else`,
      );
    }
  }
  return stubs;
}

type StubPlace = Pick<Stub, "region" | "area" | "name" | "number" | "role" | "offset" | "size">;

function readStub(bytes: Uint8Array, filler: number, decoder: X86Decoder, out: ViolationSink, place: StubPlace): Stub {
  // Built field by field: an object spread here dominated the checker's run time.
  const stub: Stub = {
    region: place.region,
    area: place.area,
    name: place.name,
    number: place.number,
    role: place.role,
    offset: place.offset,
    size: place.size,
    kind: "broken",
    used: 0,
    target: undefined,
    code: [],
    exits: [],
  };
  const { offset, size, area, region } = place;
  if (!inImage(bytes, offset, size)) {
    report(
      out,
      `${area}.bounds`,
      region,
      offset,
      `${size} bytes inside the image`,
      `image of ${bytes.length} bytes`,
      `${region} lies beyond the end of the image`,
    );
    return stub;
  }
  const end = offset + size;
  const shape = slotShape(bytes, offset, size);
  if (shape.kind === "code") {
    readInline(bytes, filler, decoder, out, stub, end);
    return stub;
  }
  stub.kind = shape.kind;
  stub.used = shape.used;
  if (shape.kind === "outOfLine") stub.target = shape.target;
  const bad = firstNonFiller(bytes, offset + stub.used, end, filler);
  if (bad !== undefined) {
    report(
      out,
      `${area}.filler`,
      region,
      bad,
      `filler ${hex(filler, 2)} up to ${hex(end)}`,
      hexBytes(bytes, bad, end - bad),
      `${stub.kind === "absent" ? "an absent stub (ud2)" : "an out-of-line stub (jmp rel32; ud2)"} must be followed by filler only`,
    );
  }
  return stub;
}

function firstNonFiller(bytes: Uint8Array, start: number, end: number, filler: number): number | undefined {
  for (let i = start; i < end; i++) if (bytes[i] !== filler) return i;
  return undefined;
}

/**
 * Inline code: whole instructions, the last one before the filler a terminator. Code may continue
 * after an inner terminator (a jump over a return), so the code ends where a terminator is
 * followed by nothing but filler.
 */
function readInline(bytes: Uint8Array, filler: number, decoder: X86Decoder, out: ViolationSink, stub: Stub, end: number): void {
  const { offset, area, region } = stub;
  let p = offset;
  let lastTerminator = false;
  let fillerReported = false;
  while (p < end) {
    // Only filler left: the code ends here (without a terminator: reported below as no-terminator).
    if (firstNonFiller(bytes, p, end, filler) === undefined) break;
    const ins = decoder.at(p);
    if (ins.status !== "ok") {
      if (ins.status === "truncated" || p + ins.length > end) {
        report(
          out,
          `${area}.crosses-end`,
          region,
          p,
          `an instruction ending by ${hex(end)}`,
          hexBytes(bytes, p, end - p),
          `an instruction runs past the end of ${region}`,
        );
      } else {
        report(
          out,
          `${area}.decode`,
          region,
          p,
          "a valid 32-bit instruction",
          hexBytes(bytes, p, ins.length),
          `${region} holds bytes that do not decode as 32-bit code`,
        );
      }
      return;
    }
    if (p + ins.length > end) {
      report(
        out,
        `${area}.crosses-end`,
        region,
        p,
        `an instruction ending by ${hex(end)}`,
        `${ins.mnemonic.toLowerCase()} of ${ins.length} bytes`,
        `an instruction crosses the end of ${region} into the next one`,
      );
      return;
    }
    stub.code.push(ins);
    p += ins.length;
    if (ins.length === 1 && bytes[p - 1] === filler) {
      // Filler after a terminator is a gap before code a branch reaches; before one, code runs into it.
      if (!lastTerminator && !fillerReported) {
        report(
          out,
          `${area}.filler-code`,
          region,
          p - 1,
          "a terminator before the filler",
          hexBytes(bytes, offset, p - offset),
          `the code of ${region} runs into filler ${hex(filler, 2)} before it ends`,
        );
        fillerReported = true;
      }
      continue;
    }
    if (ins.flow === "trap" && stub.code.at(-2)?.mnemonic !== "Int") {
      report(
        out,
        `${area}.ud2`,
        region,
        p - ins.length,
        "ud2 only at the start of an absent stub or right after an out-of-line jmp rel32",
        hexBytes(bytes, offset, p - offset),
        `${region} holds inline code with a ${ins.mnemonic.toLowerCase()} (a damaged out-of-line or absent stub?)`,
      );
    }
    lastTerminator = ins.terminator;
  }
  if (!lastTerminator) {
    report(
      out,
      `${area}.no-terminator`,
      region,
      Math.max(offset, p - (stub.code.at(-1)?.length ?? 0)),
      "ret, iret, sysexit, jmp or ud2 before the filler",
      stub.code.at(-1)?.mnemonic.toLowerCase() ?? "nothing",
      `the code of ${region} falls through its end instead of ending in a terminator (or is followed by non-filler bytes)`,
    );
    return;
  }
  stub.kind = "inline";
  stub.used = p - offset;
  const starts = new Set(stub.code.map((i) => i.offset));
  for (const ins of stub.code) {
    if (ins.target === undefined || ins.target < offset || ins.target >= end || starts.has(ins.target)) continue;
    report(
      out,
      `${area}.branch-target`,
      region,
      ins.offset,
      "an instruction start inside the stub's code",
      hex(ins.target),
      `a ${ins.mnemonic.toLowerCase()} lands ${ins.target < p ? "inside an instruction" : "in the filler"} of ${region}`,
    );
  }
  stub.exits = areaExits(stub.code, offset, end);
}
