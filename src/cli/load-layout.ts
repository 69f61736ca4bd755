// The edge where layout JSON files become Layout values: find and read the file; parsing and checking are
// src/layout/parse.ts's. Nothing here throws on bad input; every problem comes back as a Diagnostic.

import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diag, type Result } from "../diagnostics.ts";
import { readBytes } from "./files.ts";
import type { Layout } from "../layout/types.ts";
import { parseLayout } from "../layout/parse.ts";

/** Read and check one layout file: the first failing stage's diagnostics (read, JSON, shape, semantics). */
export function loadLayout(file: string): Result<Layout> {
  // Through readBytes: the name as typed (paths.ts), and a size limit (--layout /dev/zero ends).
  const bytes = readBytes(file, "layout file");
  if (!bytes.ok) {
    return { ok: false, errors: bytes.errors.map((e) => diag(e.code === "CLI_READ_FAILED" ? "LAYOUT_READ_FAILED" : e.code, e.message, { file })) };
  }
  const text = new TextDecoder().decode(bytes.value);
  // Editors on some systems save a byte-order mark, which JSON.parse rejects.
  return parseLayout(text.replace(/^\uFEFF/, ""), file);
}

const LAYOUTS_DIR_ENV = "VMIROM_LAYOUTS";

/**
 * The layouts/ directory: $VMIROM_LAYOUTS if set, else the first `layouts` directory holding
 * JSON files found walking up from `start` (default: this module's directory, which is
 * src/cli/ from source and dist/ once bundled; then the running script's directory; then the
 * working directory).
 */
export function findLayoutsDir(start?: string): Result<string> {
  const fromEnv = process.env[LAYOUTS_DIR_ENV];
  if (fromEnv) {
    return isLayoutsDir(fromEnv)
      ? { ok: true, value: resolve(fromEnv) }
      : { ok: false, errors: [diag("LAYOUT_DIR_NOT_FOUND", `${LAYOUTS_DIR_ENV}=${fromEnv} is not a directory of layout JSON files`)] };
  }
  const starts = start !== undefined ? [start] : defaultStarts();
  const tried = new Set<string>();
  for (const s of starts) {
    for (let dir = resolve(s); ; dir = dirname(dir)) {
      const candidate = join(dir, "layouts");
      if (tried.has(candidate)) break; // an earlier start already walked up from here
      tried.add(candidate);
      if (isLayoutsDir(candidate)) return { ok: true, value: candidate };
      if (dirname(dir) === dir) break;
    }
  }
  return {
    ok: false,
    errors: [diag("LAYOUT_DIR_NOT_FOUND", `no layouts/ directory found (set ${LAYOUTS_DIR_ENV}); looked in ${[...tried].join(", ")}`)],
  };
}

function defaultStarts(): string[] {
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // Bundled to a format without import.meta.url: the running script's path still leads there.
  }
  if (process.argv[1]) starts.push(dirname(resolve(process.argv[1])));
  starts.push(process.cwd());
  return starts;
}

function isLayoutsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && readdirSync(dir).some((f) => f.endsWith(".json"));
  } catch {
    return false;
  }
}

/** Names of the layouts available (file names without .json), sorted. */
export function listLayoutNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  } catch {
    return [];
  }
}

/** Load layouts/<name>.json, e.g. loadLayoutByName("api13"). */
export function loadLayoutByName(name: string, layoutsDir?: string): Result<Layout> {
  const dirResult: Result<string> = layoutsDir !== undefined ? { ok: true, value: layoutsDir } : findLayoutsDir();
  if (!dirResult.ok) return dirResult;
  const dir = dirResult.value;
  const file = join(dir, `${name}.json`);
  // A name is a plain file stem: no separators, so it cannot reach outside layouts/.
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".") || !existsSync(file)) {
    const known = listLayoutNames(dir);
    return {
      ok: false,
      errors: [diag("LAYOUT_UNKNOWN_NAME", `no layout named ${JSON.stringify(name)}; available: ${known.join(", ") || "none"}`, { file: dir })],
    };
  }
  const loaded = loadLayout(file);
  if (loaded.ok && loaded.value.name !== name) {
    return {
      ok: false,
      errors: [diag("LAYOUT_NAME_MISMATCH", `the layout in ${name}.json is named ${JSON.stringify(loaded.value.name)}`, { file, path: "name" })],
    };
  }
  return loaded;
}
