// Which layouts a command works with: the one named by --layout, those with a given API major version, or
// the one matching an image's version byte.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diag, type Result } from "../diagnostics.ts";
import type { Layout } from "../layout/types.ts";
import { findLayoutsDir, listLayoutNames, loadLayout, loadLayoutByName } from "./load-layout.ts";

/** Every layout in the layouts directory, by API version; the first bad one is an error. */
export function loadAllLayouts(): Result<Layout[]> {
  const dir = findLayoutsDir();
  if (!dir.ok) return dir;
  const layouts: Layout[] = [];
  for (const name of listLayoutNames(dir.value)) {
    const r = loadLayoutByName(name, dir.value);
    if (!r.ok) return r;
    layouts.push(r.value);
  }
  layouts.sort((x, y) => x.version.major - y.version.major || x.name.localeCompare(y.name));
  return { ok: true, value: layouts };
}

/** --layout <file>, else the layouts whose major version is `api` ("all": every layout). */
export function selectLayouts(api: string, file: string | undefined): Result<Layout[]> {
  if (file !== undefined) {
    const r = loadLayout(file);
    return r.ok ? { ok: true, value: [r.value] } : r;
  }
  const all = loadAllLayouts();
  if (!all.ok) return all;
  if (api === "all") return all;
  const chosen = all.value.filter((l) => String(l.version.major) === api);
  if (chosen.length === 0) {
    return { ok: false, errors: [diag("CLI_UNKNOWN_API", `no layout has API major version ${JSON.stringify(api)}; available: ${versions(all.value)}`)] };
  }
  return { ok: true, value: chosen };
}

/** The layout for an image: --api if given, else the API major version in byte 0x0D. */
export function layoutForImage(bytes: Uint8Array, file: string, api: string | undefined, layoutFile: string | undefined): Result<Layout> {
  if (layoutFile !== undefined) return loadLayout(layoutFile);
  const major = api ?? (bytes.length > 0x0d ? String(bytes[0x0d]) : undefined);
  // One image needs one layout: when the files' own version numbers name exactly one, only that one is checked
  // in full (the schema and semantic checks are most of a short command's work). Otherwise every layout is
  // loaded, so that a broken file or an unknown version is reported as before.
  const only = major === undefined ? undefined : layoutNamingMajor(major);
  if (only !== undefined) return loadLayoutByName(only.name, only.dir);
  const all = loadAllLayouts();
  if (!all.ok) return all;
  const found = all.value.find((l) => String(l.version.major) === major);
  if (found) return { ok: true, value: found };
  const why =
    api !== undefined ? `--api ${api}` : major === undefined ? "the file is too short to hold a VMI header" : `byte 0x0D (API major version) is ${major}`;
  return { ok: false, errors: [diag("CLI_UNKNOWN_API", `no layout for this image: ${why}; available: ${versions(all.value)} (use --api)`, { file })] };
}

/** The one layout file whose version.major (a number or a "0x" string, as the schema reads it) is `major`. */
function layoutNamingMajor(major: string): { name: string; dir: string } | undefined {
  const dir = findLayoutsDir();
  if (!dir.ok) return undefined;
  const hits: string[] = [];
  for (const name of listLayoutNames(dir.value)) {
    let m: unknown;
    try {
      m = (JSON.parse(readFileSync(join(dir.value, `${name}.json`), "utf8").replace(/^\uFEFF/, "")) as { version?: { major?: unknown } }).version?.major;
    } catch {
      return undefined; // unreadable or not JSON: loadAllLayouts reports it
    }
    const n = typeof m === "number" ? m : typeof m === "string" && /^-?0x[0-9a-f]+$/i.test(m) ? parseInt(m, 16) : NaN;
    if (String(n) === major) hits.push(name);
  }
  const [name, ...others] = hits;
  return name !== undefined && others.length === 0 ? { name, dir: dir.value } : undefined;
}

function versions(layouts: Layout[]): string {
  return layouts.map((l) => `${l.name} (major ${l.version.major})`).join(", ") || "none";
}
