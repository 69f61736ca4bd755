// The option-ROM envelope SeaBIOS checks before running anything: signature, length byte,
// size granularity, the interface's size limit, and the 8-bit checksum over the whole image.

import type { Layout } from "../layout/types.ts";
import { byteSum, readU8 } from "./image-bytes.ts";
import { hex, hexBytes, report, type ViolationSink } from "./violation.ts";

export const ROM_BLOCK = 512;

export function checkRomFormat(bytes: Uint8Array, layout: Layout, out: ViolationSink): void {
  const size = bytes.length;
  if (readU8(bytes, 0) !== 0x55 || readU8(bytes, 1) !== 0xaa) {
    report(
      out,
      "image.signature",
      "image",
      0,
      "55 aa",
      hexBytes(bytes, 0, 2),
      "the image does not start with the option-ROM signature 55 AA; BIOS and guests skip it",
    );
  }
  if (size === 0 || size % ROM_BLOCK !== 0) {
    report(
      out,
      "image.size",
      "image",
      0,
      `a non-zero multiple of ${ROM_BLOCK} bytes`,
      `${size} bytes`,
      `the image size must be a whole number of ${ROM_BLOCK}-byte blocks`,
    );
  }
  if (size > layout.maxImageSize) {
    report(out, "image.too-large", "image", 0, `at most ${layout.maxImageSize} bytes`, `${size} bytes`, `the image is larger than ${layout.name} allows`);
  }
  const lengthByte = readU8(bytes, 2);
  // A size that is not a whole number of blocks is reported once, as image.size.
  if (lengthByte !== undefined && size % ROM_BLOCK === 0 && lengthByte * ROM_BLOCK !== size) {
    report(
      out,
      "image.length",
      "image",
      2,
      `${size / ROM_BLOCK} (size / ${ROM_BLOCK})`,
      String(lengthByte),
      `byte 2 (length in ${ROM_BLOCK}-byte blocks) does not match the image size of ${size} bytes; SeaBIOS refuses the ROM`,
    );
  }
  const slotEnd = layout.slots.base + layout.slots.count * layout.slots.size;
  const needed = Math.max(layout.headerSize, slotEnd);
  if (size < needed) {
    report(
      out,
      "image.truncated",
      "image",
      size,
      `at least ${hex(needed)} bytes (header and slot table)`,
      `${hex(size)} bytes`,
      "the image ends before the header and the slot table; the structures beyond its end cannot be checked",
    );
  }
  const sum = byteSum(bytes);
  if (size > 0 && sum !== 0) {
    report(
      out,
      "image.checksum",
      "image",
      size - 1,
      "0x00",
      hex(sum, 2),
      "the 8-bit sum of all bytes must be 0 (fix the last byte); SeaBIOS refuses a ROM with a bad checksum",
    );
  }
}
