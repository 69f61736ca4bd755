// The edge where layout JSON files become Layout values: read the file, check its shape with
// zod, then run the semantic checks (src/layout/validate.ts). Nothing here throws on bad input;
// every problem comes back as a Diagnostic naming the file and the path inside it.

import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { diag, type Diagnostic, type Result } from "../diagnostics.ts";
import { readBytes } from "./files.ts";
import type { Layout } from "../layout/types.ts";
import { validateLayout } from "../layout/validate.ts";

// A command parses each layout once: compiling every object schema into a specialised function first (zod's
// default) costs more than it saves.
z.config({ jitless: true });

// JSON has no hex literals, so numbers may also be written as "0x..." strings.
const HEX = /^-?0x[0-9a-f]+$/i;

const integer = z
  .union([z.number(), z.string()], { error: (iss) => `expected an integer (a JSON number or a hex string like "0x1F"), got ${describe(iss.input)}` })
  .transform((v, ctx): number => {
    const n = typeof v === "number" ? v : HEX.test(v) ? parseInt(v, 16) : NaN;
    if (Number.isSafeInteger(n)) return n;
    ctx.addIssue({ code: "custom", message: `expected an integer (a JSON number or a hex string like "0x1F"), got ${describe(v)}`, input: v });
    return z.NEVER;
  });

const fieldSize = integer.transform((n, ctx): 1 | 2 | 4 => {
  if (n === 1 || n === 2 || n === 4) return n;
  ctx.addIssue({ code: "custom", message: `a header field is 1, 2 or 4 bytes, got ${n}`, input: n });
  return z.NEVER;
});

const four = integer.transform((n, ctx): 4 => {
  if (n === 4) return n;
  ctx.addIssue({ code: "custom", message: `relocation table entries are 4 bytes, got ${n}`, input: n });
  return z.NEVER;
});

const relocType = z.enum(["NONE", "CALL_REL", "JUMP_REL", "NOP"]);
const role = z.enum(["init", "getRelocationInfo"]);
const byteTriple = z.tuple([integer, integer, integer]);

const headerSource = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("const"), value: integer }),
  z.strictObject({ kind: z.literal("ascii"), value: z.string() }),
  z.strictObject({
    kind: z.literal("computed"),
    what: z.enum(["romLength", "romEntry", "licenseOffset", "pciOffset", "pnpOffset", "relocTableOffset", "jumpSlots"]),
  }),
  z.strictObject({ kind: z.literal("reserved") }),
]);

const layoutSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  version: z.strictObject({ major: integer, minor: integer }),
  maxImageSize: integer,
  filler: integer,
  virtualTop: integer,
  highAlias: integer.optional(),
  license: z.string(),
  headerSize: integer,
  header: z.array(z.strictObject({ name: z.string(), offset: integer, size: fieldSize, source: headerSource, inert: z.boolean() })),
  jumpPoints: z.array(z.strictObject({ role, offset: integer, size: integer })),
  slots: z.strictObject({ base: integer, size: integer, count: integer }),
  calls: z.array(
    z.strictObject({
      number: integer,
      name: z.string(),
      args: z.string(),
      returns: z.string(),
      relocs: z.array(relocType),
      use: z.string(),
      role: role.optional(),
    }),
  ),
  pci: z.strictObject({ offset: integer, vendor: integer, device: integer, classCode: byteTriple, revision: integer, codeRevision: integer }),
  pnp: z.strictObject({
    offset: integer,
    deviceId: integer,
    deviceType: byteTriple,
    indicators: integer,
    manufacturer: z.string(),
    product: z.string(),
  }),
  relocTable: z.strictObject({ magic: z.string(), entrySize: four }),
});

// Compile-time proof that what the schema produces is a Layout.
type Parsed = z.output<typeof layoutSchema>;
const asLayout = (p: Parsed): Layout => p;

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return JSON.stringify(v);
}

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
  const got = "input" in issue ? `; got ${describe(shown)}` : "";
  if (parent === "relocs" && typeof last === "number") {
    return [diag("LAYOUT_UNKNOWN_RELOC_TYPE", `unknown relocation type${got}; expected one of ${relocType.options.join(", ")}`, at(path))];
  }
  if (parent === "source" && last === "what") {
    return [diag("LAYOUT_UNKNOWN_COMPUTED", `unknown computed kind${got}; expected one of ${headerSource.options[2].shape.what.options.join(", ")}`, at(path))];
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
  const layout = asLayout(parsed.data);
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
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (ok: boolean): void => {
    if (!ok) throw i;
  };
  const literal = (re: RegExp): void => {
    re.lastIndex = i;
    const m = re.exec(text);
    expect(m !== null && m.index === i);
    i += m![0].length;
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
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const KEYWORD = /true|false|null/y;

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Read and check one layout file: the first failing stage's diagnostics (read, JSON, shape, semantics). */
export function loadLayout(file: string): Result<Layout> {
  // Through readBytes: the name as typed (paths.ts), and a size limit (--layout /dev/zero ends).
  const bytes = readBytes(file, "layout file");
  if (!bytes.ok) {
    const e = bytes.errors[0]!;
    return { ok: false, errors: [diag(e.code === "CLI_READ_FAILED" ? "LAYOUT_READ_FAILED" : e.code, e.message, { file })] };
  }
  const text = new TextDecoder().decode(bytes.value);
  // Editors on some systems save a byte-order mark, which JSON.parse rejects.
  return parseLayout(text.replace(/^\uFEFF/, ""), file);
}

const LAYOUTS_DIR_ENV = "VMIROM_LAYOUTS";

/**
 * The layouts/ directory: $VMIROM_LAYOUTS if set, else the first `layouts` directory holding
 * JSON files found walking up from `start` (default: this module's directory, which is
 * src/cli/ from source and dist/ once bundled; then the running script's directory; then the
 * working directory).
 */
export function findLayoutsDir(start?: string): Result<string> {
  const fromEnv = process.env[LAYOUTS_DIR_ENV];
  if (fromEnv) {
    return isLayoutsDir(fromEnv)
      ? { ok: true, value: resolve(fromEnv) }
      : { ok: false, errors: [diag("LAYOUT_DIR_NOT_FOUND", `${LAYOUTS_DIR_ENV}=${fromEnv} is not a directory of layout JSON files`)] };
  }
  const starts = start !== undefined ? [start] : defaultStarts();
  const tried = new Set<string>();
  for (const s of starts) {
    for (let dir = resolve(s); ; dir = dirname(dir)) {
      const candidate = join(dir, "layouts");
      if (tried.has(candidate)) break; // an earlier start already walked up from here
      tried.add(candidate);
      if (isLayoutsDir(candidate)) return { ok: true, value: candidate };
      if (dirname(dir) === dir) break;
    }
  }
  return {
    ok: false,
    errors: [diag("LAYOUT_DIR_NOT_FOUND", `no layouts/ directory found (set ${LAYOUTS_DIR_ENV}); looked in ${[...tried].join(", ")}`)],
  };
}

function defaultStarts(): string[] {
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // Bundled to a format without import.meta.url: the running script's path still leads there.
  }
  if (process.argv[1]) starts.push(dirname(resolve(process.argv[1])));
  starts.push(process.cwd());
  return starts;
}

function isLayoutsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && readdirSync(dir).some((f) => f.endsWith(".json"));
  } catch {
    return false;
  }
}

/** Names of the layouts available (file names without .json), sorted. */
export function listLayoutNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  } catch {
    return [];
  }
}

/** Load layouts/<name>.json, e.g. loadLayoutByName("api13"). */
export function loadLayoutByName(name: string, layoutsDir?: string): Result<Layout> {
  const dirResult: Result<string> = layoutsDir !== undefined ? { ok: true, value: layoutsDir } : findLayoutsDir();
  if (!dirResult.ok) return dirResult;
  const dir = dirResult.value;
  const file = join(dir, `${name}.json`);
  // A name is a plain file stem: no separators, so it cannot reach outside layouts/.
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".") || !existsSync(file)) {
    const known = listLayoutNames(dir);
    return {
      ok: false,
      errors: [diag("LAYOUT_UNKNOWN_NAME", `no layout named ${JSON.stringify(name)}; available: ${known.join(", ") || "none"}`, { file: dir })],
    };
  }
  const loaded = loadLayout(file);
  if (loaded.ok && loaded.value.name !== name) {
    return {
      ok: false,
      errors: [diag("LAYOUT_NAME_MISMATCH", `the layout in ${name}.json is named ${JSON.stringify(loaded.value.name)}`, { file, path: "name" })],
    };
  }
  return loaded;
}
