// File system access for the CLI: reading inputs with errors as diagnostics, and writing outputs so
// that a file either appears complete or not at all (temporary name in the same directory, then rename).

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { diag, type Result } from "../diagnostics.ts";

export function readBytes(file: string, what: string): Result<Uint8Array> {
  try {
    return { ok: true, value: new Uint8Array(readFileSync(file)) };
  } catch (e) {
    return { ok: false, errors: [diag("CLI_READ_FAILED", `cannot read the ${what}: ${reason(e)}`, { file })] };
  }
}

export function readText(file: string, what: string): Result<string> {
  const r = readBytes(file, what);
  return r.ok ? { ok: true, value: new TextDecoder().decode(r.value) } : r;
}

export function ensureDir(dir: string): Result<string> {
  try {
    mkdirSync(dir, { recursive: true });
    return { ok: true, value: dir };
  } catch (e) {
    return { ok: false, errors: [diag("CLI_OUT_DIR", `cannot create the output directory: ${reason(e)}`, { file: dir })] };
  }
}

/** Writes `data` to `file` through a temporary file in the same directory, so no partial file is ever visible. */
export function writeFileAtomic(file: string, data: string | Uint8Array): Result<string> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return { ok: true, value: file };
  } catch (e) {
    rmSync(tmp, { force: true });
    return { ok: false, errors: [diag("CLI_WRITE_FAILED", `cannot write the file: ${reason(e)}`, { file })] };
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
