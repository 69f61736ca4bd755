// How the CLI tells the user something went wrong: one line per diagnostic on stderr.

import { formatDiagnostic, type Diagnostic } from "../diagnostics.ts";

export function printErrors(errors: readonly Diagnostic[], prefix = ""): void {
  for (const e of errors) process.stderr.write(`vmirom: ${prefix}${formatDiagnostic(e)}\n`);
}

/** Exit codes: 0 success, 1 the work failed (build error, check violations), 2 bad input or usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
