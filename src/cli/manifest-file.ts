// Reading a build manifest (<rom>.json) for `vmirom check --manifest`: JSON, then its shape (zod), so the
// checker gets a Manifest or the user gets one message naming the file and the path inside it.

import * as z from "zod";
import { diag, type Result } from "../diagnostics.ts";
import type { Manifest } from "../manifest.ts";
import { readBytes } from "./files.ts";
import { showPath } from "./paths.ts";

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

/** Where the text stops being text: the first byte that is not UTF-8, or a control character JSON never holds. */
function binaryAt(bytes: Uint8Array): { offset: number; byte: number } | undefined {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: find the first byte that is not ASCII (near enough to show where), else the start.
    const i = bytes.findIndex((b) => b >= 0x80);
    return { offset: Math.max(0, i), byte: bytes[Math.max(0, i)]! };
  }
  const i = bytes.findIndex((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  return i < 0 ? undefined : { offset: i, byte: bytes[i]! };
}

export function loadManifest(file: string): Result<Manifest> {
  const where = { file: file === "-" ? "(standard input)" : showPath(file) };
  const bytes = readBytes(file, "manifest");
  if (!bytes.ok) return bytes;
  // Never echo a binary file's bytes to the terminal (JSON.parse's message quotes the text).
  const bin = binaryAt(bytes.value);
  if (bin) {
    const hex = `0x${bin.byte.toString(16).padStart(2, "0")}`;
    return { ok: false, errors: [diag("CLI_MANIFEST_JSON", `the manifest is not JSON: it is binary data (byte ${hex} at offset ${bin.offset}); a manifest is the <rom>.json the build wrote`, where)] };
  }
  const text = new TextDecoder().decode(bytes.value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // The message without the text it quotes (it may be long): where the parse stopped is enough.
    const m = (e instanceof Error ? e.message : String(e)).replace(/, ".*" is not valid JSON$/s, "").replace(/[^\x20-\x7e]/g, "?");
    return { ok: false, errors: [diag("CLI_MANIFEST_JSON", `the manifest is not JSON: ${m}`, where)] };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    return { ok: false, errors: [diag("CLI_MANIFEST_SHAPE", `not a vmirom manifest: ${issue.message}`, { ...where, path: path || "(top)" })] };
  }
  return { ok: true, value: parsed.data as Manifest };
}
