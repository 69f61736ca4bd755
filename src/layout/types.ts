// The interface layout: everything the image builder and the checker need to know about one VMI
// interface (api3 or api13), as plain data. Loaded from layouts/<name>.json and validated at the
// CLI edge (src/cli/load-layout.ts); the core only ever sees this type.

export type RelocType = "NONE" | "CALL_REL" | "JUMP_REL" | "NOP";

/** Numeric values of the relocation types in the 8-byte record GetRelocationInfo returns. */
export const RELOC_VALUES: Readonly<Record<RelocType, number>> = {
  NONE: 0,
  CALL_REL: 1,
  JUMP_REL: 2,
  NOP: 3,
};

/**
 * Where a header field's value comes from.
 * - const: a fixed number (little-endian in `size` bytes)
 * - ascii: fixed bytes given as an ASCII string of exactly `size` characters
 * - computed: filled by the builder from the laid-out image (see HeaderComputed)
 * - reserved: zero; the guests never read it
 */
export type HeaderSource =
  | { kind: "const"; value: number }
  | { kind: "ascii"; value: string }
  | { kind: "computed"; what: HeaderComputed }
  | { kind: "reserved" };

export type HeaderComputed =
  | "romLength" // image size / 512
  | "romEntry" // the 16-bit init entry code (offset 3, size 4)
  | "licenseOffset" // offset of the NUL-terminated license string
  | "pciOffset" // offset of the PCIR structure
  | "pnpOffset" // offset of the $PnP header
  | "relocTableOffset" // offset of the relocation table (see RelocTableFormat)
  | "jumpSlots"; // number of stub slots

export interface HeaderField {
  name: string;
  offset: number;
  size: 1 | 2 | 4;
  source: HeaderSource;
  /** True when no guest reads the field: the checker may ignore changes to it. */
  inert: boolean;
}

/** A fixed jump point in the header (api3: VMI_Init at 0x80, GetRelocationInfo at 0x88). */
export interface JumpPoint {
  role: "init" | "getRelocationInfo";
  offset: number;
  size: number;
}

export interface CallDef {
  number: number;
  name: string;
  /** Registers in, as the interface documents them (e.g. "EAX=pte, EDX=ptep, ECX=flags"). */
  args: string;
  /** Registers out (e.g. "EDX:EAX"), or "" for none. */
  returns: string;
  /** Relocation types a ROM may answer for this call; the first is the preferred one. */
  relocs: RelocType[];
  /** How guests use it (free text from the interface notes, e.g. "patched", "fill", "wrap"). */
  use: string;
  /** Calls the image machinery provides itself, whatever the backend. */
  role?: "init" | "getRelocationInfo";
}

export interface SlotTable {
  /** Offset of slot 0 from the ROM start (api13: 0, slots 0-3 overlap the header). */
  base: number;
  /** Bytes per slot (32). */
  size: number;
  /** Number of slots, = highest call number + 1. */
  count: number;
}

export interface PciData {
  offset: number; // where the PCIR structure sits in the image
  vendor: number;
  device: number;
  classCode: [number, number, number]; // prog-if, subclass, base class (byte order in the image)
  revision: number; // structure revision
  codeRevision: number; // Linux prints byte 1 . byte 0 as the ROM version
}

export interface PnpData {
  offset: number; // where the $PnP header sits in the image
  deviceId: number;
  deviceType: [number, number, number];
  indicators: number;
  manufacturer: string;
  product: string;
}

/**
 * The relocation table the ROM's GetRelocationInfo answers from. It starts with `magic`
 * (4 ASCII bytes), then u16 entry count, u16 entry size (4), then one entry per call number
 * 0..count-1: u16 target offset from the ROM start, u8 relocation type, u8 zero.
 * Its offset is the header field computed as "relocTableOffset".
 */
export interface RelocTableFormat {
  magic: string;
  entrySize: 4;
}

export interface Layout {
  name: string; // "api3" | "api13"
  description: string;
  version: { major: number; minor: number };
  /** Largest image the interface allows, in bytes (a multiple of 512). */
  maxImageSize: number;
  /** Byte that fills unused slot space (0xCC = int3). */
  filler: number;
  /** Linear address the hypervisor owns from (api3 header field virtual_top; shared area). */
  virtualTop: number;
  /**
   * Where guests call the ROM once paging is on (api13: 0xFFC00000, page-directory entry 1023): a 4 MiB-aligned
   * linear alias of physical 0-4 MiB inside the top area from `virtualTop` up. With it, GetRelocationInfo answers
   * highAlias + the entry's physical address while CR0.PG is set and the physical address while it is clear, so
   * the answers stay valid after a guest drops its identity map (Sanos). Someone must map the alias: the native
   * ROM's Init does, a paravirtual ROM's hypervisor does (docs/hypervisors.md). Absent (api3): answers are
   * relative to wherever the ROM runs (Linux calls it through its lowmem alias, which stays mapped).
   */
  highAlias?: number;
  license: string;
  header: HeaderField[];
  /** Size of the header (fields and jump points) in bytes. */
  headerSize: number;
  jumpPoints: JumpPoint[];
  slots: SlotTable;
  calls: CallDef[];
  pci: PciData;
  pnp: PnpData;
  relocTable: RelocTableFormat;
}

/** Offset of call `n`'s slot from the ROM start. */
export function slotOffset(layout: Layout, n: number): number {
  return layout.slots.base + n * layout.slots.size;
}
