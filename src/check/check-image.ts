// checkImage: runs every rule module over one image and collects all violations. It never throws:
// every read is bounds-checked, decoding is capped, and an unexpected exception becomes a
// "check.internal" violation (the fuzz tests assert that one never appears).

import type { Layout } from "../layout/types.ts";
import type { Manifest } from "../manifest/types.ts";
import { checkBodies } from "./bodies.ts";
import { checkCoverage } from "./coverage.ts";
import { checkHeaderFields, checkUnusedHeaderBytes } from "./header-fields.ts";
import { locateRegions, regionContains, regionsOverlap, type ImageRegions, type NamedRegion } from "./image-regions.ts";
import { checkInit16 } from "./init16.ts";
import { checkManifest } from "./manifest-check.ts";
import { checkPcir } from "./pcir.ts";
import { checkPnp } from "./pnp.ts";
import { checkRelocTable } from "./reloc-table.ts";
import { checkRomFormat } from "./rom-format.ts";
import { checkStubRoles } from "./stub-roles.ts";
import { readStubs } from "./stubs.ts";
import { hex, report, type Violation, type ViolationSink } from "./violation.ts";
import { X86Decoder } from "../decode/x86-decoder.ts";

export interface CheckOptions {
  /** The build manifest: when given, the image must also match it. */
  manifest?: Manifest;
  /** Skip the whole-image sha256 (used when the image was modified on purpose, e.g. mutation tests). */
  ignoreImageHash?: boolean;
}

export function checkImage(bytes: Uint8Array, layout: Layout, options: CheckOptions = {}): Violation[] {
  const out: Violation[] = [];
  try {
    runChecks(bytes, layout, options, out);
  } catch (e) {
    report(
      out,
      "check.internal",
      "image",
      0,
      "a completed check",
      e instanceof Error ? e.message : String(e),
      "the checker failed unexpectedly; this is a checker bug, please report it with the image",
    );
  }
  return out;
}

function callSlots(layout: Layout): NamedRegion[] {
  return layout.calls
    .filter((c) => c.number >= 0 && c.number < layout.slots.count)
    .map((c) => ({ name: `slot ${c.number} ${c.name}`, offset: layout.slots.base + c.number * layout.slots.size, size: layout.slots.size }));
}

/** Far beyond any interface's limit: only the envelope is checked, so a huge input cannot cost much. */
const MAX_ANALYSED_SIZE = 1 << 20;

function runChecks(bytes: Uint8Array, layout: Layout, options: CheckOptions, out: ViolationSink): void {
  checkRomFormat(bytes, layout, out);
  if (bytes.length > MAX_ANALYSED_SIZE) {
    report(
      out,
      "check.limit",
      "image",
      0,
      `at most ${MAX_ANALYSED_SIZE} bytes to analyse`,
      `${bytes.length} bytes`,
      "the image is far too large to be a ROM; only its envelope was checked",
    );
    return;
  }
  const regions = locateRegions(bytes, layout);
  const slots = callSlots(layout);
  const structures = [regions.pcir, regions.pnp, ...(regions.relocTable ? [regions.relocTable] : [])];
  checkHeaderFields(bytes, layout, out);
  const init16 = checkInit16(bytes, layout, [...regions.headerFields, ...regions.jumpPoints, ...slots, ...structures, ...regions.strings], out);
  checkUnusedHeaderBytes(bytes, layout, regions, init16.code, out);
  checkPcir(bytes, layout, out);
  checkPnp(bytes, layout, options.manifest?.backend, out);
  checkStringPlacement(regions, [...regions.headerFields, ...regions.jumpPoints, ...slots, ...structures], out);

  const decoder = new X86Decoder(bytes, 32);
  try {
    const stubs = readStubs(bytes, layout, decoder, out);
    const bodies = checkBodies(bytes, regions, stubs, decoder, out, options.manifest?.shared ?? [], layout.filler);
    const relocs = checkRelocTable(bytes, layout, regions, stubs, out);
    checkStubRoles(stubs, bodies, regions.relocTable, relocs, out);
    checkChecksumByte(bytes, [...slots, ...regions.data, ...init16.code.map((c) => ({ name: "16-bit init code", ...c }))], bodies.codeMask, out);
    checkCoverage(bytes, layout, regions, slots, init16.code, bodies, decoder, out);
    if (options.manifest) checkManifest(bytes, layout, options.manifest, { stubs, bodies, relocs, regions }, options.ignoreImageHash ?? false, out);
  } finally {
    decoder.free();
  }
}

/** Strings may sit in the header's spare bytes, but not on fields, stubs or tables. */
function checkStringPlacement(regions: ImageRegions, occupied: NamedRegion[], out: ViolationSink): void {
  for (const s of regions.strings) {
    const hit = occupied.find((r) => regionsOverlap(s, r));
    if (hit)
      report(
        out,
        "string.overlap",
        s.name,
        s.offset,
        `a string clear of the ${hit.name}`,
        `${hex(s.offset)}+${s.size}`,
        `the ${s.name} overlaps the ${hit.name}`,
      );
  }
}

/** The builder fixes the checksum in the last byte, which must be padding, not part of anything. */
function checkChecksumByte(bytes: Uint8Array, regions: NamedRegion[], codeMask: Uint8Array, out: ViolationSink): void {
  const last = bytes.length - 1;
  if (last < 0) return;
  const hit = regions.find((r) => regionContains(r, last));
  if (hit || codeMask[last]) {
    report(
      out,
      "image.checksum-byte",
      "image",
      last,
      "a padding byte",
      hit ? hit.name : "code",
      "the last byte holds the checksum and must not belong to any structure or code",
    );
  }
}
