// Sums that make the image acceptable: the 8-bit sum of the whole image (SeaBIOS and the VMI spec require
// 0, fixed in the last byte) and the $PnP header's own checksum byte.

export const ROM_BLOCK = 512;

/** 8-bit sum of bytes[start, end). */
export function byteSum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (const b of bytes.subarray(start, end)) sum = (sum + b) & 0xff;
  return sum;
}

/** Sets bytes[at] so that bytes[start, end) sums to 0 mod 256. */
export function fixSum(bytes: Uint8Array, start: number, end: number, at: number): void {
  bytes[at] = 0;
  bytes[at] = (0x100 - byteSum(bytes, start, end)) & 0xff;
}

/** The image size for `content` bytes: room for the checksum byte, rounded up to whole 512-byte blocks. */
export function paddedSize(content: number): number {
  return Math.ceil((content + 1) / ROM_BLOCK) * ROM_BLOCK;
}
