// vmirom info / vmirom list: decode an image for a reader (header fields, structures, slot summary; or an
// objdump-style listing), with the layout picked from the image's version byte or --api.

import { createHash } from "node:crypto";
import { basename } from "node:path";
import { diag, type Diagnostic } from "../../diagnostics.ts";
import type { Manifest } from "../../manifest/types.ts";
import { describeImage } from "../../inspect/info.ts";
import { disassembleImage } from "../../inspect/disassemble.ts";
import { showPath } from "../paths.ts";
import { EXIT_BAD_INPUT, EXIT_OK, printErrors } from "../report.ts";
import { printNotes, readRomInput, type RomInput } from "../rom-input.ts";

export interface InspectArgs {
  rom: string;
  api?: string;
  layout?: string;
  /** list: the build manifest (default: <rom>.json beside the ROM). */
  manifest?: string;
  /** list: objdump's -M (intel, att). */
  disassemblerOptions?: string;
}

function load(args: InspectArgs, siblingManifest = false): RomInput | undefined {
  const input = readRomInput({
    rom: args.rom,
    ...(args.api !== undefined ? { api: args.api } : {}),
    ...(args.layout !== undefined ? { layout: args.layout } : {}),
    ...(args.manifest !== undefined ? { manifest: args.manifest } : {}),
    siblingManifest,
  });
  if (!input.ok) {
    printErrors(input.errors);
    return undefined;
  }
  printNotes(input.value.notes);
  return input.value;
}

const nameOf = (rom: string): string => (rom === "-" ? "(standard input)" : basename(showPath(rom)));

export function runInfo(args: InspectArgs): number {
  const loaded = load(args);
  if (!loaded) return EXIT_BAD_INPUT;
  process.stdout.write(describeImage(loaded.bytes, loaded.layout, nameOf(args.rom)));
  return EXIT_OK;
}

/** objdump's -M: a comma-separated list; vmirom knows the syntax choice. */
function syntaxOf(options: string | undefined): "att" | "intel" | Diagnostic {
  let syntax: "att" | "intel" = "att";
  for (const o of (options ?? "").split(",").filter((x) => x !== "")) {
    if (o === "intel" || o === "att") syntax = o;
    else return diag("CLI_USAGE", `-M ${o}: vmirom list knows the disassembler options intel and att`);
  }
  return syntax;
}

/**
 * Names the manifest gives code the listing would otherwise call sub_<offset>: shared routines, bodies, cold
 * parts by their start, and code inside a shared routine as <routine>+0x<offset> (as objdump names it).
 */
function manifestNames(m: Manifest): (offset: number) => string | undefined {
  const names = new Map<number, string>();
  for (const s of m.shared) names.set(s.offset, s.name);
  for (const c of m.calls) {
    if (c.body) names.set(c.body.offset, `body_${c.name}`);
    for (const cold of c.cold ?? []) if (!names.has(cold.offset)) names.set(cold.offset, `cold_${c.name}`);
  }
  return (offset) => {
    const exact = names.get(offset);
    if (exact !== undefined) return exact;
    const inside = m.shared.find((s) => offset > s.offset && offset < s.offset + s.size);
    return inside ? `${inside.name}+0x${(offset - inside.offset).toString(16)}` : undefined;
  };
}

export function runList(args: InspectArgs): number {
  const syntax = syntaxOf(args.disassemblerOptions);
  if (typeof syntax !== "string") {
    printErrors([syntax]);
    return EXIT_BAD_INPUT;
  }
  const loaded = load(args, true);
  if (!loaded) return EXIT_BAD_INPUT;
  const { bytes, layout } = loaded;
  // A manifest names code only when it describes these very bytes (a rebuilt ROM moves routines).
  // Its shared routines are entries of their own, as in the map (src/inspect/model.ts).
  let names: ((offset: number) => string | undefined) | undefined;
  let shared: Manifest["shared"] | undefined;
  if (loaded.manifest) {
    const manifest = loaded.manifest;
    if (manifest.sha256 === createHash("sha256").update(bytes).digest("hex") && manifest.layout === layout.name) {
      names = manifestNames(manifest);
      shared = manifest.shared;
    } else printNotes([`${showPath(loaded.manifestFile)} does not describe these bytes (sha256 or layout differs); routines are named by offset`]);
  }
  process.stdout.write(
    disassembleImage(bytes, layout, nameOf(args.rom), { syntax, symbols: true, ...(names ? { names } : {}), ...(shared ? { shared } : {}) }),
  );
  return EXIT_OK;
}
