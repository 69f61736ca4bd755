// Out-of-line bodies and the shared routines they call, explored by recursive descent over the
// iced-x86 decoding: every path must end in a terminator without leaving the image or running into
// data, every relative branch and call must land on an instruction boundary, and different bodies
// (and shared routines) must not share bytes. Work is bounded: each image byte is decoded at most
// once and the number of entries and extent steps is capped.

import { hex, report, type ViolationSink } from "./violation.ts";
import { regionContains, regionsOverlap, type ImageRegions, type NamedRegion } from "./image-regions.ts";
import type { Stub } from "./stubs.ts";
import type { DecodedInstruction, X86Decoder } from "../decode/x86-decoder.ts";

const MAX_ENTRIES = 4096;
const MAX_EXTENT_STEPS = 1 << 21;

export interface CodeEntry {
  offset: number;
  /** body: an out-of-line stub's target; cold: where an inline stub jumps out to; shared: called (or tail-jumped to by several). */
  kind: "body" | "shared" | "cold";
  /** "body SwapPxE", "cold SwapPxE" or "shared 0x0c40". */
  region: string;
  /** The stub a body or cold part belongs to. */
  stub?: Stub;
  /** Instructions reached from the entry without entering another entry (its extent). */
  instructions: Array<{ offset: number; length: number }>;
}

export interface BodyAnalysis {
  entries: CodeEntry[];
  /** Entry of an out-of-line stub's body, when its target was valid. */
  bodyOf: Map<Stub, CodeEntry>;
  /** 1 for every byte of explored 32-bit code. */
  codeMask: Uint8Array;
  /** Every explored 32-bit instruction, by offset. */
  decoded: Map<number, DecodedInstruction>;
}

type TargetClass = { kind: "code" } | { kind: "stub" } | { kind: "outside" } | { kind: "data"; region: NamedRegion };

export function checkBodies(
  bytes: Uint8Array,
  regions: ImageRegions,
  stubs: Stub[],
  decoder: X86Decoder,
  out: ViolationSink,
  knownShared: readonly number[] = [],
  filler?: number,
): BodyAnalysis {
  const size = bytes.length;
  const stubStarts = new Set(stubs.filter((s) => s.kind !== "broken").map((s) => s.offset));
  // Instruction starts of inline stub code: a cold part may jump back into its own slot's hot path.
  const inlineAt = new Map<number, Stub>();
  for (const s of stubs) if (s.kind === "inline") for (const i of s.code) inlineAt.set(i.offset, s);
  const classify = (t: number): TargetClass => {
    if (!Number.isInteger(t) || t < 0 || t >= size) return { kind: "outside" };
    if (stubStarts.has(t)) return { kind: "stub" };
    const region = regions.data.find((r) => regionContains(r, t));
    return region ? { kind: "data", region } : { kind: "code" };
  };

  const entries: CodeEntry[] = [];
  const entryAt = new Map<number, CodeEntry>();
  const bodyOf = new Map<Stub, CodeEntry>();
  const bodyOwner = new Map<number, Stub>();
  let entryLimitReported = false;
  const addEntry = (offset: number, kind: CodeEntry["kind"], region: string, stub?: Stub): CodeEntry | undefined => {
    const existing = entryAt.get(offset);
    if (existing) return existing;
    if (entries.length >= MAX_ENTRIES) {
      if (!entryLimitReported) {
        report(
          out,
          "check.limit",
          region,
          offset,
          `at most ${MAX_ENTRIES} code entries`,
          "more",
          "the image has too many code entries to verify; the rest were not explored",
        );
        entryLimitReported = true;
      }
      return undefined;
    }
    const entry: CodeEntry = { offset, kind, region, stub, instructions: [] };
    entries.push(entry);
    entryAt.set(offset, entry);
    return entry;
  };

  // Bodies: targets of out-of-line stubs.
  for (const stub of stubs) {
    if (stub.kind !== "outOfLine" || stub.target === undefined) continue;
    const t = stub.target;
    const cls = classify(t);
    if (cls.kind !== "code") {
      const where = cls.kind === "outside" ? "outside the image" : cls.kind === "stub" ? "at a stub" : `into the ${cls.region.name}`;
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "a body offset outside the header, slots, tables and strings",
        hex(t),
        `the out-of-line jump of ${stub.region} goes ${where}`,
      );
      continue;
    }
    if (filler !== undefined && bytes[t] === filler) {
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "the first instruction of a body",
        `filler at ${hex(t)}`,
        `the out-of-line jump of ${stub.region} lands in filler, not at the start of a body`,
      );
      continue;
    }
    const first = bodyOwner.get(t);
    if (first) {
      report(
        out,
        "body.shared-entry",
        `body ${first.name}`,
        t,
        `a body used only by ${first.region}`,
        `also jumped to by ${stub.region}`,
        "two stubs jump to the same body; each call needs its own body",
      );
      continue;
    }
    const entry = addEntry(t, "body", `body ${stub.name}`, stub);
    if (entry?.kind === "body") {
      bodyOwner.set(t, stub);
      bodyOf.set(stub, entry);
    }
  }
  // Shared routines the manifest names (they may be reached by tail jumps only).
  for (const start of knownShared) {
    if (classify(start).kind === "code") addEntry(start, "shared", `shared ${hex(start, 4)}`);
  }
  // Shared routines an inline stub calls, and the cold parts it jumps out to.
  for (const stub of stubs) {
    for (const exit of stub.exits) {
      const cls = classify(exit.target);
      if (cls.kind === "code") {
        if (exit.flow === "call") addEntry(exit.target, "shared", `shared ${hex(exit.target, 4)}`);
        else addEntry(exit.target, "cold", `cold ${stub.name}`, stub);
      } else if (cls.kind !== "stub") reportBadTarget(out, stub.region, exit.from, exit.target, cls);
    }
  }

  // Phase 1: decode everything reachable; call targets become shared entries.
  const visitedBy = new Int32Array(size).fill(-1);
  const decoded = new Map<number, DecodedInstruction>();
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]!;
    const stack = [entry.offset];
    while (stack.length > 0) {
      const off = stack.pop()!;
      if (off < 0 || off >= size || visitedBy[off] !== -1) continue;
      visitedBy[off] = e;
      const ins = decoder.at(off);
      if (ins.status === "truncated") {
        report(
          out,
          "body.bounds",
          entry.region,
          off,
          "code inside the image",
          "an instruction past the image end",
          `code reached from ${entry.region} runs past the end of the image`,
        );
        continue;
      }
      if (ins.status === "invalid") {
        report(
          out,
          "body.decode",
          entry.region,
          off,
          "a valid 32-bit instruction",
          `bytes at ${hex(off)}`,
          `code reached from ${entry.region} does not decode as 32-bit code`,
        );
        continue;
      }
      const data = regions.data.find((r) => regionsOverlap(r, { offset: off, size: ins.length }));
      if (data) {
        report(
          out,
          "body.data",
          entry.region,
          off,
          "code outside the image's data structures",
          data.name,
          `code reached from ${entry.region} runs into the ${data.name} (a path without a terminator)`,
        );
        continue;
      }
      decoded.set(off, ins);
      const next = off + ins.length;
      if (ins.flow === "trap" && !afterInterrupt(bytes, decoder, off)) {
        report(
          out,
          "code.ud2",
          entry.region,
          off,
          "ud2 only at the start of an absent stub or after an out-of-line jmp",
          ins.mnemonic.toLowerCase(),
          `${entry.region} traps: ud2 belongs in stubs, never in a body`,
        );
      }
      if (filler !== undefined && ins.length === 1 && bytes[off] === filler) {
        report(
          out,
          "code.filler",
          entry.region,
          off,
          "an instruction",
          `filler ${hex(filler, 2)}`,
          `code reached from ${entry.region} runs into filler (a path without a terminator, or a branch into padding)`,
        );
        continue;
      }
      if (ins.target !== undefined) {
        const cls = classify(ins.target);
        const own = inlineAt.get(ins.target);
        if (cls.kind === "code") {
          if (ins.flow === "call") addEntry(ins.target, "shared", `shared ${hex(ins.target, 4)}`);
          else stack.push(ins.target);
        } else if (own && ins.flow !== "call" && entry.stub === own) {
          // A cold part going back into its own slot's hot path: that code was checked with the slot.
        } else if (own && ins.flow !== "call") {
          report(
            out,
            "code.branch-target",
            entry.region,
            off,
            `code of its own (or ${entry.stub ? entry.stub.region : "a stub's start"})`,
            hex(ins.target),
            `${entry.region} jumps into the inline code of ${own.region}, which is not its own slot`,
          );
        } else if (cls.kind !== "stub") reportBadTarget(out, entry.region, off, ins.target, cls);
      }
      if (!ins.terminator) {
        if (next >= size) {
          report(
            out,
            "body.bounds",
            entry.region,
            off,
            "a terminator before the image end",
            ins.mnemonic.toLowerCase(),
            `code reached from ${entry.region} falls off the end of the image`,
          );
        } else stack.push(next);
      }
    }
  }

  // Instruction boundaries: no explored instruction may start inside another.
  const starts = new Uint8Array(size);
  for (const off of decoded.keys()) starts[off] = 1;
  const codeMask = new Uint8Array(size);
  for (const [off, ins] of decoded) {
    for (let k = off; k < off + ins.length && k < size; k++) {
      codeMask[k] = 1;
      if (k > off && starts[k]) {
        const owner = entries[visitedBy[off]!]!;
        report(
          out,
          "code.mid-instruction",
          owner.region,
          k,
          `an instruction boundary (${ins.mnemonic.toLowerCase()} at ${hex(off)} covers it)`,
          hex(k),
          "a branch or call lands in the middle of another instruction",
        );
        starts[k] = 0; // once per offset
      }
    }
  }

  computeExtents(entries, entryAt, addEntry, decoded, size, out);
  checkBodyStarts(stubs, bodyOf, entries, decoded, visitedBy, out);
  return { entries, bodyOf, codeMask, decoded };
}

/**
 * A body begins where its stub's jump lands: the target must be an instruction start, not the
 * middle of another region's instruction, and no other region's code may run into it without a
 * terminator (code.mid-instruction and body.fall-through name that region; this names the stub).
 */
function checkBodyStarts(
  stubs: Stub[],
  bodyOf: Map<Stub, CodeEntry>,
  entries: CodeEntry[],
  decoded: Map<number, DecodedInstruction>,
  visitedBy: Int32Array,
  out: ViolationSink,
): void {
  const bodies = stubs.map((s) => bodyOf.get(s)).filter((e): e is CodeEntry => e !== undefined);
  if (bodies.length === 0) return;
  const byStart = new Map(bodies.map((e) => [e.offset, e]));
  for (const [off, ins] of decoded) {
    const next = off + ins.length;
    const into = byStart.get(next);
    if (into && !ins.terminator && ins.flow !== "call") {
      const stub = into.stub!;
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "a body no other code runs into",
        hex(next),
        `the out-of-line jump of ${stub.region} lands where ${entries[visitedBy[off]!]?.region ?? "other code"} falls through (${ins.mnemonic.toLowerCase()} at ${hex(off)})`,
      );
    }
    for (let k = off + 1; k < off + ins.length; k++) {
      const body = byStart.get(k);
      if (!body) continue;
      const stub = body.stub!;
      const owner = entries[visitedBy[off]!]?.region ?? "other code";
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "the first instruction of a body of its own",
        hex(k),
        `the out-of-line jump of ${stub.region} lands inside ${ins.mnemonic.toLowerCase()} at ${hex(off)} of ${owner}`,
      );
    }
  }
}
function reportBadTarget(out: ViolationSink, region: string, from: number, target: number, cls: TargetClass): void {
  const where = cls.kind === "outside" ? "outside the image" : cls.kind === "data" ? `into the ${cls.region.name}` : "nowhere";
  report(
    out,
    "code.branch-target",
    region,
    from,
    "an instruction boundary of code inside the image",
    hex(target),
    `a relative branch or call in ${region} goes ${where}`,
  );
}

interface ExtentResult {
  overlaps: Array<{ first: number; second: number; at: number }>;
  fallThroughs: Array<{ entry: number; at: number; into: number; mnemonic: string }>;
  /** Jump targets inside extents that several entries jump to: shared routines reached by tail jumps. */
  sharedTargets: number[];
  limitAt?: { entry: number; at: number };
}

/**
 * Phase 2: each entry's extent, stopping at other entries. A target that several entries jump to
 * is a shared routine reached by tail jumps: it becomes an entry of its own and the extents are
 * computed again. Only the final pass reports overlaps and fall-throughs.
 */
function computeExtents(
  entries: CodeEntry[],
  entryAt: Map<number, CodeEntry>,
  addEntry: (offset: number, kind: CodeEntry["kind"], region: string) => CodeEntry | undefined,
  decoded: Map<number, DecodedInstruction>,
  size: number,
  out: ViolationSink,
): void {
  let result = extentsOnce(entries, entryAt, decoded, size);
  for (let round = 0; round < 4 && result.sharedTargets.length > 0 && !result.limitAt; round++) {
    const before = entries.length;
    for (const t of result.sharedTargets) addEntry(t, "shared", `shared ${hex(t, 4)}`);
    if (entries.length === before) break;
    result = extentsOnce(entries, entryAt, decoded, size);
  }
  if (result.limitAt) {
    const e = entries[result.limitAt.entry]!;
    report(out, "check.limit", e.region, result.limitAt.at, `at most ${MAX_EXTENT_STEPS} steps`, "more", "the code is too large to verify");
  }
  for (const o of result.overlaps) {
    const a = entries[o.second]!,
      b = entries[o.first]!;
    report(out, "body.overlap", a.region, o.at, "bytes of its own", `shared with ${b.region}`, `${a.region} and ${b.region} run through the same bytes`);
  }
  for (const f of result.fallThroughs) {
    const e = entries[f.entry]!;
    report(
      out,
      "body.fall-through",
      e.region,
      f.at,
      "a terminator (ret, iret, sysexit, jmp)",
      `${f.mnemonic} falling into ${entryAt.get(f.into)!.region}`,
      `${e.region} runs into the next entry without a terminator`,
    );
  }
}

function extentsOnce(entries: CodeEntry[], entryAt: Map<number, CodeEntry>, decoded: Map<number, DecodedInstruction>, size: number): ExtentResult {
  const result: ExtentResult = { overlaps: [], fallThroughs: [], sharedTargets: [] };
  const owner = new Int32Array(size).fill(-1);
  const pairs = new Set<string>();
  const jumpedFrom = new Map<number, Set<number>>();
  let steps = 0;
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]!;
    entry.instructions = [];
    const seen = new Set<number>();
    const stack = [entry.offset];
    while (stack.length > 0) {
      const off = stack.pop()!;
      if (seen.has(off)) continue;
      if (off !== entry.offset && entryAt.has(off)) continue; // tail jump or fall-through into another entry
      const ins = decoded.get(off);
      if (!ins) continue;
      seen.add(off);
      if (++steps > MAX_EXTENT_STEPS) {
        result.limitAt = { entry: e, at: off };
        return result;
      }
      entry.instructions.push({ offset: off, length: ins.length });
      for (let k = off; k < off + ins.length && k < size; k++) {
        const o = owner[k]!;
        if (o === -1) owner[k] = e;
        else if (o !== e) {
          const key = `${Math.min(o, e)}:${Math.max(o, e)}`;
          if (!pairs.has(key)) {
            pairs.add(key);
            result.overlaps.push({ first: o, second: e, at: k });
          }
        }
      }
      if (ins.target !== undefined && ins.flow !== "call") {
        stack.push(ins.target);
        if (!entryAt.has(ins.target) && decoded.has(ins.target)) {
          const from = jumpedFrom.get(ins.target) ?? new Set<number>();
          from.add(e);
          jumpedFrom.set(ins.target, from);
        }
      }
      if (!ins.terminator) {
        const next = off + ins.length;
        // Jumping to another entry is a tail call; silently running into one is a missing terminator.
        if (ins.flow !== "call" && next !== entry.offset && entryAt.has(next)) {
          result.fallThroughs.push({ entry: e, at: off, into: next, mnemonic: ins.mnemonic.toLowerCase() });
        }
        stack.push(next);
      }
    }
    entry.instructions.sort((a, b) => a.offset - b.offset);
  }
  for (const [target, from] of jumpedFrom) if (from.size > 1) result.sharedTargets.push(target);
  return result;
}

/**
 * `int n; ud2`: the end of a hypercall that does not return (Xen's iret through the hypercall page),
 * the one place outside stubs where a ud2 belongs.
 */
function afterInterrupt(bytes: Uint8Array, decoder: X86Decoder, off: number): boolean {
  return off >= 2 && bytes[off - 2] === 0xcd && decoder.at(off - 2).mnemonic === "Int";
}
