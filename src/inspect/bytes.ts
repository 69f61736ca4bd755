// Bounds-checked reads for inspecting an image that may be anything (a truncated file, not a ROM at all):
// a read outside the bytes gives undefined instead of throwing.

export function u8(b: Uint8Array, at: number): number | undefined {
  return at >= 0 && at < b.length ? b[at] : undefined;
}

export function uint(b: Uint8Array, at: number, size: number): number | undefined {
  if (at < 0 || at + size > b.length) return undefined;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

export function latin1(b: Uint8Array, at: number, size: number): string | undefined {
  if (at < 0 || at + size > b.length) return undefined;
  return String.fromCharCode(...b.subarray(at, at + size));
}

/** The NUL-terminated string at `at` (at most 256 characters), or undefined. */
export function cString(b: Uint8Array, at: number): string | undefined {
  if (at <= 0 || at >= b.length) return undefined;
  const end = b.indexOf(0, at);
  if (end < 0 || end - at > 256) return undefined;
  return String.fromCharCode(...b.subarray(at, end));
}

export function hexN(v: number | undefined, digits: number): string {
  return v === undefined ? "(outside the image)" : `0x${v.toString(16).padStart(digits, "0")}`;
}

export function hexBytes(b: Uint8Array, at: number, size: number): string {
  return [...b.subarray(Math.max(0, at), Math.max(0, at + size))].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}
