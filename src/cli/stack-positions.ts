// Source lines for listings when running from the bundle: the line table scripts/bundle.mjs writes next to
// the bundle (dist/vmirom.lines.json) turns a raw stack position in dist/*.mjs into "roms/x.ts:23" with a
// binary search, so the assembler can record a source line per instruction for a few µs (src/asm/source.ts).
// Run from the TypeScript sources (tsx, vitest) there is no table, and the assembler reads the stack text,
// which the runtime maps itself.
// biome-ignore-all lint/style/noNonNullAssertion: the table's arrays are read in bounds by construction (a segment's four numbers, a binary search), once per recorded node

import { readFileSync } from "node:fs";
import { setStackPositions } from "../asm/index.ts";

interface FileTable {
  sources: string[];
  /** Flat: generated line delta, column, source index (-1: not ours), original line delta. */
  seg: number[];
}

interface Lookup {
  line: Int32Array;
  col: Int32Array;
  src: Int32Array;
  orig: Int32Array;
  sources: string[];
  /** "path:line" strings, made once each. */
  names: Map<number, string>;
}

function decode(t: FileTable): Lookup {
  const n = t.seg.length / 4;
  const l: Lookup = { line: new Int32Array(n), col: new Int32Array(n), src: new Int32Array(n), orig: new Int32Array(n), sources: t.sources, names: new Map() };
  let line = 0,
    orig = 0;
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    line += t.seg[k]!;
    const s = t.seg[k + 2]!;
    if (s >= 0) orig += t.seg[k + 3]!;
    l.line[i] = line;
    l.col[i] = t.seg[k + 1]!;
    l.src[i] = s;
    l.orig[i] = s >= 0 ? orig : -1;
  }
  return l;
}

/** The last segment at or before (line, column 0-based), as Node's SourceMap.findEntry picks it. */
function find(l: Lookup, line: number, col: number): string | undefined {
  let lo = 0,
    hi = l.line.length - 1,
    at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (l.line[mid]! < line || (l.line[mid] === line && l.col[mid]! <= col)) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const src = l.src[at] ?? -1;
  if (src < 0) return undefined;
  const key = src * 0x1000000 + l.orig[at]!;
  let name = l.names.get(key);
  if (name === undefined) l.names.set(key, (name = `${l.sources[src]}:${l.orig[at]}`));
  return name;
}

let installed = false;

/** Installs the bundle's line table, when this code runs from a bundle that has one. */
export function useBundleLineTable(): void {
  if (installed) return;
  installed = true;
  let tables: Record<string, FileTable>;
  try {
    const json = JSON.parse(readFileSync(new URL("./vmirom.lines.json", import.meta.url), "utf8")) as { version: number; files: Record<string, FileTable> };
    if (json.version !== 1) return;
    tables = json.files;
  } catch {
    return; // not bundled: the assembler falls back to the stack text
  }
  const here = new URL(".", import.meta.url).href;
  const decoded = new Map<string, Lookup | null>();
  setStackPositions((file, line, column) => {
    let l = decoded.get(file);
    if (l === undefined) {
      const name = file.startsWith(here) ? file.slice(here.length) : "";
      const t = Object.hasOwn(tables, name) ? tables[name] : undefined;
      decoded.set(file, (l = t ? decode(t) : null));
    }
    return l ? find(l, line, column - 1) : undefined;
  });
}
