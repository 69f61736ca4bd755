// vmirom check: run the independent checker on an image (and its manifest, if given); exit 1 on violations.

import { basename } from "node:path";
import { checkImage, formatViolations, summarize } from "../../check/index.ts";
import type { Violation } from "../../check/violation.ts";
import { showPath } from "../paths.ts";
import { printNotes, readRomInput } from "../rom-input.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, printErrors } from "../report.ts";

export interface CheckArgs {
  rom: string;
  api?: string;
  layout?: string;
  manifest?: string;
  json: boolean;
}

/**
 * Violations that say the manifest is of another image (other size, layout or backend). When there are any,
 * the rest (every region and call compared against another image's) is noise: they are all the report.
 */
function otherImage(violations: readonly Violation[]): Violation[] {
  return violations.filter(
    (v) =>
      v.rule === "manifest.size" ||
      v.rule === "manifest.layout" ||
      v.rule === "manifest.api" ||
      (v.rule === "pnp.product" && v.message.includes("manifest's backend")),
  );
}

export function runCheck(args: CheckArgs): number {
  const input = readRomInput(args);
  if (!input.ok) {
    printErrors(input.errors);
    return EXIT_BAD_INPUT;
  }
  const rom = input.value;
  const { bytes, layout, notes } = rom;
  printNotes(notes);
  let violations = checkImage(bytes, layout, rom.manifest ? { manifest: rom.manifest } : {});
  const other = rom.manifest ? otherImage(violations) : [];
  if (rom.manifest && other.length) {
    const m = rom.manifest;
    const differs = other.map((v) => (v.rule === "pnp.product" ? "backend" : v.rule.replace(/^manifest\./, "")));
    const product = other.find((v) => v.rule === "pnp.product")?.found;
    violations = [
      {
        rule: "manifest.image",
        region: "image",
        offset: 0,
        expected: `${m.backend}-api${m.api.major}: layout ${m.layout}, ${m.size} bytes`,
        found: `layout ${layout.name}, ${bytes.length} bytes${product ? `, product ${product}` : ""}`,
        message: `the manifest ${showPath(rom.manifestFile)} describes another image (its ${differs.join(", ")} differ), so nothing else was compared`,
      },
    ];
  }
  const summary = summarize(bytes, layout, violations, args.rom === "-" ? "(standard input)" : basename(args.rom));
  if (args.json) {
    process.stdout.write(formatViolations(violations, true) + "\n");
    process.stderr.write(summary + "\n");
  } else {
    if (violations.length) process.stdout.write(formatViolations(violations, false) + "\n");
    process.stdout.write(summary + "\n");
  }
  return violations.length ? EXIT_FAILED : EXIT_OK;
}
