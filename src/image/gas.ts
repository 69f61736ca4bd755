// The whole image as GNU as source (<rom>.S): the assembler's program written back out as AT&T text, with a
// label for every layout header field. `as --32` + `ld -m elf_i386 -Ttext=0 --oformat=binary` give back the
// .rom byte for byte: the header values, sizes and checksums the builder patched after layout are written
// from the final bytes.

import { formatGas } from "../asm/index.ts";
import type { LaidOutImage } from "./laid-out.ts";
import { sha256Hex } from "./manifest.ts";

/** Symbol names of the layout's header fields, by offset (`header.<field>`, as in the listing). */
export function headerSymbols(image: LaidOutImage): Map<number, string[]> {
  const byOffset = new Map<number, string[]>();
  for (const f of image.layout.header) {
    const list = byOffset.get(f.offset) ?? [];
    list.push(`header.${f.name}`);
    byOffset.set(f.offset, list);
  }
  return byOffset;
}

export function renderGas(image: LaidOutImage, stem = `${image.backend}-api${image.layout.version.major}`): string {
  const { layout, bytes } = image;
  const preamble = [
    `vmirom: backend ${image.backend}, layout ${layout.name} (API ${layout.version.major}.${layout.version.minor}), ${bytes.length} bytes`,
    `sha256 ${sha256Hex(bytes)}`,
    "",
    "GNU as source of the whole image, written by vmirom from the program it assembled. To rebuild the ROM:",
    `  as --32 -o ${stem}.o ${stem}.S`,
    `  ld -m elf_i386 -e 0 -Ttext=0 --oformat=binary -o ${stem}.rom ${stem}.o`,
    "Header values that depend on the image size and the checksum bytes are written as numbers: change the",
    "code and they must be recomputed (vmirom build does that).",
  ];
  return formatGas(image.assembled, { labels: headerSymbols(image), preamble });
}
