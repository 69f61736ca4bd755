// Where the fixed data structures of an image lie, found from the layout and from the pointers
// stored in the image itself. Code exploration uses this to tell data from code; the table checks
// use it to find overlaps.

import type { HeaderComputed, HeaderField, Layout } from "../layout/types.ts";
import { inImage, readCString, readU16, readUint } from "./image-bytes.ts";

export const PCIR_SIZE = 0x18;
export const PNP_SIZE = 0x20;
/** Magic (4), entry count (2), entry size (2). */
export const RELOC_HEADER_SIZE = 8;

export interface NamedRegion {
  name: string;
  offset: number;
  size: number;
}

export interface ImageRegions {
  /** [0, headerSize): fields, jump points and whatever the layout keeps in its reserved bytes. */
  header: NamedRegion;
  headerFields: NamedRegion[];
  jumpPoints: NamedRegion[];
  /** All slots, [base, base + count × size), including numbers without a call. */
  slotTable: NamedRegion;
  pcir: NamedRegion;
  pnp: NamedRegion;
  /** From the header's relocTableOffset field; absent when that points outside the image. */
  relocTable?: NamedRegion;
  /** NUL-terminated strings the header and $PnP point to (text plus NUL), when readable. */
  strings: NamedRegion[];
  /** Everything above that is not code a body may run through. */
  data: NamedRegion[];
}

export function headerField(layout: Layout, what: HeaderComputed): HeaderField | undefined {
  return layout.header.find((f) => f.source.kind === "computed" && f.source.what === what);
}

export function readComputedField(bytes: Uint8Array, layout: Layout, what: HeaderComputed): number | undefined {
  const field = headerField(layout, what);
  return field ? readUint(bytes, field.offset, field.size) : undefined;
}

export function relocTableSize(layout: Layout): number {
  return RELOC_HEADER_SIZE + layout.slots.count * layout.relocTable.entrySize;
}

export function regionContains(r: NamedRegion, offset: number): boolean {
  return offset >= r.offset && offset < r.offset + r.size;
}

export function regionsOverlap(a: { offset: number; size: number }, b: { offset: number; size: number }): boolean {
  return a.size > 0 && b.size > 0 && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

function stringRegion(bytes: Uint8Array, name: string, offset: number | undefined): NamedRegion | undefined {
  if (offset === undefined || offset === 0) return undefined;
  const s = readCString(bytes, offset);
  return s ? { name, offset, size: s.nul - offset + 1 } : undefined;
}

export function locateRegions(bytes: Uint8Array, layout: Layout): ImageRegions {
  const header = { name: "header", offset: 0, size: layout.headerSize };
  const headerFields = layout.header.map((f) => ({ name: `header field ${f.name}`, offset: f.offset, size: f.size }));
  const jumpPoints = layout.jumpPoints.map((j) => ({ name: `jump point ${j.role}`, offset: j.offset, size: j.size }));
  const slotTable = {
    name: "slot table",
    offset: layout.slots.base,
    size: layout.slots.count * layout.slots.size,
  };
  const pcir = { name: "PCIR", offset: layout.pci.offset, size: PCIR_SIZE };
  const pnp = { name: "$PnP", offset: layout.pnp.offset, size: PNP_SIZE };

  const relocOffset = readComputedField(bytes, layout, "relocTableOffset");
  const relocTable =
    relocOffset !== undefined && inImage(bytes, relocOffset, 1)
      ? { name: "relocation table", offset: relocOffset, size: Math.min(relocTableSize(layout), bytes.length - relocOffset) }
      : undefined;

  const strings: NamedRegion[] = [];
  const license = stringRegion(bytes, "license string", readComputedField(bytes, layout, "licenseOffset"));
  if (license) strings.push(license);
  const manufacturer = stringRegion(bytes, "manufacturer string", readU16(bytes, layout.pnp.offset + 0x0e));
  if (manufacturer) strings.push(manufacturer);
  const product = stringRegion(bytes, "product string", readU16(bytes, layout.pnp.offset + 0x10));
  if (product) strings.push(product);

  const data = [header, slotTable, pcir, pnp, ...(relocTable ? [relocTable] : []), ...strings];
  return { header, headerFields, jumpPoints, slotTable, pcir, pnp, relocTable, strings, data };
}
