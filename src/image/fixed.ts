// Everything that sits at an offset the layout fixes (header fields, PCIR, $PnP, jump points, call slots)
// is a FixedItem. They are checked for overlaps, then recorded in offset order with org() in between, so
// that one Assembler program (and so one listing) covers the whole image.

import type { Assembler } from "../asm/index.ts";
import { diag, type Diagnostic } from "../diagnostics.ts";
import { hex } from "./plan.ts";

export interface FixedItem {
  /** For messages: "header field rom_length", "PCIR", "slot 47 SwapPxE". */
  what: string;
  /** The call an item belongs to, for diagnostics. */
  call?: string;
  offset: number;
  size: number;
  /** Records the item's bytes at its offset; what it leaves of `size` is filled with `padding`. */
  emit: (a: Assembler) => void;
  padding: number;
}

/** Node index ranges of what each item recorded, to tie assembler errors to items. */
export interface ItemNodes {
  item: FixedItem;
  first: number;
  end: number;
  /** Index of the org node that pads the item to its size: if it fails, the item overflowed. */
  padNode: number;
}

export function findOverlaps(items: readonly FixedItem[]): Diagnostic[] {
  const sorted = [...items].sort((x, y) => x.offset - y.offset || x.size - y.size);
  const errors: Diagnostic[] = [];
  for (const [i, cur] of sorted.entries()) {
    const prev = sorted[i - 1];
    if (!prev) continue;
    if (cur.offset < prev.offset + prev.size) {
      errors.push(
        diag(
          "IMAGE_OVERLAP",
          `${cur.what} at ${hex(cur.offset)} (${cur.size} bytes) overlaps ${prev.what} at ${hex(prev.offset)}..${hex(prev.offset + prev.size)}`,
          { offset: cur.offset, ...((cur.call ?? prev.call) ? { call: cur.call ?? prev.call } : {}) },
        ),
      );
    }
  }
  return errors;
}

/** Records the items in offset order; gaps between them are zero. Call findOverlaps first. */
export function emitFixedItems(a: Assembler, items: readonly FixedItem[]): ItemNodes[] {
  const out: ItemNodes[] = [];
  for (const item of [...items].sort((x, y) => x.offset - y.offset)) {
    a.org(item.offset, 0);
    const first = a.nodeCount;
    item.emit(a);
    const padNode = a.nodeCount;
    a.org(item.offset + item.size, item.padding);
    out.push({ item, first, end: a.nodeCount, padNode });
  }
  return out;
}
