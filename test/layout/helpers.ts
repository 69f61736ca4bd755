// Shared by the layout tests: the real layout files, and bad copies of them written to a temp dir.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const LAYOUTS_DIR = fileURLToPath(new URL("../../layouts", import.meta.url));

/** Raw JSON as read from a layout file; tests poke at it freely before writing a bad copy. */
// biome-ignore lint/suspicious/noExplicitAny: raw JSON that the tests break on purpose.
export type RawLayout = any;

export function rawLayout(name: "api3" | "api13"): RawLayout {
  return JSON.parse(readFileSync(join(LAYOUTS_DIR, `${name}.json`), "utf8"));
}

let dir: string | undefined;
/** A fresh temp dir per test file, shared by its cases. */
export function tempDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), "vmirom-layout-test-"));
  return dir;
}

let counter = 0;
/** Write `json` (an object, or raw text) to a new file in the temp dir; returns its path. */
export function writeTemp(json: unknown, stem = "bad"): string {
  const file = join(tempDir(), `${stem}-${++counter}.json`);
  writeFileSync(file, typeof json === "string" ? json : JSON.stringify(json, null, 2));
  return file;
}
