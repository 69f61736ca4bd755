// vmirom diff: two images compared call by call (see src/inspect/diff.ts). Exit 0 when the bytes are
// identical, 1 when they differ, 2 when either input cannot be read as a ROM.

import { basename } from "node:path";
import { diffImages } from "../../inspect/diff.ts";
import { readImageModel } from "../../inspect/model.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, printErrors } from "../report.ts";
import { printNotes, readRomInput } from "../rom-input.ts";
import { diag } from "../../diagnostics.ts";

export interface DiffArgs {
  a: string;
  b: string;
  api?: string;
  layout?: string;
}

export function runDiff(args: DiffArgs): number {
  if (args.api !== undefined && args.layout !== undefined) {
    printErrors([diag("CLI_USAGE", `--api ${args.api} and --layout both choose the layout; give one of them`)]);
    return EXIT_BAD_INPUT;
  }
  const sides = [args.a, args.b].map((rom) => {
    const input = readRomInput({ rom, ...(args.api ? { api: args.api } : {}), ...(args.layout ? { layout: args.layout } : {}), siblingManifest: true });
    if (!input.ok) {
      printErrors(input.errors);
      return undefined;
    }
    const { bytes, layout, manifest, notes } = input.value;
    printNotes(notes);
    return { bytes, model: readImageModel(bytes, layout, { name: rom === "-" ? "(standard input)" : basename(rom), ...(manifest ? { manifest } : {}) }) };
  });
  const [a, b] = sides;
  if (!a || !b) return EXIT_BAD_INPUT;
  const d = diffImages(a, b);
  process.stdout.write(d.text);
  return d.equal ? EXIT_OK : EXIT_FAILED;
}
