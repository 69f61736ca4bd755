// vmirom map: the SVG picture of any image (the same drawing `vmirom build` writes as <rom>.svg), from
// the bytes and the layout; the build manifest (--manifest, or <rom>.json beside the ROM) adds routine
// names and exact body extents when it describes these very bytes.

import { basename } from "node:path";
import { readImageModel } from "../../inspect/model.ts";
import { renderSvg } from "../../inspect/svg.ts";
import { writeFileAtomic } from "../files.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, printErrors } from "../report.ts";
import { readRomInput } from "../rom-input.ts";

export interface MapArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  /** Output file; absent: standard output. */
  out?: string;
}

export function runMap(args: MapArgs): number {
  const input = readRomInput({ ...args, siblingManifest: true });
  if (!input.ok) {
    printErrors(input.errors);
    return EXIT_BAD_INPUT;
  }
  const { bytes, layout, manifest, manifestFile } = input.value;
  const model = readImageModel(bytes, layout, { name: basename(args.rom), ...(manifest ? { manifest } : {}) });
  if (manifest && !model.fromManifest) {
    process.stderr.write(`vmirom: note: ${manifestFile} does not describe these bytes (sha256 or layout differs); drawing from the bytes alone\n`);
  }
  const svg = renderSvg(model);
  if (args.out === undefined) {
    process.stdout.write(svg);
    return EXIT_OK;
  }
  const w = writeFileAtomic(args.out, svg);
  if (!w.ok) {
    printErrors(w.errors);
    return EXIT_FAILED;
  }
  process.stdout.write(`wrote ${args.out}\n`);
  return EXIT_OK;
}
