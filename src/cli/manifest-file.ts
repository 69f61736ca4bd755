// Reading a build manifest (<rom>.json) for `vmirom check --manifest`: JSON, then its shape (zod), so the
// checker gets a Manifest or the user gets one message naming the file and the path inside it.

import * as z from "zod";
import { diag, type Result } from "../diagnostics.ts";
import type { Manifest } from "../manifest.ts";
import { readText } from "./files.ts";

const region = { offset: z.number().int(), size: z.number().int() };
const relocType = z.enum(["NONE", "CALL_REL", "JUMP_REL", "NOP"]);

const manifestSchema = z.object({
  tool: z.literal("vmirom"),
  backend: z.string(),
  layout: z.string(),
  api: z.object({ major: z.number().int(), minor: z.number().int() }),
  size: z.number().int(),
  sha256: z.string(),
  header: z.record(z.string(), z.union([z.number(), z.string()])),
  pci: z.object(region),
  pnp: z.object(region),
  license: z.object({ ...region, text: z.string() }),
  relocTable: z.object(region),
  strings: z.array(z.object(region)),
  init16: z.object({ ...region, sha256: z.string().optional() }),
  // Loose: the builder also records each jump point's sha256 and body, which the checker verifies.
  jumpPoints: z.array(z.looseObject({ ...region, role: z.string(), target: z.number().int() })),
  calls: z.array(
    z.object({
      number: z.number().int(),
      name: z.string(),
      slot: z.object({ ...region, used: z.number().int() }),
      placement: z.enum(["inline", "outOfLine", "absent", "image"]),
      body: z.object(region).optional(),
      // Kept, not stripped: the call's sha256 covers the cold parts' bytes too.
      cold: z.array(z.object(region)).optional(),
      absentReason: z.string().optional(),
      reloc: relocType,
      sha256: z.string(),
    }),
  ),
  shared: z.array(z.object({ ...region, name: z.string(), sha256: z.string().optional() })),
});

export function loadManifest(file: string): Result<Manifest> {
  const text = readText(file, "manifest");
  if (!text.ok) return text;
  let json: unknown;
  try {
    json = JSON.parse(text.value);
  } catch (e) {
    return { ok: false, errors: [diag("CLI_MANIFEST_JSON", `the manifest is not JSON: ${e instanceof Error ? e.message : String(e)}`, { file })] };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    return { ok: false, errors: [diag("CLI_MANIFEST_SHAPE", `not a vmirom manifest: ${issue.message}`, { file, path: path || "(top)" })] };
  }
  return { ok: true, value: parsed.data as Manifest };
}
