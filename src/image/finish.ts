// The last pass over the assembled bytes, like a linker's: the values that depend on the final image size
// (romLength fields, PCIR image length) and the two checksums ($PnP header, whole image) are written into
// the places the program recorded as 0.

import type { Layout } from "../layout/types.ts";
import { fixSum, ROM_BLOCK } from "./checksum.ts";
import { PCIR_IMAGE_LENGTH, PNP_CHECKSUM, PNP_SIZE } from "./pci-pnp.ts";

export function finishImage(bytes: Uint8Array, layout: Layout): void {
  const blocks = bytes.length / ROM_BLOCK;
  for (const f of layout.header) {
    if (f.source.kind === "computed" && f.source.what === "romLength") writeLE(bytes, f.offset, f.size, blocks);
  }
  writeLE(bytes, layout.pci.offset + PCIR_IMAGE_LENGTH, 2, blocks);
  fixSum(bytes, layout.pnp.offset, layout.pnp.offset + PNP_SIZE, layout.pnp.offset + PNP_CHECKSUM);
  fixSum(bytes, 0, bytes.length, bytes.length - 1);
}

function writeLE(bytes: Uint8Array, offset: number, size: number, value: number): void {
  for (let i = 0; i < size; i++) bytes[offset + i] = (value >>> (8 * i)) & 0xff;
}

/** A header field's value as stored: a number (little-endian), or the text of an ASCII field. */
export function readField(bytes: Uint8Array, offset: number, size: number, ascii: boolean): number | string {
  if (ascii) return String.fromCharCode(...bytes.subarray(offset, offset + size));
  return bytes.subarray(offset, offset + size).reduceRight((v, b) => v * 256 + b, 0);
}
