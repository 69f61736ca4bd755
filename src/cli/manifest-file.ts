// Reading a build manifest (<rom>.json) for `vmirom check --manifest` and the readers: the file, then
// src/manifest/parse.ts, so the checker gets a Manifest or the user gets one message naming the file.

import type { Result } from "../diagnostics.ts";
import { parseManifest } from "../manifest/parse.ts";
import type { Manifest } from "../manifest/types.ts";
import { readText } from "./files.ts";

export function loadManifest(file: string): Result<Manifest> {
  const text = readText(file, "manifest");
  return text.ok ? parseManifest(text.value, file) : text;
}
