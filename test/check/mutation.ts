// Mutation report: flip every byte (xor 0xFF) of the header, PCIR, $PnP, jump points, slots and
// relocation table, re-fix the image checksum so that rule alone cannot catch it, and count how
// often the checker notices. Generic over images and layouts so it can be run on built ROMs too.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkImage, type Violation } from "../../src/check/index.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { loadManifest } from "../../src/cli/manifest-file.ts";
import { readStubs } from "../../src/check/stubs.ts";
import { X86Decoder } from "../../src/decode/x86-decoder.ts";
import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";

export interface ByteClassCount {
  bytes: number;
  detected: number;
}

export interface MutationRegionReport {
  region: string;
  /** Non-inert bytes mutated. */
  bytes: number;
  /** Inert bytes, not mutated. */
  inert: number;
  detected: number;
  /** detected / bytes (1 for a region without non-inert bytes). */
  rate: number;
  /** Instruction bytes (16-bit entry, stub code) and everything else (fields, tables, filler). */
  code: ByteClassCount;
  data: ByteClassCount;
  /** Offsets whose mutation went unnoticed. */
  missed: number[];
  missedData: number[];
}

export interface MutationReport {
  withManifest: boolean;
  /** Violations of the unmodified image: must be empty for the rates to mean anything. */
  baseline: Violation[];
  regions: MutationRegionReport[];
}

interface MutationRegion {
  name: string;
  offsets: number[];
}

const PCIR_SIZE = 0x18;
const PNP_SIZE = 0x20;

function range(offset: number, size: number): number[] {
  return Array.from({ length: Math.max(0, size) }, (_, i) => offset + i);
}

function readU16(bytes: Uint8Array, at: number): number | undefined {
  return at >= 0 && at + 2 <= bytes.length ? bytes[at]! | (bytes[at + 1]! << 8) : undefined;
}

/** The regions the report covers, located in the unmodified image. */
export function mutationRegions(bytes: Uint8Array, layout: Layout, manifest?: Manifest): MutationRegion[] {
  const pcir = range(layout.pci.offset, PCIR_SIZE);
  const pnp = range(layout.pnp.offset, PNP_SIZE);
  const jumpPoints = layout.jumpPoints.map((j) => ({ name: `jump point ${j.role}`, offsets: range(j.offset, j.size) }));
  const elsewhere = new Set([...pcir, ...pnp, ...jumpPoints.flatMap((j) => j.offsets)]);
  const header = range(0, layout.headerSize).filter((o) => !elsewhere.has(o));
  const slots = layout.calls
    .filter((c) => c.number >= 0 && c.number < layout.slots.count)
    .flatMap((c) => range(layout.slots.base + c.number * layout.slots.size, layout.slots.size))
    .filter((o) => !elsewhere.has(o) && o >= layout.headerSize);
  const relocField = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "relocTableOffset");
  const relocAt = (relocField ? readU16(bytes, relocField.offset) : undefined) ?? manifest?.relocTable.offset;
  const reloc = relocAt === undefined ? [] : range(relocAt, 8 + layout.slots.count * layout.relocTable.entrySize);
  const inImage = (o: number): boolean => o >= 0 && o < bytes.length - 1; // never the checksum byte
  return [
    { name: "header", offsets: header },
    { name: "pcir", offsets: pcir },
    { name: "pnp", offsets: pnp },
    ...jumpPoints,
    { name: "slots", offsets: slots },
    { name: "reloc", offsets: reloc },
  ].map((r) => ({ name: r.name, offsets: r.offsets.filter(inImage) }));
}

/** Offsets holding instructions: the 16-bit entry field and the used bytes of every stub. */
export function codeOffsets(bytes: Uint8Array, layout: Layout): Set<number> {
  const code = new Set<number>();
  for (const f of layout.header) {
    if (f.source.kind === "computed" && f.source.what === "romEntry") range(f.offset, f.size).forEach((o) => code.add(o));
  }
  const decoder = new X86Decoder(bytes, 32);
  try {
    for (const s of readStubs(bytes, layout, decoder, [])) range(s.offset, s.used).forEach((o) => code.add(o));
  } finally {
    decoder.free();
  }
  return code;
}

/**
 * Bytes no guest reads and vmirom does not rely on: header fields marked inert, and the license
 * string when the layout gives guests no pointer to it (api13).
 */
export function defaultInertOffsets(layout: Layout, manifest?: Manifest): Set<number> {
  const inert = new Set<number>();
  for (const f of layout.header) if (f.inert) range(f.offset, f.size).forEach((o) => inert.add(o));
  const hasLicensePointer = layout.header.some((f) => f.source.kind === "computed" && f.source.what === "licenseOffset");
  if (!hasLicensePointer && manifest) range(manifest.license.offset, manifest.license.size).forEach((o) => inert.add(o));
  return inert;
}

const key = (v: Violation): string => `${v.rule}@${v.offset}`;

export function mutationReport(bytes: Uint8Array, layout: Layout, manifest: Manifest | undefined, inertOffsets: Iterable<number>): MutationReport {
  const options = manifest ? { manifest, ignoreImageHash: true } : {};
  const baseline = checkImage(bytes, layout, options);
  const baselineKeys = new Set(baseline.map(key));
  const inert = new Set(inertOffsets);
  const code = codeOffsets(bytes, layout);
  const last = bytes.length - 1;
  const copy = new Uint8Array(bytes);
  const regions: MutationRegionReport[] = [];
  for (const region of mutationRegions(bytes, layout, manifest)) {
    const r: MutationRegionReport = {
      region: region.name,
      bytes: 0,
      inert: 0,
      detected: 0,
      rate: 1,
      code: { bytes: 0, detected: 0 },
      data: { bytes: 0, detected: 0 },
      missed: [],
      missedData: [],
    };
    for (const o of region.offsets) {
      if (inert.has(o)) {
        r.inert++;
        continue;
      }
      copy[o] = bytes[o]! ^ 0xff;
      // Keep the 8-bit sum at zero: the checksum rule alone must not be what detects the change.
      copy[last] = (bytes[last]! - (copy[o]! - bytes[o]!)) & 0xff;
      const found = checkImage(copy, layout, options).some((v) => !baselineKeys.has(key(v)));
      copy[o] = bytes[o]!;
      copy[last] = bytes[last]!;
      const cls = code.has(o) ? r.code : r.data;
      r.bytes++;
      cls.bytes++;
      if (found) {
        r.detected++;
        cls.detected++;
      } else {
        r.missed.push(o);
        if (!code.has(o)) r.missedData.push(o);
      }
    }
    r.rate = r.bytes === 0 ? 1 : r.detected / r.bytes;
    regions.push(r);
  }
  return { withManifest: manifest !== undefined, baseline, regions };
}

export function formatMutationReport(name: string, report: MutationReport): string {
  const pct = (c: ByteClassCount): string => (c.bytes === 0 ? "  -  " : `${((100 * c.detected) / c.bytes).toFixed(1)}%`);
  const lines = report.regions.map(
    (r) =>
      `  ${r.region.padEnd(28)} ${String(r.detected).padStart(5)}/${String(r.bytes).padEnd(5)} ${(100 * r.rate).toFixed(1).padStart(5)}%` +
      `  data ${pct(r.data)}  code ${pct(r.code)}  inert ${r.inert}`,
  );
  return [`mutation ${name} (${report.withManifest ? "with manifest" : "structural"}):`, ...lines].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Structural mutation classes of a built ROM (located with its manifest; checked without it).

/** A group of bytes to flip, and what a violation must name to count as "the right region". */
export interface MutationClass {
  name: string;
  offsets: number[];
  /** Region names (or prefixes) a violation may carry. */
  names: string[];
  /** Extents a violation's offset may lie in instead (the structure itself, never a body elsewhere). */
  extents: Array<{ offset: number; size: number }>;
}

export interface ClassResult {
  name: string;
  bytes: number;
  /** Some new violation appeared. */
  caught: number;
  /** ... and one of them names the class's region. */
  rightRegion: number;
  /** Offsets not caught, or caught only under another region (with the rules that fired). */
  misses: Array<{ offset: number; rules: string[] }>;
}

const inExtent = (o: number, e: { offset: number; size: number }): boolean => o >= e.offset && o < e.offset + e.size;

/** The bytes the structure alone must protect, by region (see the test for the list). */
export function structuralClasses(bytes: Uint8Array, layout: Layout, m: Manifest): MutationClass[] {
  const last = bytes.length - 1;
  const classes: MutationClass[] = [];
  const add = (c: MutationClass): void => {
    const offsets = c.offsets.filter((o) => o >= 0 && o < last);
    if (offsets.length) classes.push({ ...c, offsets });
  };
  for (const f of layout.header) {
    const names = ["header"];
    if (f.source.kind === "computed" && f.source.what === "romEntry") names.push("init16");
    if (f.source.kind === "computed" && f.source.what === "licenseOffset") names.push("license");
    if (f.source.kind === "computed" && f.source.what === "relocTableOffset") names.push("reloc");
    add({ name: `header field ${f.name}`, offsets: range(f.offset, f.size), names, extents: [f] });
  }
  add({ name: "PCIR", offsets: range(m.pci.offset, m.pci.size), names: ["pcir"], extents: [m.pci] });
  add({ name: "$PnP", offsets: range(m.pnp.offset, m.pnp.size), names: ["pnp"], extents: [m.pnp] });
  add({ name: "license", offsets: range(m.license.offset, m.license.size), names: ["license"], extents: [m.license] });
  m.strings
    .filter((s) => s.offset !== m.license.offset)
    .forEach((s, i) => add({ name: `string ${i + 1}`, offsets: range(s.offset, s.size), names: ["pnp"], extents: [s] }));
  add({ name: "relocation table", offsets: range(m.relocTable.offset, m.relocTable.size), names: ["reloc"], extents: [m.relocTable] });
  for (const jp of m.jumpPoints) {
    const names = [`jump point ${jp.role}`, `body ${jp.role}`, `cold ${jp.role}`];
    const extents = [jp];
    // Inline code in a jump point is an inline body (reported as a share); its filler is structural.
    const code = jp.target === jp.offset ? new Set(range(jp.offset, jp.used ?? 0)) : new Set<number>();
    add({ name: `jump point ${jp.role}`, offsets: range(jp.offset, jp.size).filter((o) => !code.has(o)), names, extents });
  }
  for (const c of m.calls) {
    const region = `slot ${c.number} ${c.name}`;
    const names = [region, `body ${c.name}`, `cold ${c.name}`];
    const extents = [c.slot];
    const slotBytes = range(c.slot.offset, c.slot.size);
    if (c.body) {
      // jmp rel32 (opcode, target), ud2, filler
      add({ name: "out-of-line slots", offsets: slotBytes, names, extents });
    } else if (c.placement === "absent") {
      add({ name: "absent slots", offsets: slotBytes, names, extents });
    } else {
      add({ name: "inline slot filler", offsets: slotBytes.slice(c.slot.used), names, extents });
    }
  }
  // Padding: every byte no region of the manifest holds (header spare bytes, gaps, alignment, the end).
  const held = new Uint8Array(bytes.length);
  const hold = (r: { offset: number; size: number }): void => {
    held.fill(1, Math.max(0, r.offset), Math.min(bytes.length, r.offset + r.size));
  };
  layout.header.forEach(hold);
  [m.pci, m.pnp, m.license, m.relocTable, m.init16, ...m.strings, ...m.jumpPoints, ...m.shared].forEach(hold);
  m.jumpPoints.forEach((j) => j.body && hold(j.body));
  m.calls.forEach((c) => [c.slot, ...(c.body ? [c.body] : []), ...(c.cold ?? [])].forEach(hold));
  const padding = range(0, bytes.length).filter((o) => !held[o]);
  for (const o of padding) add({ name: "padding", offsets: [o], names: ["header"], extents: [{ offset: o, size: 1 }] });
  // Classes sharing a name (the slots, padding) are counted together by runClasses; names and extents stay per part.
  return classes;
}

/** First bytes of the code the manifest lists: inline bodies (slots, jump points), out-of-line bodies, cold parts, shared routines. */
export function firstByteClasses(m: Manifest): Array<{ name: string; offsets: number[] }> {
  const inline = [
    ...m.calls.filter((c) => !c.body && c.placement !== "absent").map((c) => c.slot.offset),
    ...m.jumpPoints.filter((j) => j.target === j.offset).map((j) => j.offset),
  ];
  const bodies = [...m.calls.flatMap((c) => (c.body ? [c.body.offset] : [])), ...m.jumpPoints.flatMap((j) => (j.body ? [j.body.offset] : []))];
  return [
    { name: "inline bodies", offsets: inline },
    { name: "out-of-line bodies", offsets: bodies },
    { name: "cold parts", offsets: m.calls.flatMap((c) => (c.cold ?? []).map((r) => r.offset)) },
    { name: "shared routines", offsets: m.shared.map((s) => s.offset) },
  ];
}

/** Flips a byte (xor 0xff) and re-fixes the checksum in the last byte; undo with the same call. */
function flip(copy: Uint8Array, original: Uint8Array, o: number, on: boolean): void {
  const last = copy.length - 1;
  if (!on) {
    copy[o] = original[o]!;
    copy[last] = original[last]!;
    return;
  }
  copy[o] = original[o]! ^ 0xff;
  if (o !== last) copy[last] = (original[last]! - (copy[o]! - original[o]!)) & 0xff;
}

/** Runs each class's flips; a catch counts for the region when a new violation names it (or lies in it). */
export function runClasses(
  bytes: Uint8Array,
  layout: Layout,
  classes: MutationClass[],
  manifest?: Manifest,
): { baseline: Violation[]; results: ClassResult[] } {
  const options = manifest ? { manifest, ignoreImageHash: true } : {};
  const baseline = checkImage(bytes, layout, options);
  const baselineKeys = new Set(baseline.map(key));
  const copy = new Uint8Array(bytes);
  const byName = new Map<string, ClassResult>();
  for (const c of classes) {
    const r = byName.get(c.name) ?? { name: c.name, bytes: 0, caught: 0, rightRegion: 0, misses: [] };
    byName.set(c.name, r);
    for (const o of c.offsets) {
      flip(copy, bytes, o, true);
      const fresh = checkImage(copy, layout, options).filter((v) => !baselineKeys.has(key(v)));
      flip(copy, bytes, o, false);
      r.bytes++;
      if (fresh.length) r.caught++;
      const named = fresh.some((v) => c.names.some((n) => v.region === n || v.region.startsWith(`${n} `)) || c.extents.some((e) => inExtent(v.offset, e)));
      if (named) r.rightRegion++;
      else r.misses.push({ offset: o, rules: fresh.map((v) => `${v.rule}@${v.offset.toString(16)}`) });
    }
  }
  return { baseline, results: [...byName.values()] };
}

export function formatClassResults(title: string, results: ClassResult[]): string {
  const lines = results.map((r) => {
    const pct = r.bytes ? ((100 * r.rightRegion) / r.bytes).toFixed(1) : "-";
    return (
      `  ${r.name.padEnd(28)} ${String(r.rightRegion).padStart(6)}/${String(r.bytes).padEnd(6)} ${pct.padStart(5)}%` +
      (r.caught !== r.rightRegion ? `  (caught ${r.caught}, elsewhere ${r.caught - r.rightRegion})` : "")
    );
  });
  return [title, ...lines].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The ROMs `vmirom build --all` wrote, listed from the directory (new backends appear by themselves).

/** VMIROM_ROMS_DIR points the ROM tests at another build output. */
export const BUILT_ROMS_DIR = process.env["VMIROM_ROMS_DIR"] ?? join(import.meta.dirname, "../../build/roms");

export function builtRomFiles(): string[] {
  return existsSync(BUILT_ROMS_DIR)
    ? readdirSync(BUILT_ROMS_DIR)
        .filter((f) => f.endsWith(".rom"))
        .sort()
    : [];
}

/** A built ROM, its manifest (<rom>.json beside it, read as `vmirom check --manifest` reads it) and its layout. */
export function loadBuiltRom(file: string): { bytes: Uint8Array; manifest: Manifest; layout: Layout } {
  const bytes = new Uint8Array(readFileSync(join(BUILT_ROMS_DIR, file)));
  const loaded = loadManifest(join(BUILT_ROMS_DIR, file.replace(/\.rom$/, ".json")));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  const manifest = loaded.value;
  const layout = loadLayoutByName(manifest.layout);
  if (!layout.ok) throw new Error(layout.errors.map((e) => e.message).join("\n"));
  return { bytes, manifest, layout: layout.value };
}
