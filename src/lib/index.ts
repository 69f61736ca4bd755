// The package's main entry ("vmirom", also "vmirom/asm"): the x86 assembler DSL, and the Diagnostic type its
// errors are reported in. Only re-exports: what is public is decided in src/asm/index.ts.
export * from "../asm/index.ts";
export { DiagnosticError, formatDiagnostic, type Diagnostic, type Location, type Result } from "../diagnostics.ts";
