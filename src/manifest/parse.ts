// Manifest JSON text → a Manifest, or one diagnostic naming the file and the path inside it.

import { diag, type Result } from "../diagnostics.ts";
import { manifestSchema } from "./schema.ts";
import type { Manifest } from "./types.ts";

/** Parse manifest JSON text; `file` only labels the diagnostics. */
export function parseManifest(text: string, file: string): Result<Manifest> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [diag("CLI_MANIFEST_JSON", `the manifest is not JSON: ${e instanceof Error ? e.message : String(e)}`, { file })] };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    // biome-ignore lint/style/noNonNullAssertion: zod reports at least one issue for a failed parse
    const issue = parsed.error.issues[0]!;
    const path = issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
      .join("")
      .replace(/^\./, "");
    return { ok: false, errors: [diag("CLI_MANIFEST_SHAPE", `not a vmirom manifest: ${issue.message}`, { file, path: path || "(top)" })] };
  }
  return { ok: true, value: parsed.data };
}
