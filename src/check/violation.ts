// One broken rule found by the checker, and the small helpers every rule module uses to report it.
// The checker collects all violations instead of stopping at the first, so each one carries enough
// context (region, offset, expected vs found) to be read on its own.

export interface Violation {
  /** Stable rule id, "<area>.<rule>", e.g. "pcir.vendor". */
  rule: string;
  /** Part of the image: "header", "pcir", "pnp", "slot 47 SwapPxE", "jump point init", "reloc", "body SwapPxE", "image". */
  region: string;
  /** Byte offset in the image where the problem is. */
  offset: number;
  expected: string;
  found: string;
  message: string;
}

/** Where rule modules put what they find. */
export type ViolationSink = Violation[];

export function report(sink: ViolationSink, rule: string, region: string, offset: number, expected: string, found: string, message: string): void {
  sink.push({ rule, region, offset, expected, found, message });
}

export function hex(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  return `${sign}0x${Math.abs(n).toString(16).padStart(digits, "0")}`;
}

/** "e9 10 02 00 00" for up to `max` bytes of `bytes` from `start` (clipped to the array). */
export function hexBytes(bytes: Uint8Array, start: number, length: number, max = 16): string {
  const end = Math.min(bytes.length, start + Math.min(length, max));
  const parts = Array.from(bytes.subarray(Math.max(0, start), Math.max(0, end)), (b) => b.toString(16).padStart(2, "0"));
  const clipped = length > max && end - start === max ? " …" : "";
  return parts.length ? parts.join(" ") + clipped : "(no bytes)";
}

/** A JSON-ish quoted string safe to print whatever bytes it came from. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
