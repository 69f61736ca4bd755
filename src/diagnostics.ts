// Errors are values: a stable code, a message a user can act on, and where it happened.
// Every stage (assembler, layout loader, image builder) reports through this one shape; the
// checker has its own richer Violation (expected/found), since it reports many at once.

export interface Location {
  /** File the problem is in (layout file, ROM image). */
  file?: string;
  /** Path inside a structured file, e.g. "calls[12].number". */
  path?: string;
  /** VMI call the problem concerns. */
  call?: string;
  /** Assembler label nearest to the problem. */
  label?: string;
  /** Index of the assembler node (instruction, label, directive). */
  node?: number;
  /** TypeScript source line that recorded the node, as "file:line". */
  source?: string;
  /** Byte offset in the output. */
  offset?: number;
}

export interface Diagnostic {
  code: string;
  message: string;
  location: Location;
}

export function diag(code: string, message: string, location: Location = {}): Diagnostic {
  return { code, message, location };
}

/** One line: "CODE: message (at path / call / source)". */
export function formatDiagnostic(d: Diagnostic): string {
  const where: string[] = [];
  const l = d.location;
  if (l.file) where.push(l.file + (l.path ? `:${l.path}` : ""));
  else if (l.path) where.push(l.path);
  if (l.call) where.push(`call ${l.call}`);
  if (l.label) where.push(`near label ${l.label}`);
  if (l.node !== undefined) where.push(`node ${l.node}`);
  if (l.offset !== undefined) where.push(`offset 0x${l.offset.toString(16)}`);
  if (l.source) where.push(l.source);
  return `${d.code}: ${d.message}${where.length ? ` (${where.join(", ")})` : ""}`;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: Diagnostic[] };
