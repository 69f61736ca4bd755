// vmirom check: run the independent checker on an image (and its manifest, if given); exit 1 on violations.

import { basename } from "node:path";
import { checkImage, formatViolations, summarize } from "../../check/index.ts";
import { diag } from "../../diagnostics.ts";
import { readBytes } from "../files.ts";
import { layoutForImage } from "../layouts.ts";
import { loadManifest } from "../manifest-file.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, printErrors } from "../report.ts";

export interface CheckArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  json: boolean;
}

export function runCheck(args: CheckArgs): number {
  const bytes = readBytes(args.rom, "ROM image");
  if (!bytes.ok) {
    printErrors(bytes.errors);
    return EXIT_BAD_INPUT;
  }
  if (bytes.value.length === 0) {
    printErrors([diag("CLI_NOT_A_ROM", "the file is empty", { file: args.rom })]);
    return EXIT_BAD_INPUT;
  }
  const layout = layoutForImage(bytes.value, args.rom, args.api, args.layout);
  if (!layout.ok) {
    printErrors(layout.errors);
    return EXIT_BAD_INPUT;
  }
  let manifest;
  if (args.manifest !== undefined) {
    const m = loadManifest(args.manifest);
    if (!m.ok) {
      printErrors(m.errors);
      return EXIT_BAD_INPUT;
    }
    manifest = m.value;
  }
  const violations = checkImage(bytes.value, layout.value, manifest ? { manifest } : {});
  const summary = summarize(bytes.value, layout.value, violations, basename(args.rom));
  if (args.json) {
    process.stdout.write(formatViolations(violations, true) + "\n");
    process.stderr.write(summary + "\n");
  } else {
    if (violations.length) process.stdout.write(formatViolations(violations, false) + "\n");
    process.stdout.write(summary + "\n");
  }
  return violations.length ? EXIT_FAILED : EXIT_OK;
}
