// Layout JSON text → a Layout: JSON syntax (with a line and column), the shape (schema.ts), then the semantic
// checks (validate.ts). Nothing here throws on bad input or reads files: every problem comes back as a
// Diagnostic naming the file and the path inside it.

import type * as z from "zod";
import { diag, type Diagnostic, type Result } from "../diagnostics.ts";
import { describeValue, headerComputedSchema, layoutSchema, relocTypeSchema } from "./schema.ts";
import type { Layout } from "./types.ts";
import { validateLayout } from "./validate.ts";

/** "calls", 12, "number" → "calls[12].number" */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? String(p) : `.${String(p)}`;
  return s === "" ? "(top level)" : s;
}

function issueToDiagnostics(issue: z.core.$ZodIssue, file: string): Diagnostic[] {
  const path = issue.path;
  const at = (p: readonly PropertyKey[]) => ({ file, path: formatPath(p) });
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => diag("LAYOUT_UNKNOWN_KEY", `unknown key ${JSON.stringify(k)} (a typo?)`, at([...path, k])));
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [diag("LAYOUT_MISSING_KEY", `missing required key ${String(last)} (expected ${issue.expected})`, at(path))];
  }
  // A bad discriminator is reported with the whole object as input; show the offending key's value.
  const input: unknown = "input" in issue ? issue.input : undefined;
  const shown = typeof input === "object" && input !== null && typeof last === "string" && last in input ? (input as Record<string, unknown>)[last] : input;
  const got = "input" in issue ? `; got ${describeValue(shown)}` : "";
  if (parent === "relocs" && typeof last === "number") {
    return [diag("LAYOUT_UNKNOWN_RELOC_TYPE", `unknown relocation type${got}; expected one of ${relocTypeSchema.options.join(", ")}`, at(path))];
  }
  if (parent === "source" && last === "what") {
    return [diag("LAYOUT_UNKNOWN_COMPUTED", `unknown computed kind${got}; expected one of ${headerComputedSchema.options.join(", ")}`, at(path))];
  }
  if (parent === "source" && last === "kind") {
    return [diag("LAYOUT_UNKNOWN_SOURCE_KIND", `unknown header source kind${got}; expected const, ascii, computed or reserved`, at(path))];
  }
  if (last === "role") {
    return [diag("LAYOUT_UNKNOWN_ROLE", `unknown role${got}; expected init or getRelocationInfo`, at(path))];
  }
  return [diag("LAYOUT_SCHEMA", issue.message, at(path))];
}

/** Parse layout JSON text; `file` only labels the diagnostics. */
export function parseLayout(text: string, file: string): Result<Layout> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ");
    const offset = syntaxErrorOffset(text) ?? 0;
    const { line, column } = lineColumn(text, offset);
    return {
      ok: false,
      errors: [diag("LAYOUT_JSON_SYNTAX", `not valid JSON at line ${line}, column ${column}: ${reason}`, { file, offset })],
    };
  }
  const parsed = layoutSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.flatMap((i) => issueToDiagnostics(i, file)) };
  }
  const layout = parsed.data;
  const errors = validateLayout(layout, file);
  return errors.length ? { ok: false, errors } : { ok: true, value: layout };
}

/**
 * Offset of the first JSON syntax error in `text` (text.length if it just ends early), or
 * undefined when `text` is valid JSON.
 * JSON.parse does not report a position consistently across messages, and a line number is
 * what someone editing a layout by hand needs.
 */
export function syntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const expect: (ok: boolean) => asserts ok = (ok) => {
    if (!ok) throw i;
  };
  const literal = (re: RegExp): void => {
    re.lastIndex = i;
    const m = re.exec(text);
    expect(m !== null && m.index === i);
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === "{") {
          ws();
          expect(text[i] === '"');
          literal(STRING);
          ws();
          expect(text[i] === ":");
          i++;
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) return void i++;
        else expect(false);
      }
    }
    if (c === '"') return literal(STRING);
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return literal(NUMBER);
    literal(KEYWORD);
  };
  try {
    value();
    ws();
    expect(i === text.length);
    return undefined;
  } catch (at) {
    return typeof at === "number" ? Math.min(at, text.length) : 0;
  }
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters; this is the rule that says so.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const KEYWORD = /true|false|null/y;

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
