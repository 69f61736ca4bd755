// Reading a ROM image named on the command line with the layout that describes it (--layout, --api, or
// the image's version byte) and, optionally, its build manifest: one error line per problem, no stack.
// Every command that reads an image (info, list, check, map, diff, run) goes through `readRomInput`, so they
// all say the same about a file that is not a VMI ROM: what it is, and what it lacks.

import { diag, type Diagnostic, type Result } from "../diagnostics.ts";
import type { Layout } from "../layout/types.ts";
import type { Manifest } from "../manifest/types.ts";
import { readBytes, type SizeLimit } from "./files.ts";
import { layoutForImage, loadAllLayouts } from "./layouts.ts";
import { loadManifest } from "./manifest-file.ts";
import { derivePath, fsPath, showPath } from "./paths.ts";
import { existsSync } from "node:fs";

/** An option ROM's length byte counts 512-byte blocks: 255 of them is the most any option ROM can be. */
export const MAX_ROM_SIZE = 255 * 512;
export const ROM_LIMIT: SizeLimit = {
  bytes: MAX_ROM_SIZE,
  why: `the most an option ROM can be (${MAX_ROM_SIZE} bytes: 255 blocks of 512, its length byte's maximum)`,
};

export type RomInput = {
  bytes: Uint8Array;
  layout: Layout;
  /** Things the user should know (the layout asked for is not the one the image names). */
  notes: string[];
} & (
  | { manifest?: undefined; manifestFile?: undefined }
  | {
      manifest: Manifest;
      /** Where the manifest came from: given with --manifest, or the ROM's sibling <name>.json. */
      manifestFile: string;
    }
);

export interface RomInputArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  /** Use <rom>.json when --manifest is not given and that file exists. */
  siblingManifest?: boolean;
}

/** The image's bytes, checked to be a whole option ROM (not yet that it is a VMI one). */
export function readRomBytes(file: string): Result<Uint8Array> {
  const r = readBytes(file, "ROM image", ROM_LIMIT);
  if (!r.ok) return r;
  const problem = optionRomProblem(r.value, file === "-" ? "(standard input)" : showPath(file));
  return problem ? { ok: false, errors: [problem] } : r;
}

/** What keeps `b` from being a whole option ROM: empty, no 55 AA, a length byte of 0, or cut short. */
export function optionRomProblem(b: Uint8Array, file: string): Diagnostic | undefined {
  if (b.length === 0) return diag("CLI_NOT_A_ROM", "the file is empty", { file });
  if (b.length < 2 || b[0] !== 0x55 || b[1] !== 0xaa)
    return diag("CLI_NOT_A_ROM", "not an option ROM: the file does not start with 55 AA", { file, offset: 0 });
  const blocks = b[2];
  if (blocks === undefined || blocks === 0)
    return diag("CLI_NOT_A_ROM", "not a usable option ROM: its length byte (offset 2, in blocks of 512) is 0", { file, offset: 2 });
  const declared = blocks * 512;
  if (b.length < declared) {
    return diag("CLI_TRUNCATED", `the image is cut short: its length byte says ${blocks} blocks of 512 (${declared} bytes), the file has ${b.length}`, {
      file,
      offset: 2,
    });
  }
  return undefined;
}

/** The VMI signature a layout puts in the header (api3, api13: "cVmi" at 0x08), if it has one. */
function signatureOf(layout: Layout): { offset: number; text: string } | undefined {
  const f = layout.header.find((h) => h.source.kind === "ascii");
  return f && f.source.kind === "ascii" ? { offset: f.offset, text: f.source.value } : undefined;
}

function hasSignature(b: Uint8Array, layout: Layout): boolean {
  const s = signatureOf(layout);
  if (!s) return true;
  for (let i = 0; i < s.text.length; i++) if (b[s.offset + i] !== s.text.charCodeAt(i)) return false;
  return true;
}

/** "an option ROM, but not a VMI ROM: no "cVmi" signature at 0x08 (found …)". */
function notVmi(b: Uint8Array, layouts: readonly Layout[], file: string): Diagnostic {
  const sigs = [
    ...new Map(
      layouts
        .map(signatureOf)
        .filter((s) => s !== undefined)
        .map((s) => [`${s.text}@${s.offset}`, s]),
    ).values(),
  ];
  const what = sigs.map((s) => {
    const found = [...b.subarray(s.offset, s.offset + s.text.length)]
      .map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`))
      .join("");
    return `no ${JSON.stringify(s.text)} signature at 0x${s.offset.toString(16).padStart(2, "0")} (found "${found}")`;
  });
  return diag(
    "CLI_NOT_VMI",
    `an option ROM (55 AA, ${b[2]} blocks of 512), but not a VMI ROM: ${what.join(", ") || "no VMI signature"}; give --api or --layout to read it as one anyway`,
    { file },
  );
}

/**
 * The layout for the image: --layout or --api when given (with a note when the image names another
 * version), else the one byte 0x0D names — and then the image must carry that layout's signature.
 */
export function layoutForRom(b: Uint8Array, rom: string, api: string | undefined, layoutFile: string | undefined): Result<{ layout: Layout; notes: string[] }> {
  const file = rom === "-" ? "(standard input)" : showPath(rom);
  if (api !== undefined && layoutFile !== undefined) {
    return { ok: false, errors: [diag("CLI_USAGE", `--api ${api} and --layout both choose the layout; give one of them`)] };
  }
  const explicit = api !== undefined || layoutFile !== undefined;
  const layout = layoutForImage(b, file, api, layoutFile);
  if (!layout.ok) {
    // Unknown version byte: say first whether the file is a VMI ROM at all (the error path may load every layout).
    const all = !explicit ? loadAllLayouts() : undefined;
    if (all?.ok && !all.value.some((l) => hasSignature(b, l))) return { ok: false, errors: [notVmi(b, all.value, file)] };
    return layout;
  }
  const l = layout.value;
  if (!explicit) {
    if (!hasSignature(b, l)) return { ok: false, errors: [notVmi(b, [l], file)] };
    return { ok: true, value: { layout: l, notes: [] } };
  }
  const notes: string[] = [];
  const byte = b[0x0d];
  if (byte !== undefined && byte !== l.version.major) {
    notes.push(
      `${file} says API major version ${byte} (byte 0x0D), but is read with layout ${l.name} (major ${l.version.major}) as ${api !== undefined ? "--api" : "--layout"} asks; what follows may be meaningless`,
    );
  }
  if (!hasSignature(b, l)) notes.push(`${notVmi(b, [l], file).message.replace(/; give --api.*$/, "")}; read with layout ${l.name} as asked`);
  return { ok: true, value: { layout: l, notes } };
}

export function readRomInput(args: RomInputArgs): Result<RomInput> {
  const bytes = readRomBytes(args.rom);
  if (!bytes.ok) return bytes;
  const b = bytes.value;
  const chosen = layoutForRom(b, args.rom, args.api, args.layout);
  if (!chosen.ok) return chosen;
  const { layout, notes } = chosen.value;
  let manifestFile = args.manifest;
  if (manifestFile === undefined && args.siblingManifest && args.rom !== "-") {
    const toSibling = (rom: string): string => rom.replace(/\.rom$/i, "") + ".json";
    const sibling = toSibling(args.rom);
    derivePath(args.rom, sibling, toSibling);
    if (sibling !== args.rom && existsSync(fsPath(sibling))) manifestFile = sibling;
  }
  if (manifestFile === undefined) return { ok: true, value: { bytes: b, layout, notes } };
  const m = loadManifest(manifestFile);
  if (!m.ok) return m;
  return { ok: true, value: { bytes: b, layout, manifest: m.value, manifestFile, notes } };
}

/** Notes go to stderr, so that stdout stays the command's output. */
export function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`vmirom: note: ${n}\n`);
}
