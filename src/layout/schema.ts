// The layout's JSON format as a zod schema. The Layout type (types.ts) is derived from it, so the file format
// and the type cannot drift. Only the layout parser (parse.ts) imports this at run time: the rest of the code
// imports the types alone, which keeps zod out of every bundle chunk that does not parse a layout.

import * as z from "zod";
import { RELOC_TYPES } from "./relocations.ts";

// A command parses each layout once: compiling every object schema into a specialised function first (zod's
// default) costs more than it saves.
z.config({ jitless: true });

// JSON has no hex literals, so numbers may also be written as "0x..." strings.
const HEX = /^-?0x[0-9a-f]+$/i;

/** How a bad value is named in a message: JSON text for scalars, its kind otherwise. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return JSON.stringify(v);
}

const integer = z
  .union([z.number(), z.string()], { error: (iss) => `expected an integer (a JSON number or a hex string like "0x1F"), got ${describeValue(iss.input)}` })
  .transform((v, ctx): number => {
    const n = typeof v === "number" ? v : HEX.test(v) ? parseInt(v, 16) : NaN;
    if (Number.isSafeInteger(n)) return n;
    ctx.addIssue({ code: "custom", message: `expected an integer (a JSON number or a hex string like "0x1F"), got ${describeValue(v)}`, input: v });
    return z.NEVER;
  });

const fieldSize = integer.transform((n, ctx): 1 | 2 | 4 => {
  if (n === 1 || n === 2 || n === 4) return n;
  ctx.addIssue({ code: "custom", message: `a header field is 1, 2 or 4 bytes, got ${n}`, input: n });
  return z.NEVER;
});

const four = integer.transform((n, ctx): 4 => {
  if (n === 4) return n;
  ctx.addIssue({ code: "custom", message: `relocation table entries are 4 bytes, got ${n}`, input: n });
  return z.NEVER;
});

export const relocTypeSchema = z.enum(RELOC_TYPES);
export const roleSchema = z.enum(["init", "getRelocationInfo"]);
const byteTriple = z.tuple([integer, integer, integer]);

/**
 * What the builder computes for a header field:
 * romLength (image size / 512), romEntry (the 16-bit init entry code, offset 3, size 4), licenseOffset (the
 * NUL-terminated license string), pciOffset (the PCIR structure), pnpOffset (the $PnP header),
 * relocTableOffset (the relocation table, see RelocTableFormat), jumpSlots (number of stub slots).
 */
export const headerComputedSchema = z.enum(["romLength", "romEntry", "licenseOffset", "pciOffset", "pnpOffset", "relocTableOffset", "jumpSlots"]);

/**
 * Where a header field's value comes from.
 * - const: a fixed number (little-endian in `size` bytes)
 * - ascii: fixed bytes given as an ASCII string of exactly `size` characters
 * - computed: filled by the builder from the laid-out image (see headerComputedSchema)
 * - reserved: zero; the guests never read it
 */
export const headerSourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("const"), value: integer }),
  z.strictObject({ kind: z.literal("ascii"), value: z.string() }),
  z.strictObject({ kind: z.literal("computed"), what: headerComputedSchema }),
  z.strictObject({ kind: z.literal("reserved") }),
]);

export const headerFieldSchema = z.strictObject({
  name: z.string(),
  offset: integer,
  size: fieldSize,
  source: headerSourceSchema,
  /** True when no guest reads the field: the checker may ignore changes to it. */
  inert: z.boolean(),
});

/** A fixed jump point in the header (api3: VMI_Init at 0x80, GetRelocationInfo at 0x88). */
export const jumpPointSchema = z.strictObject({ role: roleSchema, offset: integer, size: integer });

export const callDefSchema = z.strictObject({
  number: integer,
  name: z.string(),
  /** Registers in, as the interface documents them (e.g. "EAX=pte, EDX=ptep, ECX=flags"). */
  args: z.string(),
  /** Registers out (e.g. "EDX:EAX"), or "" for none. */
  returns: z.string(),
  /** Relocation types a ROM may answer for this call; the first is the preferred one. */
  relocs: z.array(relocTypeSchema),
  /** How guests use it (free text from the interface notes, e.g. "patched", "fill", "wrap"). */
  use: z.string(),
  /** Calls the image machinery provides itself, whatever the backend. */
  role: roleSchema.optional(),
});

export const slotTableSchema = z.strictObject({
  /** Offset of slot 0 from the ROM start (api13: 0, slots 0-3 overlap the header). */
  base: integer,
  /** Bytes per slot (32). */
  size: integer,
  /** Number of slots, = highest call number + 1. */
  count: integer,
});

export const pciDataSchema = z.strictObject({
  /** Where the PCIR structure sits in the image. */
  offset: integer,
  vendor: integer,
  device: integer,
  /** prog-if, subclass, base class (byte order in the image). */
  classCode: byteTriple,
  /** Structure revision. */
  revision: integer,
  /** Linux prints byte 1 . byte 0 as the ROM version. */
  codeRevision: integer,
});

export const pnpDataSchema = z.strictObject({
  /** Where the $PnP header sits in the image. */
  offset: integer,
  deviceId: integer,
  deviceType: byteTriple,
  indicators: integer,
  manufacturer: z.string(),
  product: z.string(),
});

/**
 * The relocation table the ROM's GetRelocationInfo answers from. It starts with `magic`
 * (4 ASCII bytes), then u16 entry count, u16 entry size (4), then one entry per call number
 * 0..count-1: u16 target offset from the ROM start, u8 relocation type, u8 zero.
 * Its offset is the header field computed as "relocTableOffset".
 */
export const relocTableFormatSchema = z.strictObject({ magic: z.string(), entrySize: four });

export const layoutSchema = z.strictObject({
  /** "api3" | "api13" */
  name: z.string(),
  description: z.string(),
  version: z.strictObject({ major: integer, minor: integer }),
  /** Largest image the interface allows, in bytes (a multiple of 512). */
  maxImageSize: integer,
  /** Byte that fills unused slot space (0xCC = int3). */
  filler: integer,
  /** Linear address the hypervisor owns from (api3 header field virtual_top; shared area). */
  virtualTop: integer,
  /**
   * Where guests call the ROM once paging is on (api13: 0xFFC00000, page-directory entry 1023): a 4 MiB-aligned
   * linear alias of physical 0-4 MiB inside the top area from `virtualTop` up. With it, GetRelocationInfo answers
   * highAlias + the entry's physical address while CR0.PG is set and the physical address while it is clear, so
   * the answers stay valid after a guest drops its identity map (Sanos). Someone must map the alias: the native
   * ROM's Init does, a paravirtual ROM's hypervisor does (docs/hypervisors.md). Absent (api3): answers are
   * relative to wherever the ROM runs (Linux calls it through its lowmem alias, which stays mapped).
   */
  highAlias: integer.optional(),
  license: z.string(),
  /** Size of the header (fields and jump points) in bytes. */
  headerSize: integer,
  header: z.array(headerFieldSchema),
  jumpPoints: z.array(jumpPointSchema),
  slots: slotTableSchema,
  calls: z.array(callDefSchema),
  pci: pciDataSchema,
  pnp: pnpDataSchema,
  relocTable: relocTableFormatSchema,
});
