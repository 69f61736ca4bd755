// The package's main entry ("vmirom", also "vmirom/asm"): the x86 assembler DSL, and the Diagnostic type its
// errors are reported in. Only re-exports: what is public is decided in src/asm/index.ts.
export * from "../asm/index.ts";
export { DIAGNOSTICS, formatDiagnostic, type Diagnostic, type DiagnosticCode, type Location, type Result } from "../diagnostics.ts";
