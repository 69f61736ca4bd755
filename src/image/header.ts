// The option-ROM/VMI header fields as the layout declares them (const, ascii, computed, reserved), and
// the 16-bit init entry at offset 3 that the BIOS far-calls: a jmp to a routine placed after the bodies
// that returns with retf, leaving the ROM in place.

import { ax, type Assembler, type Label } from "../asm/index.ts";
import type { HeaderField, Layout } from "../layout/types.ts";
import type { FixedItem } from "./fixed.ts";

export interface HeaderRefs {
  init16: Label;
  license: Label;
  relocTable: Label;
}

/** Values only known once the image is laid out (romLength) are recorded as 0 and patched (see finish.ts). */
export function headerItems(layout: Layout, refs: HeaderRefs): FixedItem[] {
  return layout.header.map((field) => ({
    what: `header field ${field.name}`,
    offset: field.offset,
    size: field.size,
    padding: field.source.kind === "computed" && field.source.what === "romEntry" ? layout.filler : 0,
    emit: (a: Assembler) => emitField(a, layout, field, refs),
  }));
}

function emitField(a: Assembler, layout: Layout, field: HeaderField, refs: HeaderRefs): void {
  const src = field.source;
  switch (src.kind) {
    case "const":
      return emitNumber(a, field.size, src.value);
    case "ascii":
      return a.ascii(src.value);
    case "reserved":
      return a.fill(field.size, 0);
    case "computed":
      switch (src.what) {
        case "romEntry":
          a.bits(16);
          a.jmp(refs.init16);
          a.bits(32);
          return;
        case "romLength":
          return emitNumber(a, field.size, 0);
        case "licenseOffset":
          return emitNumber(a, field.size, refs.license);
        case "relocTableOffset":
          return emitNumber(a, field.size, refs.relocTable);
        case "pciOffset":
          return emitNumber(a, field.size, layout.pci.offset);
        case "pnpOffset":
          return emitNumber(a, field.size, layout.pnp.offset);
        case "jumpSlots":
          return emitNumber(a, field.size, layout.slots.count);
      }
  }
}

// Labels work as numbers here because the program's origin is 0: a label's value is its offset.
function emitNumber(a: Assembler, size: 1 | 2 | 4, value: number | Label): void {
  if (size === 1) a.db(value);
  else if (size === 2) a.dw(value);
  else a.dd(typeof value === "number" ? value >>> 0 : value);
}

/** The routine the init entry jumps to: SeaBIOS far-calls offset 3 in real mode; nothing to set up. */
export function emitInit16(a: Assembler, label: Label): void {
  a.bits(16);
  a.label(label);
  a.xor(ax, ax);
  a.retf();
  a.bits(32);
}
