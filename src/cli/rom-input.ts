// Reading a ROM image named on the command line with the layout that describes it (--layout, --api, or
// the image's version byte) and, optionally, its build manifest: one error line per problem, no stack.

import { existsSync } from "node:fs";
import { diag, type Result } from "../diagnostics.ts";
import type { Layout } from "../layout/types.ts";
import type { Manifest } from "../manifest/types.ts";
import { readBytes } from "./files.ts";
import { layoutForImage } from "./layouts.ts";
import { loadManifest } from "./manifest-file.ts";

export interface RomInput {
  bytes: Uint8Array;
  layout: Layout;
  manifest?: Manifest;
  /** Where the manifest came from: given with --manifest, or the ROM's sibling <name>.json. */
  manifestFile?: string;
}

export interface RomInputArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  /** Use <rom>.json when --manifest is not given and that file exists. */
  siblingManifest?: boolean;
}

export function readRomInput(args: RomInputArgs): Result<RomInput> {
  const bytes = readBytes(args.rom, "ROM image");
  if (!bytes.ok) return bytes;
  const b = bytes.value;
  if (b.length < 2 || b[0] !== 0x55 || b[1] !== 0xaa) {
    return { ok: false, errors: [diag("CLI_NOT_A_ROM", "not an option ROM: the file does not start with 55 AA", { file: args.rom, offset: 0 })] };
  }
  const layout = layoutForImage(b, args.rom, args.api, args.layout);
  if (!layout.ok) return layout;
  let manifestFile = args.manifest;
  if (manifestFile === undefined && args.siblingManifest) {
    const sibling = args.rom.replace(/\.rom$/i, "") + ".json";
    if (sibling !== args.rom && existsSync(sibling)) manifestFile = sibling;
  }
  if (manifestFile === undefined) return { ok: true, value: { bytes: b, layout: layout.value } };
  const m = loadManifest(manifestFile);
  if (!m.ok) return m;
  return { ok: true, value: { bytes: b, layout: layout.value, manifest: m.value, manifestFile } };
}
