// The relocation table GetRelocationInfo answers from (format: layout.relocTable): magic, u16 entry count
// (= slot count), u16 entry size, then per call number a u16 target offset (the call's slot), a u8
// relocation type and a u8 zero. Numbers without a call and calls left out are all-zero (NONE).

import type { Assembler } from "../asm/index.ts";
import { RELOC_VALUES, type Layout, type RelocType } from "../layout/types.ts";

/** Magic (4), entry count (2), entry size (2). */
export const RELOC_HEADER_SIZE = 8;

export interface RelocAnswer {
  target: number;
  type: RelocType;
}

export function relocTableSize(layout: Layout): number {
  return RELOC_HEADER_SIZE + layout.slots.count * layout.relocTable.entrySize;
}

/** Records the table at the current position; `answers` maps call number → what to answer. */
export function emitRelocTable(a: Assembler, layout: Layout, answers: ReadonlyMap<number, RelocAnswer>): void {
  a.ascii(layout.relocTable.magic);
  a.dw(layout.slots.count, layout.relocTable.entrySize);
  for (let n = 0; n < layout.slots.count; n++) {
    const answer = answers.get(n);
    if (!answer || answer.type === "NONE") {
      a.dd(0);
      continue;
    }
    a.dw(answer.target);
    a.db(RELOC_VALUES[answer.type], 0);
  }
}
