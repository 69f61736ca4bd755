// The build manifest (<rom>.json): what the builder says it laid out, as plain data.
// Written by the image machinery, read by the checker's --manifest rule and by reports.
// Shared here so that neither side imports the other.

import type { RelocType } from "./layout/types.ts";

export type Placement =
  | "inline" // the body fits its 32-byte slot
  | "outOfLine" // the slot holds `jmp body; ud2`, the body follows the table
  | "absent" // the backend does not implement it: defined stub, relocation NONE
  | "image"; // provided by the image machinery itself (GetRelocationInfo)

export interface Region {
  offset: number;
  size: number;
}

export interface ManifestCall {
  number: number;
  name: string;
  slot: Region & { used: number };
  placement: Placement;
  /** Out-of-line body, when placement is "outOfLine". */
  body?: Region;
  /** Why the backend leaves the call out (placement "absent"), as the backend says it. */
  absentReason?: string;
  /** Cold parts: code the body branches to, placed after the bodies (symbols cold_<Name>). */
  cold?: Region[];
  reloc: RelocType;
  /** sha256 (hex) of the slot bytes followed by the body bytes, if any, then the cold parts' bytes. */
  sha256: string;
}

export interface Manifest {
  tool: "vmirom";
  backend: string;
  layout: string;
  api: { major: number; minor: number };
  size: number;
  sha256: string;
  /** Header fields by name, decoded (numbers, or strings for ASCII fields). */
  header: Record<string, number | string>;
  pci: Region;
  pnp: Region;
  license: Region & { text: string };
  relocTable: Region;
  strings: Region[];
  /** The 16-bit init routine; sha256 of its bytes (the checker compares it when present). */
  init16: Region & { sha256?: string };
  /**
   * Jump points (api3 0x80/0x88). `used`: bytes of code in it; `target` is the entry's own offset when the
   * body is inline; sha256 covers the jump point's bytes followed by its out-of-line body, if any.
   */
  jumpPoints: Array<Region & { role: string; target: number; used?: number; sha256?: string; body?: Region }>;
  calls: ManifestCall[];
  /** Shared routines; sha256 of each one's bytes (the checker compares it when present). */
  shared: Array<Region & { name: string; sha256?: string }>;
}
