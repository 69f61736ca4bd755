// With a build manifest: the builder's own account of what it laid out must match the image the
// checker sees. This is what catches changes that keep the image well-formed (another valid
// instruction, a different header value) but are not what was built.

import { createHash } from "node:crypto";
import type { Layout } from "../layout/types.ts";
import type { Manifest, ManifestCall, Region } from "../manifest/types.ts";
import type { BodyAnalysis } from "./bodies.ts";
import { inImage, readCString, readLatin1, readUint } from "./image-bytes.ts";
import { PCIR_SIZE, PNP_SIZE, readComputedField, regionsOverlap, relocTableSize, type ImageRegions } from "./image-regions.ts";
import type { RelocEntry } from "./reloc-table.ts";
import type { Stub } from "./stubs.ts";
import { hex, quote, report, type ViolationSink } from "./violation.ts";

const REGION = "manifest";

export interface ImageFacts {
  stubs: Stub[];
  bodies: BodyAnalysis;
  relocs: Map<number, RelocEntry>;
  regions: ImageRegions;
}

export function sha256Hex(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

const regionText = (r: Region): string => `${hex(r.offset)}+${r.size}`;

export function checkManifest(bytes: Uint8Array, layout: Layout, manifest: Manifest, facts: ImageFacts, ignoreImageHash: boolean, out: ViolationSink): void {
  const m = manifest;
  if (m.layout !== layout.name)
    report(out, "manifest.layout", REGION, 0, quote(layout.name), quote(String(m.layout)), "the manifest was built for another layout");
  if (m.api?.major !== layout.version.major || m.api?.minor !== layout.version.minor) {
    report(
      out,
      "manifest.api",
      REGION,
      0,
      `${layout.version.major}.${layout.version.minor}`,
      `${m.api?.major}.${m.api?.minor}`,
      "the manifest's API version differs from the layout's",
    );
  }
  if (m.size !== bytes.length) report(out, "manifest.size", "image", 0, String(m.size), String(bytes.length), "the image size differs from the manifest's");
  if (!ignoreImageHash) {
    const sha = sha256Hex(bytes);
    if (sha !== m.sha256) report(out, "manifest.sha256", "image", 0, String(m.sha256), sha, "the image is not the one the manifest describes");
  }
  checkHeaderValues(bytes, layout, m, out);
  checkRegions(bytes, layout, m, out);
  checkJumpPoints(bytes, layout, m, facts, out);
  checkCalls(bytes, layout, m, facts, out);
  checkCodeRegionsApart(m, facts.regions, out);
}

/** Bodies and shared routines the manifest lists must not overlap each other or the image's data. */
function checkCodeRegionsApart(m: Manifest, regions: ImageRegions, out: ViolationSink): void {
  const code = [
    ...(m.calls ?? []).flatMap((c) => (c.body ? [{ rule: "manifest.body", name: `body ${c.name}`, ...c.body }] : [])),
    ...(m.calls ?? []).flatMap((c) => (c.cold ?? []).map((r) => ({ rule: "manifest.body", name: `cold part of ${c.name}`, offset: r.offset, size: r.size }))),
    ...(m.shared ?? []).map((s) => ({ rule: "manifest.shared", name: `shared ${s.name}`, offset: s.offset, size: s.size })),
  ];
  for (const [i, a] of code.entries()) {
    const hit = [...code.slice(0, i), ...regions.data].find((b) => regionsOverlap(a, b));
    if (hit) {
      report(
        out,
        a.rule,
        a.name,
        a.offset,
        "a region of its own",
        `overlaps ${hit.name} at ${hex(hit.offset)}+${hit.size}`,
        `the manifest's ${a.name} (${regionText(a)}) overlaps the ${hit.name}`,
      );
    }
  }
}

function checkHeaderValues(bytes: Uint8Array, layout: Layout, m: Manifest, out: ViolationSink): void {
  const values = m.header ?? {};
  for (const field of layout.header) {
    const want = values[field.name];
    const numeric = readUint(bytes, field.offset, field.size);
    const text = readLatin1(bytes, field.offset, field.size);
    const found = typeof want === "string" ? text : numeric;
    if (want === undefined || found !== want) {
      report(
        out,
        "manifest.header",
        "header",
        field.offset,
        want === undefined ? "a value in the manifest" : typeof want === "string" ? quote(want) : hex(want),
        found === undefined ? "unreadable" : typeof want === "string" ? quote(String(found)) : hex(Number(found)),
        want === undefined ? `the manifest has no value for header field ${field.name}` : `header field ${field.name} differs from the manifest`,
      );
    }
  }
}

function checkRegions(bytes: Uint8Array, layout: Layout, m: Manifest, out: ViolationSink): void {
  const same = (what: string, r: Region | undefined, offset: number | undefined, size: number): void => {
    if (!r || r.offset !== offset || r.size !== size) {
      report(
        out,
        "manifest.region",
        REGION,
        offset ?? 0,
        `${hex(offset ?? 0)}+${size}`,
        r ? regionText(r) : "missing",
        `the manifest's ${what} region differs from the image`,
      );
    }
  };
  same("PCIR", m.pci, layout.pci.offset, PCIR_SIZE);
  same("$PnP", m.pnp, layout.pnp.offset, PNP_SIZE);
  if (readComputedField(bytes, layout, "relocTableOffset") !== undefined) {
    same("relocation table", m.relocTable, readComputedField(bytes, layout, "relocTableOffset"), relocTableSize(layout));
  }
  const licensePointer = readComputedField(bytes, layout, "licenseOffset");
  const lic = m.license;
  const licText = lic && inImage(bytes, lic.offset, 1) ? readCString(bytes, lic.offset)?.text : undefined;
  if (!lic || lic.text !== layout.license || licText !== lic.text || (licensePointer !== undefined && licensePointer !== lic.offset)) {
    report(
      out,
      "manifest.license",
      "license",
      lic?.offset ?? 0,
      `${quote(layout.license)} at ${hex(licensePointer ?? lic?.offset ?? 0)}`,
      lic ? `${quote(String(lic.text))} at ${hex(lic.offset)}, image holds ${licText === undefined ? "no string" : quote(licText)}` : "missing",
      "the manifest's license string does not match the image",
    );
  }
  const inside = (rule: string, what: string, r: Region | undefined): void => {
    if (!r || !inImage(bytes, r.offset, r.size))
      report(out, rule, REGION, r?.offset ?? 0, "a region inside the image", r ? regionText(r) : "missing", `the manifest's ${what} lies outside the image`);
  };
  (m.strings ?? []).forEach((r, i) => inside("manifest.region", `string ${i}`, r));
  inside("manifest.region", "16-bit init code", m.init16);
  for (const s of m.shared ?? []) inside("manifest.shared", `shared routine ${s.name}`, s);
  // Hashes of the code no call's hash covers: what changed is then named, not only the image hash.
  regionHash(bytes, "manifest.init16", "init16", m.init16, "the 16-bit init routine", out);
  for (const s of m.shared ?? []) regionHash(bytes, "manifest.shared", `shared ${s.name}`, s, `shared routine ${s.name}`, out);
}

function regionHash(bytes: Uint8Array, rule: string, region: string, r: (Region & { sha256?: unknown }) | undefined, what: string, out: ViolationSink): void {
  if (!r || typeof r.sha256 !== "string" || !inImage(bytes, r.offset, r.size)) return;
  const sha = sha256Hex(bytes.subarray(r.offset, r.offset + r.size));
  if (sha !== r.sha256) report(out, rule, region, r.offset, r.sha256, sha, `the bytes of ${what} (${regionText(r)}) differ from what was built`);
}

function checkJumpPoints(bytes: Uint8Array, layout: Layout, m: Manifest, facts: ImageFacts, out: ViolationSink): void {
  for (const jp of layout.jumpPoints) {
    const stub = facts.stubs.find((s) => s.area === "jump-point" && s.role === jp.role);
    const entry = (m.jumpPoints ?? []).find((j) => j.role === jp.role);
    const region = `jump point ${jp.role}`;
    if (!entry || entry.offset !== jp.offset || entry.size !== jp.size) {
      report(
        out,
        "manifest.jump-point",
        region,
        jp.offset,
        `${hex(jp.offset)}+${jp.size}`,
        entry ? regionText(entry) : "missing",
        `the manifest's ${region} differs from the layout`,
      );
      continue;
    }
    checkJumpPointHash(bytes, entry, region, out);
    if (!stub || stub.kind === "broken") continue;
    const target = stub.kind === "outOfLine" ? stub.target : stub.offset;
    if (target !== entry.target) {
      report(
        out,
        "manifest.jump-point",
        region,
        jp.offset,
        hex(entry.target),
        target === undefined ? "none" : hex(target),
        `${region} leads to ${stub.kind === "inline" ? "inline code" : stub.kind} at ${target === undefined ? "nowhere" : hex(target)}, not where the manifest says`,
      );
    }
  }
}

/**
 * The Manifest type has no hash for jump points yet, so an inline jump point's code can change
 * unnoticed when the image hash is ignored. A manifest that carries `sha256` (of the jump point's
 * bytes, then its `body` region's bytes when it lists one) is held to it, like a call's.
 */
function checkJumpPointHash(bytes: Uint8Array, entry: Region, region: string, out: ViolationSink): void {
  const extra = entry as Region & { sha256?: unknown; body?: Region };
  if (typeof extra.sha256 !== "string") return;
  const body =
    extra.body && inImage(bytes, extra.body.offset, extra.body.size)
      ? bytes.subarray(extra.body.offset, extra.body.offset + extra.body.size)
      : new Uint8Array(0);
  const sha = inImage(bytes, entry.offset, entry.size) ? sha256Hex(bytes.subarray(entry.offset, entry.offset + entry.size), body) : "unreadable";
  if (sha !== extra.sha256) {
    report(out, "manifest.jump-point", region, entry.offset, extra.sha256, sha, `the bytes of ${region} differ from what was built`);
  }
}

function checkCalls(bytes: Uint8Array, layout: Layout, m: Manifest, facts: ImageFacts, out: ViolationSink): void {
  const listed = new Map<number, ManifestCall>();
  for (const c of m.calls ?? []) {
    if (!layout.calls.some((l) => l.number === c.number) || listed.has(c.number)) {
      report(
        out,
        "manifest.call",
        REGION,
        0,
        "one entry per layout call",
        `call ${c.number} ${c.name}`,
        "the manifest lists a call the layout does not have, or lists it twice",
      );
    } else listed.set(c.number, c);
  }
  for (const call of layout.calls) {
    const stub = facts.stubs.find((s) => s.area === "slot" && s.number === call.number);
    if (!stub) continue;
    const c = listed.get(call.number);
    if (!c || c.name !== call.name) {
      report(
        out,
        "manifest.call",
        stub.region,
        stub.offset,
        `call ${call.number} ${call.name}`,
        c ? `call ${c.number} ${c.name}` : "missing",
        "the manifest does not describe this call",
      );
      continue;
    }
    checkCall(bytes, layout, c, stub, facts, out);
  }
}

function checkCall(bytes: Uint8Array, layout: Layout, c: ManifestCall, stub: Stub, facts: ImageFacts, out: ViolationSink): void {
  const region = stub.region;
  if (c.slot?.offset !== stub.offset || c.slot?.size !== layout.slots.size) {
    report(
      out,
      "manifest.slot",
      region,
      stub.offset,
      `${hex(stub.offset)}+${layout.slots.size}`,
      c.slot ? regionText(c.slot) : "missing",
      "the manifest puts the slot elsewhere",
    );
  }
  const known = stub.kind !== "broken";
  if (known && c.slot?.used !== stub.used) {
    report(
      out,
      "manifest.used",
      region,
      stub.offset,
      String(c.slot?.used),
      String(stub.used),
      "the slot uses a different number of bytes than the manifest says",
    );
  }
  const compatible = c.placement === stub.kind || (c.placement === "image" && (stub.kind === "inline" || stub.kind === "outOfLine"));
  if (known && !compatible) {
    report(out, "manifest.placement", region, stub.offset, c.placement, stub.kind, "the slot's placement differs from the manifest's");
  }
  checkBody(bytes, c, stub, facts, out);
  const reloc = facts.relocs.get(c.number);
  if (reloc && reloc.typeName !== c.reloc) {
    report(
      out,
      "manifest.reloc",
      region,
      stub.offset,
      c.reloc,
      reloc.typeName ?? hex(reloc.type, 2),
      "the relocation table answers a different type than the manifest says",
    );
  }
  const slotBytes = bytes.subarray(stub.offset, stub.offset + layout.slots.size);
  const body = c.body && inImage(bytes, c.body.offset, c.body.size) ? bytes.subarray(c.body.offset, c.body.offset + c.body.size) : new Uint8Array(0);
  const cold = (c.cold ?? []).map((r) => (inImage(bytes, r.offset, r.size) ? bytes.subarray(r.offset, r.offset + r.size) : new Uint8Array(0)));
  const sha = sha256Hex(slotBytes, body, ...cold);
  if (sha !== c.sha256) {
    report(out, "manifest.call-sha256", region, stub.offset, String(c.sha256), sha, "the slot and body bytes differ from what was built");
  }
}

function checkBody(bytes: Uint8Array, c: ManifestCall, stub: Stub, facts: ImageFacts, out: ViolationSink): void {
  const region = stub.region;
  const b = c.body;
  if (!b) {
    if (stub.kind === "outOfLine")
      report(out, "manifest.body", region, stub.offset, "a body region", "missing", "the slot jumps out of line but the manifest lists no body");
    return;
  }
  if (!inImage(bytes, b.offset, b.size)) {
    report(out, "manifest.body", region, b.offset, "a body region inside the image", regionText(b), "the manifest's body lies outside the image");
    return;
  }
  if (stub.kind !== "outOfLine") {
    if (stub.kind !== "broken")
      report(out, "manifest.body", region, stub.offset, "no body", regionText(b), `the manifest lists a body but the slot is ${stub.kind}`);
    return;
  }
  if (stub.target !== b.offset) {
    report(out, "manifest.body", region, stub.offset, hex(b.offset), hex(stub.target ?? -1), "the slot jumps somewhere other than the manifest's body");
    return;
  }
  // An out-of-line body may branch to cold parts of its own, as an inline one does: its code lies in the body
  // region or in one of the call's cold parts.
  const entry = facts.bodies.bodyOf.get(stub);
  const regions = [b, ...(c.cold ?? [])];
  const outside = entry?.instructions.find((i) => !regions.some((r) => i.offset >= r.offset && i.offset + i.length <= r.offset + r.size));
  if (outside) {
    report(
      out,
      "manifest.body",
      `body ${stub.name}`,
      outside.offset,
      `code within ${regions.map(regionText).join(", ")}`,
      hex(outside.offset),
      "the body's code reaches beyond the manifest's body region and cold parts",
    );
  }
}
