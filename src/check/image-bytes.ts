// Bounds-checked little-endian reads from the image. Every read the checker does goes through
// here, so an offset taken from corrupt bytes can never index outside the array or throw.

export function inImage(bytes: Uint8Array, offset: number, size = 1): boolean {
  return Number.isInteger(offset) && offset >= 0 && size >= 0 && offset + size <= bytes.length;
}

export function readU8(bytes: Uint8Array, offset: number): number | undefined {
  return inImage(bytes, offset, 1) ? bytes[offset] : undefined;
}

export function readU16(bytes: Uint8Array, offset: number): number | undefined {
  if (!inImage(bytes, offset, 2)) return undefined;
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

export function readU32(bytes: Uint8Array, offset: number): number | undefined {
  if (!inImage(bytes, offset, 4)) return undefined;
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function readUint(bytes: Uint8Array, offset: number, size: number): number | undefined {
  if (size === 1) return readU8(bytes, offset);
  if (size === 2) return readU16(bytes, offset);
  if (size === 4) return readU32(bytes, offset);
  return undefined;
}

export function readInt32(bytes: Uint8Array, offset: number): number | undefined {
  const v = readU32(bytes, offset);
  return v === undefined ? undefined : v | 0;
}

/** Bytes as text, one char per byte (latin1), so any byte value shows up in messages. */
export function readLatin1(bytes: Uint8Array, offset: number, length: number): string | undefined {
  if (!inImage(bytes, offset, length)) return undefined;
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[offset + i]!);
  return s;
}

export interface CString {
  text: string;
  /** Offset of the terminating NUL. */
  nul: number;
}

/** A NUL-terminated string starting at `offset`, or undefined if it has no NUL inside the image. */
export function readCString(bytes: Uint8Array, offset: number, maxLength = 256): CString | undefined {
  if (!inImage(bytes, offset, 1)) return undefined;
  const end = Math.min(bytes.length, offset + maxLength + 1);
  let s = "";
  for (let i = offset; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0) return { text: s, nul: i };
    s += String.fromCharCode(b);
  }
  return undefined;
}

/** 8-bit sum of bytes[start, end). */
export function byteSum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  const stop = Math.min(end, bytes.length);
  for (let i = Math.max(0, start); i < stop; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}
