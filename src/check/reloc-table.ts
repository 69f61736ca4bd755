// The relocation table GetRelocationInfo answers from: header, then one 4-byte entry per call
// number. Each entry must agree with the layout (allowed types) and with the slot it points to
// (absent stubs answer NONE, implemented ones point at their slot).

import { relocTypeOf, type Layout, type RelocType } from "../layout/types.ts";
import { inImage, readLatin1, readU16, readU8, readUint } from "./image-bytes.ts";
import { headerField, regionsOverlap, relocTableSize, RELOC_HEADER_SIZE, type ImageRegions } from "./image-regions.ts";
import type { Stub } from "./stubs.ts";
import { hex, hexBytes, quote, report, type ViolationSink } from "./violation.ts";

const REGION = "reloc";

export interface RelocEntry {
  number: number;
  target: number;
  type: number;
  typeName?: RelocType;
  /** The layout allows this type for the call (reloc.type reports it otherwise). */
  allowed: boolean;
}

/** Entries by call number, when the table could be read. */
export function checkRelocTable(bytes: Uint8Array, layout: Layout, regions: ImageRegions, stubs: Stub[], out: ViolationSink): Map<number, RelocEntry> {
  const entries = new Map<number, RelocEntry>();
  const field = headerField(layout, "relocTableOffset");
  if (!field) return entries; // the layout has no table (nothing to check against)
  const base = readUint(bytes, field.offset, field.size);
  const size = relocTableSize(layout);
  if (base === undefined || base === 0 || !inImage(bytes, base, size)) {
    report(
      out,
      "reloc.bounds",
      REGION,
      field.offset,
      `offset of a ${size}-byte table inside the image`,
      base === undefined ? "unreadable" : hex(base),
      `header field ${field.name} does not point to a relocation table inside the image`,
    );
    return entries;
  }
  // The table lies inside the image: its reads below cannot miss.
  const table = { offset: base, size };
  for (const r of [regions.header, regions.slotTable, regions.pcir, regions.pnp, ...regions.jumpPoints]) {
    if (regionsOverlap(table, r)) {
      report(
        out,
        "reloc.overlap",
        REGION,
        base,
        `a table clear of the ${r.name}`,
        `${hex(base)}..${hex(base + size)}`,
        `the relocation table overlaps the ${r.name}`,
      );
    }
  }
  const magic = readLatin1(bytes, base, 4)!;
  if (magic !== layout.relocTable.magic) {
    report(out, "reloc.magic", REGION, base, quote(layout.relocTable.magic), quote(magic), "wrong relocation table magic");
  }
  const count = readU16(bytes, base + 4)!;
  if (count !== layout.slots.count) {
    report(out, "reloc.count", REGION, base + 4, String(layout.slots.count), String(count), "the entry count must be the number of slots");
  }
  const entrySize = readU16(bytes, base + 6)!;
  if (entrySize !== layout.relocTable.entrySize) {
    report(out, "reloc.entry-size", REGION, base + 6, String(layout.relocTable.entrySize), String(entrySize), "wrong relocation entry size");
  }

  const callByNumber = new Map(layout.calls.map((c) => [c.number, c]));
  const stubByNumber = new Map(stubs.flatMap((s) => (s.number === undefined ? [] : [[s.number, s] as const])));
  for (let n = 0; n < layout.slots.count; n++) {
    const at = base + RELOC_HEADER_SIZE + n * layout.relocTable.entrySize;
    const target = readU16(bytes, at)!;
    const type = readU8(bytes, at + 2)!;
    const reserved = readU8(bytes, at + 3)!;
    const typeName = relocTypeOf(type);
    const call = callByNumber.get(n);
    entries.set(n, { number: n, target, type, typeName, allowed: typeName !== undefined && call !== undefined && call.relocs.includes(typeName) });
    if (!call) {
      if (target !== 0 || type !== 0 || reserved !== 0) {
        report(out, "reloc.unused-entry", REGION, at, "00 00 00 00", hexBytes(bytes, at, 4), `number ${n} has no call; its entry must be all zero`);
      }
      continue;
    }
    const what = `call ${n} ${call.name}`;
    if (reserved !== 0) report(out, "reloc.reserved", REGION, at + 3, "0x00", hex(reserved, 2), `the last byte of the entry for ${what} must be zero`);
    if (!typeName || !call.relocs.includes(typeName)) {
      report(out, "reloc.type", REGION, at + 2, call.relocs.join(" | "), typeName ?? hex(type, 2), `relocation type not allowed for ${what}`);
      continue;
    }
    const stub = stubByNumber.get(n);
    if (typeName === "NONE") {
      if (target !== 0) report(out, "reloc.target", REGION, at, "0x0000", hex(target, 4), `a NONE entry (${what}) must have target 0`);
      if (stub && (stub.kind === "inline" || stub.kind === "outOfLine")) {
        report(
          out,
          "reloc.none",
          REGION,
          at + 2,
          call.relocs.filter((r) => r !== "NONE").join(" | "),
          "NONE",
          `${what} is implemented (${stub.kind === "inline" ? "inline code" : "jmp to a body"} in ${stub.region}) but its relocation says NONE (absent)`,
        );
      }
      continue;
    }
    const slot = layout.slots.base + n * layout.slots.size;
    if (target !== slot) report(out, "reloc.target", REGION, at, hex(slot, 4), hex(target, 4), `the entry for ${what} must point at its slot`);
    if (stub?.kind === "absent") {
      report(out, "reloc.absent", REGION, at + 2, "NONE", typeName, `${what} is absent (ud2) but its relocation says ${typeName}`);
    }
  }
  return entries;
}
