// The interface layout: everything the image builder and the checker need to know about one VMI
// interface (api3 or api13), as plain data. The types are those of the JSON format (schema.ts, imported
// for its types only: the core never loads zod); layouts are parsed and validated by parse.ts.

import type * as z from "zod";
import type * as S from "./schema.ts";

// The relocation types live in relocations.ts, which the schema imports too (no import circle).
export { RELOC_TYPES, RELOC_VALUES, relocTypeOf, type RelocType } from "./relocations.ts";

export type HeaderComputed = z.output<typeof S.headerComputedSchema>;
export type HeaderSource = z.output<typeof S.headerSourceSchema>;
export type HeaderField = z.output<typeof S.headerFieldSchema>;
export type JumpPoint = z.output<typeof S.jumpPointSchema>;
export type CallDef = z.output<typeof S.callDefSchema>;
export type SlotTable = z.output<typeof S.slotTableSchema>;
export type PciData = z.output<typeof S.pciDataSchema>;
export type PnpData = z.output<typeof S.pnpDataSchema>;
export type RelocTableFormat = z.output<typeof S.relocTableFormatSchema>;
export type Layout = z.output<typeof S.layoutSchema>;

/** Offset of call `n`'s slot from the ROM start. */
export function slotOffset(layout: Layout, n: number): number {
  return layout.slots.base + n * layout.slots.size;
}
