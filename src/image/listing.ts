// The .lst text: the assembler's objdump-style listing of the whole image (symbol headers, bytes, AT&T
// text, the TypeScript line that recorded each node), with a header naming each layout header field.

import { formatListing } from "../asm/index.ts";
import type { LaidOutImage } from "./laid-out.ts";
import { sha256Hex } from "./manifest.ts";

export function renderListing(image: LaidOutImage): string {
  const { layout, bytes } = image;
  const headers = new Map<number, string>();
  for (const f of layout.header) headers.set(f.offset, `header.${f.name}`);
  const intro = [
    `vmirom listing: backend ${image.backend}, layout ${layout.name} (API ${layout.version.major}.${layout.version.minor}), ${bytes.length} bytes`,
    `sha256 ${sha256Hex(bytes)}`,
    "",
  ];
  return intro.join("\n") + "\n" + formatListing({ ...image.assembled, bytes }, { headers });
}
