// How the CLI tells the user something went wrong: one line per diagnostic on stderr.

import { formatDiagnostic, type Diagnostic } from "../diagnostics.ts";

export function printErrors(errors: readonly Diagnostic[], prefix = ""): void {
  for (const e of errors) process.stderr.write(`vmirom: ${prefix}${formatDiagnostic(e)}\n`);
}

/**
 * Exit codes, the same for every command (each command's --help lists the ones it uses): 0 success;
 * 1 the answer is "no" (build or check failed, violations, the images differ, the guest did not reach its
 * end); 2 bad usage or bad input (nothing was done); 3 the system failed us (a file could not be written,
 * qemu failed) — so a script can tell "differences found" from "could not write".
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_IO = 3;
