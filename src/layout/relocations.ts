// The relocation types GetRelocationInfo answers, spelled once: the layout types, the schema, the image
// builder and the checker all take them from here.

/** The relocation types, in the order of their numbers in GetRelocationInfo's 8-byte record (NONE = 0). */
export const RELOC_TYPES = ["NONE", "CALL_REL", "JUMP_REL", "NOP"] as const;
export type RelocType = (typeof RELOC_TYPES)[number];

/** Numeric values of the relocation types in the 8-byte record GetRelocationInfo returns. */
export const RELOC_VALUES: Readonly<Record<RelocType, number>> = Object.fromEntries(RELOC_TYPES.map((t, i) => [t, i])) as Record<RelocType, number>;

/** The relocation type a number in the record stands for, or undefined for any other number. */
export function relocTypeOf(value: number): RelocType | undefined {
  return RELOC_TYPES[value];
}
