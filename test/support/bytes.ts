// Corrupting an image on purpose: the tests flip bits at known offsets and expect the checker (or SeaBIOS) to
// notice. An offset outside the image is a mistake in the test, not a byte to skip.

/** XORs `mask` into bytes[offset]; throws when the offset is outside the array. */
export function flipBits(bytes: Uint8Array, offset: number, mask: number): void {
  const old = bytes[offset];
  if (old === undefined) throw new RangeError(`offset ${offset} is outside the ${bytes.length}-byte image`);
  bytes[offset] = old ^ mask;
}
