// Every byte of the image accounted for: the header (its own rule, header.unused, covers the bytes
// no field uses), each call's slot, PCIR, $PnP, the relocation table, the strings, the 16-bit init
// code, the 32-bit code the recursive descent reached from the entries (bodies, cold parts, shared
// routines, GetRelocationInfo) and the checksum byte. What is left is padding: 00 or the layout's
// filler. Anything else is code nothing enters (a body no stub jumps to) or stray bytes.

import type { Layout } from "../layout/types.ts";
import { regionOf, type BodyAnalysis } from "./bodies.ts";
import type { ImageRegions, NamedRegion } from "./image-regions.ts";
import { hex, hexBytes, report, type ViolationSink } from "./violation.ts";
import type { X86Decoder } from "../decode/x86-decoder.ts";

type ClaimKind = "data" | "slot" | "string" | "init16" | "code" | "checksum";

interface Claim extends NamedRegion {
  kind: ClaimKind;
}

/**
 * Pairs other rules already report (string.overlap, reloc.overlap, body.data, body.overlap, init16.data,
 * image.checksum-byte) or that are allowed (fields, jump points, PCIR and $PnP inside the header): only two
 * strings, or 16-bit and 32-bit code, are left to this rule.
 */
function reportedElsewhere(a: ClaimKind, b: ClaimKind): boolean {
  if (a === b) return a !== "string";
  return !((a === "init16" && b === "code") || (a === "code" && b === "init16"));
}

export function checkCoverage(
  bytes: Uint8Array,
  layout: Layout,
  regions: ImageRegions,
  slots: NamedRegion[],
  init16Code: Array<{ offset: number; size: number }>,
  bodies: BodyAnalysis,
  decoder: X86Decoder,
  out: ViolationSink,
): void {
  const size = bytes.length;
  if (size === 0) return;
  const claims: Claim[] = [];
  const claim = (r: NamedRegion, kind: ClaimKind): void => void claims.push({ name: r.name, offset: r.offset, size: r.size, kind });
  claim(regions.header, "data");
  for (const r of regions.jumpPoints) claim(r, "data");
  claim(regions.pcir, "data");
  claim(regions.pnp, "data");
  if (regions.relocTable) claim(regions.relocTable, "data");
  for (const r of slots) claim(r, "slot");
  for (const r of regions.strings) claim(r, "string");
  for (const c of init16Code) claims.push({ name: "16-bit init code", offset: c.offset, size: c.size, kind: "init16" });
  // One claim per entry's extent run: consecutive instructions merge.
  for (const e of bodies.entries) {
    let run: Claim | undefined;
    for (const i of e.instructions) {
      if (run && run.offset + run.size === i.offset) run.size += i.length;
      else claims.push((run = { name: regionOf(e), offset: i.offset, size: i.length, kind: "code" }));
    }
  }
  claims.push({ name: "checksum byte", offset: size - 1, size: 1, kind: "checksum" });
  // Owner per byte (index into claims, -1 for none); a second claim of another kind is an overlap.
  const owner = new Int32Array(size).fill(-1);
  const pairs = new Set<string>();
  claims.forEach((c, idx) => {
    const end = Math.min(size, c.offset + c.size);
    for (let k = Math.max(0, c.offset); k < end; k++) {
      const o = owner[k]!;
      if (o === -1) {
        owner[k] = idx;
        continue;
      }
      const first = claims[o]!;
      if (reportedElsewhere(first.kind, c.kind) || first.name === c.name) continue;
      const key = `${first.name}|${c.name}`;
      if (pairs.has(key)) continue;
      pairs.add(key);
      report(
        out,
        "coverage.overlap",
        c.name,
        k,
        `a byte of one region`,
        `also ${first.name} (${hex(first.offset)}+${first.size})`,
        `${hex(k)} is claimed by both the ${first.name} and the ${c.name}`,
      );
    }
  });

  // A layout without a license pointer (api13) still carries the string: nothing points to it, so
  // one exact copy in unclaimed bytes is taken as the license (header.unused accepts one in the header).
  if (!layout.header.some((f) => f.source.kind === "computed" && f.source.what === "licenseOffset")) {
    const at = findUnclaimed(bytes, owner, layout.license + "\0", regions.header.size);
    if (at !== undefined)
      owner.fill(claims.push({ name: "license string", offset: at, size: layout.license.length + 1, kind: "string" }) - 1, at, at + layout.license.length + 1);
  }

  // Unclaimed bytes outside the header (header.unused covers those) must be padding.
  const padding = (b: number): boolean => b === 0 || b === layout.filler;
  let i = Math.min(size, regions.header.size);
  while (i < size) {
    if (owner[i] !== -1 || padding(bytes[i]!)) {
      i++;
      continue;
    }
    const start = i;
    while (i < size && owner[i] === -1) i++;
    let end = i;
    while (end > start && padding(bytes[end - 1]!)) end--;
    const before = nearestClaim(owner, claims, start, -1);
    const after = nearestClaim(owner, claims, end - 1, 1);
    report(
      out,
      "coverage.unclaimed",
      "image",
      start,
      `padding (00 or ${hex(layout.filler, 2)}) or a region`,
      hexBytes(bytes, start, end - start),
      `${hex(start)}..${hex(end)} (between the ${before ?? "image start"} and the ${after ?? "image end"}) belongs to no region: ` +
        "no field, structure, string, slot or code reached from an entry (a body no stub enters?)",
    );
  }

  // A body right after stray bytes most likely starts among them (its stub's jump lands too far),
  // unless those bytes are whole code ending in a terminator: an orphaned body of its own.
  for (const [stub, body] of bodies.bodyOf) {
    const t = body.offset;
    if (t < 1 || owner[t - 1] !== -1) continue;
    let start = t - 1;
    while (start > 0 && owner[start - 1] === -1) start--;
    while (start < t && padding(bytes[start]!)) start++;
    let end = t;
    while (end > start && padding(bytes[end - 1]!)) end--;
    // Bytes that do not decode are reported where they are reached (body.decode); whole code ending in a
    // terminator is an orphaned body of its own.
    if (start >= end || strayCode(decoder, start, end) !== "cut") continue;
    report(
      out,
      `${stub.area}.target`,
      stub.region,
      stub.offset + 1,
      `a body that begins after padding or another region`,
      hex(body.offset),
      `the out-of-line jump of ${stub.region} lands at ${hex(body.offset)}, right after bytes no region claims: the body probably begins before it`,
    );
  }
}

function nearestClaim(owner: Int32Array, claims: Claim[], from: number, step: 1 | -1): string | undefined {
  for (let k = from; k >= 0 && k < owner.length; k += step) if (owner[k] !== -1) return claims[owner[k]!]!.name;
  return undefined;
}

function findUnclaimed(bytes: Uint8Array, owner: Int32Array, text: string, from: number): number | undefined {
  if (text.length === 0) return undefined;
  const first = text.charCodeAt(0);
  for (let at = from; at + text.length <= bytes.length; at++) {
    if (bytes[at] !== first) continue;
    let ok = true;
    for (let k = 0; k < text.length && ok; k++) ok = owner[at + k] === -1 && bytes[at + k] === text.charCodeAt(k);
    if (ok) return at;
  }
  return undefined;
}

/** How [start, end) decodes: invalid somewhere, whole instructions ending in a terminator, or cut (by `end` or without a terminator). */
function strayCode(decoder: X86Decoder, start: number, end: number): "invalid" | "whole" | "cut" {
  let p = start;
  let last = false;
  while (p < end) {
    const ins = decoder.at(p);
    if (ins.status !== "ok") return "invalid";
    last = ins.terminator;
    p += ins.length;
  }
  return p === end && last ? "whole" : "cut";
}
