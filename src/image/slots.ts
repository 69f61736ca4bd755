// Jump points and call slots: each holds its body inline followed by filler, or `jmp rel32 body; ud2` +
// filler when the body is out of line, or `ud2` + filler when the backend leaves the call out.
// Symbols: stub_<Name> at each slot, jump_<role> at each jump point, body_<Name> at out-of-line bodies.

import type { Assembler, Label } from "../asm/index.ts";
import type { Layout } from "../layout/types.ts";
import type { FixedItem } from "./fixed.ts";
import { jumpPointLabel, type PlannedEntry } from "./plan.ts";

export interface EntryLabels {
  /** Start of the entry's code wherever it is (the slot for inline bodies, the body otherwise). */
  body: Label;
  /** End of the body's code. */
  bodyEnd: Label;
}

export function entryItem(layout: Layout, entry: PlannedEntry, labels: EntryLabels | undefined, write: ((a: Assembler) => void) | undefined): FixedItem {
  const symbol = entry.jumpPoint ? jumpPointLabel(entry.jumpPoint.role) : `stub_${entry.name}`;
  const what = entry.call ? `slot ${entry.call.number} ${entry.name}` : `jump point ${entry.name}`;
  return {
    what,
    call: entry.name,
    offset: entry.offset,
    size: entry.size,
    padding: layout.filler,
    emit: (a: Assembler) => {
      a.label(symbol);
      if (!labels || !write) {
        a.ud2();
      } else if (entry.outOfLine) {
        a.jmp(labels.body, "long");
        a.ud2();
      } else {
        a.label(labels.body);
        write(a);
        a.label(labels.bodyEnd);
      }
    },
  };
}
