// Reading a build manifest (<rom>.json) for `vmirom check --manifest` and the readers: the file, then
// src/manifest/parse.ts, so the checker gets a Manifest or the user gets one message naming the file.

import { diag, type Result } from "../diagnostics.ts";
import { parseManifest } from "../manifest/parse.ts";
import type { Manifest } from "../manifest/types.ts";
import { readBytes } from "./files.ts";
import { showPath } from "./paths.ts";

/** Where the text stops being text: the first byte that is not UTF-8, or a control character JSON never holds. */
function binaryAt(bytes: Uint8Array): { offset: number; byte: number } | undefined {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: the first byte that is not ASCII (near enough to show where; ASCII alone is UTF-8).
    return firstByte(bytes, (b) => b >= 0x80);
  }
  return firstByte(bytes, (b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
}

function firstByte(bytes: Uint8Array, test: (b: number) => boolean): { offset: number; byte: number } | undefined {
  for (const [offset, byte] of bytes.entries()) if (test(byte)) return { offset, byte };
  return undefined;
}

export function loadManifest(file: string): Result<Manifest> {
  const where = { file: file === "-" ? "(standard input)" : showPath(file) };
  const bytes = readBytes(file, "manifest");
  if (!bytes.ok) return bytes;
  // Never echo a binary file's bytes to the terminal (JSON.parse's message quotes the text).
  const bin = binaryAt(bytes.value);
  if (bin) {
    const hex = `0x${bin.byte.toString(16).padStart(2, "0")}`;
    return {
      ok: false,
      errors: [
        diag(
          "CLI_MANIFEST_JSON",
          `the manifest is not JSON: it is binary data (byte ${hex} at offset ${bin.offset}); a manifest is the <rom>.json the build wrote`,
          where,
        ),
      ],
    };
  }
  const parsed = parseManifest(new TextDecoder().decode(bytes.value), where.file);
  if (parsed.ok) return parsed;
  // JSON.parse's message quotes the text (it may be long): where the parse stopped is enough.
  const quiet = (m: string): string => m.replace(/, ".*" is not valid JSON$/s, "").replace(/[^\x20-\x7e]/g, "?");
  return { ok: false, errors: parsed.errors.map((e) => (e.code === "CLI_MANIFEST_JSON" ? { ...e, message: quiet(e.message) } : e)) };
}
