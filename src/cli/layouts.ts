// Which layouts a command works with: the one named by --layout, those with a given API major version, or
// the one matching an image's version byte.

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
  const all = loadAllLayouts();
  if (!all.ok) return all;
  const major = api ?? (bytes.length > 0x0d ? String(bytes[0x0d]) : undefined);
  const found = all.value.find((l) => String(l.version.major) === major);
  if (found) return { ok: true, value: found };
  const why = api !== undefined ? `--api ${api}` : major === undefined ? "the file is too short to hold a VMI header" : `byte 0x0D (API major version) is ${major}`;
  return { ok: false, errors: [diag("CLI_UNKNOWN_API", `no layout for this image: ${why}; available: ${versions(all.value)} (use --api)`, { file })] };
}

function versions(layouts: Layout[]): string {
  return layouts.map((l) => `${l.name} (major ${l.version.major})`).join(", ") || "none";
}
