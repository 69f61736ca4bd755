// Out-of-line bodies, cold parts and the shared routines they call, followed from the stubs by
// src/decode/code-owners.ts (which also decides which call each entry belongs to) over the iced-x86
// decoding: every path must end in a terminator without leaving the image or running into data, every
// relative branch and call must land on an instruction boundary, and different entries must not share
// bytes. Work is bounded: each image byte is decoded at most once and the number of entries and extent
// steps is capped.

import { CodeReach, MAX_ENTRIES, MAX_EXTENT_STEPS, type CodeEntry as FollowedEntry } from "../decode/code-owners.ts";
import type { DecodedInstruction, X86Decoder } from "../decode/x86-decoder.ts";
import { regionContains, regionsOverlap, type ImageRegions, type NamedRegion } from "./image-regions.ts";
import type { Stub } from "./stubs.ts";
import { hex, report, type ViolationSink } from "./violation.ts";

/** A body (an out-of-line stub's target), a cold part (of the one stub whose code jumps to it) or a shared routine. */
export type CodeEntry = FollowedEntry<Stub>;

/** How violations name an entry: "body SwapPxE", "cold SwapPxE" or "shared 0x0c40". */
export function regionOf(e: CodeEntry): string {
  return e.kind === "shared" || !e.area ? `shared ${hex(e.offset, 4)}` : `${e.kind} ${e.area.name}`;
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
  knownShared: ReadonlyArray<{ offset: number; size: number }>,
  filler: number,
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
  // An entry's owner, which names it, is known only once all code is followed: reports wait until then, in the
  // order they were found.
  const pending: Array<() => void> = [];
  const later = (f: () => void): void => void pending.push(f);

  const reach = new CodeReach<Stub>({
    bytes,
    filler,
    areas: stubs,
    shared: knownShared,
    decode: (off) => decoder.at(off),
    enterable: (t) => classify(t).kind === "code",
    body: (stub, t) => {
      // An out-of-line jump that does not land on a body's first instruction: one report, after the walk.
      const badTarget = (expected: string, found: string, how: string): false => {
        later(() => report(out, `${stub.area}.target`, stub.region, stub.offset + 1, expected, found, `the out-of-line jump of ${stub.region} ${how}`));
        return false;
      };
      const cls = classify(t);
      if (cls.kind !== "code") {
        const where = cls.kind === "outside" ? "outside the image" : cls.kind === "stub" ? "at a stub" : `into the ${cls.region.name}`;
        return badTarget("a body offset outside the header, slots, tables and strings", hex(t), `goes ${where}`);
      }
      if (bytes[t] === filler) return badTarget("the first instruction of a body", `filler at ${hex(t)}`, "lands in filler, not at the start of a body");
      return true;
    },
    bodyTaken: (stub, first, t) =>
      later(() =>
        report(
          out,
          "body.shared-entry",
          `body ${first.name}`,
          t,
          `a body used only by ${first.region}`,
          `also jumped to by ${stub.region}`,
          "two stubs jump to the same body; each call needs its own body",
        ),
      ),
    entryLimit: (offset, kind, stub) =>
      later(() =>
        report(
          out,
          "check.limit",
          kind === "shared" || !stub ? `shared ${hex(offset, 4)}` : `${kind} ${stub.name}`,
          offset,
          `at most ${MAX_ENTRIES} code entries`,
          "more",
          "the image has too many code entries to verify; the rest were not explored",
        ),
      ),
    accept: (ins, entry) => {
      const off = ins.offset;
      if (ins.status === "truncated") {
        later(() =>
          report(
            out,
            "body.bounds",
            regionOf(entry),
            off,
            "code inside the image",
            "an instruction past the image end",
            `code reached from ${regionOf(entry)} runs past the end of the image`,
          ),
        );
        return "drop";
      }
      if (ins.status === "invalid") {
        later(() =>
          report(
            out,
            "body.decode",
            regionOf(entry),
            off,
            "a valid 32-bit instruction",
            `bytes at ${hex(off)}`,
            `code reached from ${regionOf(entry)} does not decode as 32-bit code`,
          ),
        );
        return "drop";
      }
      const data = regions.data.find((r) => regionsOverlap(r, { offset: off, size: ins.length }));
      if (data) {
        later(() =>
          report(
            out,
            "body.data",
            regionOf(entry),
            off,
            "code outside the image's data structures",
            data.name,
            `code reached from ${regionOf(entry)} runs into the ${data.name} (a path without a terminator)`,
          ),
        );
        return "drop";
      }
      if (ins.flow === "trap" && !afterInterrupt(bytes, decoder, off)) {
        later(() =>
          report(
            out,
            "code.ud2",
            regionOf(entry),
            off,
            "ud2 only at the start of an absent stub or after an out-of-line jmp",
            ins.mnemonic.toLowerCase(),
            `${regionOf(entry)} traps: ud2 belongs in stubs, never in a body`,
          ),
        );
      }
      if (ins.length === 1 && bytes[off] === filler) {
        later(() =>
          report(
            out,
            "code.filler",
            regionOf(entry),
            off,
            "an instruction",
            `filler ${hex(filler, 2)}`,
            `code reached from ${regionOf(entry)} runs into filler (a path without a terminator, or a branch into padding)`,
          ),
        );
        return "end";
      }
      return "follow";
    },
    refused: (t, at, flow, from) => {
      const cls = classify(t);
      if ("area" in from) {
        if (cls.kind !== "stub") later(() => reportBadTarget(out, from.area.region, at, t, cls));
        return;
      }
      const entry = from.entry;
      const own = inlineAt.get(t);
      if (own && flow !== "call") {
        later(() => {
          // A cold part going back into its own slot's hot path: that code was checked with the slot.
          if (entry.kind === "cold" && entry.area === own) return;
          report(
            out,
            "code.branch-target",
            regionOf(entry),
            at,
            `code of its own (or ${entry.area ? entry.area.region : "a stub's start"})`,
            hex(t),
            `${regionOf(entry)} jumps into the inline code of ${own.region}, which is not its own slot`,
          );
        });
      } else if (cls.kind !== "stub") later(() => reportBadTarget(out, regionOf(entry), at, t, cls));
    },
    fellOff: (ins, entry) =>
      later(() =>
        report(
          out,
          "body.bounds",
          regionOf(entry),
          ins.offset,
          "a terminator before the image end",
          ins.mnemonic.toLowerCase(),
          `code reached from ${regionOf(entry)} falls off the end of the image`,
        ),
      ),
  });

  // Instruction boundaries: no explored instruction may start inside another.
  const { decoded, entries, firstReached } = reach;
  const starts = new Uint8Array(size);
  for (const off of decoded.keys()) starts[off] = 1;
  const codeMask = new Uint8Array(size);
  for (const [off, ins] of decoded) {
    for (let k = off; k < off + ins.length && k < size; k++) {
      codeMask[k] = 1;
      if (k > off && starts[k]) {
        const owner = entries[firstReached[off]!]!;
        later(() =>
          report(
            out,
            "code.mid-instruction",
            regionOf(owner),
            k,
            `an instruction boundary (${ins.mnemonic.toLowerCase()} at ${hex(off)} covers it)`,
            hex(k),
            "a branch or call lands in the middle of another instruction",
          ),
        );
        starts[k] = 0; // once per offset
      }
    }
  }

  const owners = reach.settle();
  if (owners.limitAt) {
    const { entry, at } = owners.limitAt;
    later(() => report(out, "check.limit", regionOf(entry), at, `at most ${MAX_EXTENT_STEPS} steps`, "more", "the code is too large to verify"));
  }
  for (const o of owners.overlaps) {
    const a = regionOf(o.second),
      b = regionOf(o.first);
    later(() => report(out, "body.overlap", a, o.at, "bytes of its own", `shared with ${b}`, `${a} and ${b} run through the same bytes`));
  }
  for (const f of owners.fallThroughs) {
    later(() =>
      report(
        out,
        "body.fall-through",
        regionOf(f.entry),
        f.at,
        "a terminator (ret, iret, sysexit, jmp)",
        `${f.mnemonic} falling into ${regionOf(f.into)}`,
        `${regionOf(f.entry)} runs into the next entry without a terminator`,
      ),
    );
  }
  for (const f of pending) f();
  checkBodyStarts(stubs, owners.bodyOf, entries, decoded, firstReached, out);
  return { entries, bodyOf: owners.bodyOf, codeMask, decoded };
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
  firstReached: Int32Array,
  out: ViolationSink,
): void {
  // Each body by where it starts, with the stub whose jump made it.
  const byStart = new Map<number, Stub>();
  for (const s of stubs) {
    const body = bodyOf.get(s);
    if (body) byStart.set(body.offset, s);
  }
  if (byStart.size === 0) return;
  const regionAt = (off: number): string => {
    const e = entries[firstReached[off]!];
    return e ? regionOf(e) : "other code";
  };
  for (const [off, ins] of decoded) {
    const next = off + ins.length;
    const stub = byStart.get(next);
    if (stub && !ins.terminator && ins.flow !== "call") {
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "a body no other code runs into",
        hex(next),
        `the out-of-line jump of ${stub.region} lands where ${regionAt(off)} falls through (${ins.mnemonic.toLowerCase()} at ${hex(off)})`,
      );
    }
    for (let k = off + 1; k < off + ins.length; k++) {
      const stub = byStart.get(k);
      if (!stub) continue;
      report(
        out,
        `${stub.area}.target`,
        stub.region,
        stub.offset + 1,
        "the first instruction of a body of its own",
        hex(k),
        `the out-of-line jump of ${stub.region} lands inside ${ins.mnemonic.toLowerCase()} at ${hex(off)} of ${regionAt(off)}`,
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

/**
 * `int n; ud2`: the end of a hypercall that does not return (Xen's iret through the hypercall page),
 * the one place outside stubs where a ud2 belongs.
 */
function afterInterrupt(bytes: Uint8Array, decoder: X86Decoder, off: number): boolean {
  return off >= 2 && bytes[off - 2] === 0xcd && decoder.at(off - 2).mnemonic === "Int";
}
