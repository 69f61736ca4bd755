// The build manifest's JSON format (<rom>.json) as a zod schema; the Manifest type (types.ts) is derived from
// it. Only the manifest parser (parse.ts) imports this at run time, so zod stays out of code that only uses
// the types (the builder writes manifests without it).

import * as z from "zod";
import { RELOC_TYPES } from "../layout/types.ts";

export const regionSchema = z.object({ offset: z.number().int(), size: z.number().int() });
const region = regionSchema.shape;

export const placementSchema = z.enum([
  "inline", // the body fits its 32-byte slot
  "outOfLine", // the slot holds `jmp body; ud2`, the body follows the table
  "absent", // the backend does not implement it: defined stub, relocation NONE
  "image", // provided by the image machinery itself (GetRelocationInfo)
]);

export const manifestCallSchema = z.object({
  number: z.number().int(),
  name: z.string(),
  slot: z.object({ ...region, used: z.number().int() }),
  placement: placementSchema,
  /** Out-of-line body, when placement is "outOfLine". */
  body: regionSchema.optional(),
  /** Cold parts: code the body branches to, placed after the bodies (symbols cold_<Name>). */
  cold: z.array(regionSchema).optional(),
  /** Why the backend leaves the call out (placement "absent"), as the backend says it. */
  absentReason: z.string().optional(),
  reloc: z.enum(RELOC_TYPES),
  /** sha256 (hex) of the slot bytes followed by the body bytes, if any, then the cold parts' bytes. */
  sha256: z.string(),
});

export const manifestSchema = z.object({
  tool: z.literal("vmirom"),
  backend: z.string(),
  /** The hypervisor contract the backend speaks, when its program says (out-of-tree paravirtual backends). */
  hypervisor: z.enum(["vmware", "xen"]).optional(),
  layout: z.string(),
  api: z.object({ major: z.number().int(), minor: z.number().int() }),
  size: z.number().int(),
  sha256: z.string(),
  /** Header fields by name, decoded (numbers, or strings for ASCII fields). */
  header: z.record(z.string(), z.union([z.number(), z.string()])),
  pci: regionSchema,
  pnp: regionSchema,
  license: z.object({ ...region, text: z.string() }),
  relocTable: regionSchema,
  strings: z.array(regionSchema),
  /** The 16-bit init routine; sha256 of its bytes (the checker compares it when present). */
  init16: z.object({ ...region, sha256: z.string().optional() }),
  /**
   * Jump points (api3 0x80/0x88). `used`: bytes of code in it; `target` is the entry's own offset when the
   * body is inline; sha256 covers the jump point's bytes followed by its out-of-line body, if any.
   */
  jumpPoints: z.array(
    z.object({
      ...region,
      role: z.string(),
      target: z.number().int(),
      used: z.number().int().optional(),
      sha256: z.string().optional(),
      body: regionSchema.optional(),
    }),
  ),
  calls: z.array(manifestCallSchema),
  /** Shared routines; sha256 of each one's bytes (the checker compares it when present). */
  shared: z.array(z.object({ ...region, name: z.string(), sha256: z.string().optional() })),
});
