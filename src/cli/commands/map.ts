// vmirom map: the SVG picture of any image (the same drawing `vmirom build` writes as <rom>.svg), from
// the bytes and the layout; the build manifest (--manifest, or <rom>.json beside the ROM) adds routine
// names and exact body extents when it describes these very bytes.

import { basename, dirname } from "node:path";
import { readImageModel } from "../../inspect/model.ts";
import { renderSvg } from "../../inspect/svg.ts";
import { checkOutDir, writeFileAtomic } from "../files.ts";
import { showPath } from "../paths.ts";
import { EXIT_BAD_INPUT, EXIT_IO, EXIT_OK, printErrors } from "../report.ts";
import { printNotes, readRomInput } from "../rom-input.ts";

export interface MapArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  /** Output file; absent: standard output. */
  out?: string;
}

export function runMap(args: MapArgs): number {
  // An --out that cannot be written is bad input, said before the work.
  const out = args.out === "-" ? undefined : args.out; // "-": standard output, as without --out
  if (out !== undefined) {
    const usable = checkOutDir(dirname(out));
    if (!usable.ok) {
      printErrors(usable.errors);
      return EXIT_BAD_INPUT;
    }
  }
  const input = readRomInput({ ...args, siblingManifest: true });
  if (!input.ok) {
    printErrors(input.errors);
    return EXIT_BAD_INPUT;
  }
  const { bytes, layout, manifest, manifestFile, notes } = input.value;
  printNotes(notes);
  const model = readImageModel(bytes, layout, { name: args.rom === "-" ? "(standard input)" : basename(args.rom), ...(manifest ? { manifest } : {}) });
  if (manifest && !model.fromManifest) {
    process.stderr.write(`vmirom: note: ${manifestFile} does not describe these bytes (sha256 or layout differs); drawing from the bytes alone\n`);
  }
  const svg = renderSvg(model);
  if (out === undefined) {
    process.stdout.write(svg);
    return EXIT_OK;
  }
  const w = writeFileAtomic(out, svg);
  if (!w.ok) {
    printErrors(w.errors);
    return EXIT_IO;
  }
  process.stdout.write(`wrote ${showPath(out)}\n`);
  return EXIT_OK;
}
