// The relocation types GetRelocationInfo answers, apart from types.ts so that schema.ts can use them without
// importing the module that imports its types (test/asm/structure.test.ts: no import cycle in src/).

/** The relocation types, in the order of their numbers in GetRelocationInfo's 8-byte record (NONE = 0). */
export const RELOC_TYPES = ["NONE", "CALL_REL", "JUMP_REL", "NOP"] as const;
export type RelocType = (typeof RELOC_TYPES)[number];

/** Numeric values of the relocation types in the 8-byte record GetRelocationInfo returns. */
export const RELOC_VALUES: Readonly<Record<RelocType, number>> = Object.fromEntries(RELOC_TYPES.map((t, i) => [t, i])) as Record<RelocType, number>;

/** The relocation type a number in the record stands for, or undefined for any other number. */
export function relocTypeOf(value: number): RelocType | undefined {
  return RELOC_TYPES[value];
}
