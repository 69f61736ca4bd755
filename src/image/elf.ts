// The image as an ELF32 i386 file for debuggers and binutils (<rom>.elf): the bytes in one .text section at
// address 0 (gdb's `add-symbol-file <rom>.elf <where the ROM is mapped>` moves it), a symbol for every layout
// header field (`header.<field>`) and every global label of the program (slots `stub_<Call>`, bodies
// `body_<Call>`, cold parts, shared routines, jump points, structures), and DWARF lines naming the TypeScript
// line that recorded each instruction and data item (the line the .lst shows).

import { encodeElf, programLines, programSymbols } from "../asm/index.ts";
import type { LaidOutImage } from "./laid-out.ts";

export function renderElf(image: LaidOutImage, stem = `${image.backend}-api${image.layout.version.major}`): Uint8Array {
  const r = image.assembled;
  const header = image.layout.header.map((f) => ({ name: `header.${f.name}`, offset: f.offset, size: f.size }));
  return encodeElf({
    bytes: image.bytes,
    address: r.origin,
    symbols: programSymbols(r, header),
    lines: programLines(r),
    name: stem,
    producer: "vmirom",
  });
}
