// What the builder knows once the image is laid out: the final bytes, the assembler's result (for the
// listing), and where every entry, body, routine and structure ended up. The manifest, the map and the
// listing are all rendered from this one value.

import type { AssembleResult } from "../asm/index.ts";
import type { CallDef, JumpPoint, Layout } from "../layout/types.ts";
import type { Region } from "../manifest/types.ts";
import type { PlannedEntry } from "./plan.ts";

export type Assembled = Extract<AssembleResult, { ok: true }>;

export interface PlacedEntry extends PlannedEntry {
  /** Bytes of the slot or jump point in use before the filler. */
  used: number;
  /** The out-of-line body. */
  body?: Region;
  /** Cold parts of the body (BodyContext.cold), in the order they were filed. */
  cold?: Region[];
  /** Where the entry's code starts (the slot itself when inline). */
  codeOffset?: number;
}

/** The entry of a layout call (its slot). */
export const isCallEntry = (e: PlacedEntry): e is PlacedEntry & { call: CallDef } => e.call !== undefined;
/** The entry of a jump point. */
export const isJumpPointEntry = (e: PlacedEntry): e is PlacedEntry & { jumpPoint: JumpPoint } => e.jumpPoint !== undefined;

export interface LaidOutImage {
  layout: Layout;
  backend: string;
  /** The program's `hypervisor`, when it names one. */
  hypervisor?: "vmware" | "xen";
  /** The final image: padded, patched and checksummed. */
  bytes: Uint8Array;
  /** The assembled program, with `bytes` the final image. */
  assembled: Assembled;
  entries: PlacedEntry[];
  shared: Array<Region & { name: string }>;
  pci: Region;
  pnp: Region;
  relocTable: Region;
  license: Region & { text: string };
  manufacturer: Region & { text: string };
  product: Region & { text: string };
  init16: Region;
}
