// `vmirom build --backend ./mine.ts`: a backend written outside this tree, as a module whose default export
// (or named export `backend`) is a RomProgram that imports the DSL and types from "vmirom", "vmirom/image", …;
// and `vmirom run ROM --backend ./mine.ts`: the same module's export `guestTests`, its own test-guest tests.
//
// The file (.ts, .mts, .js or .mjs alike) is bundled by esbuild into one temporary ES module. Its imports of
// "vmirom" and "vmirom/*" are not bundled: they are pointed at this package's own library (dist/lib, through
// package.json's "exports"), so a backend needs no node_modules of its own and always meets the vmirom that
// builds it. Everything else it imports (its own files, other packages found from its folder) is bundled.
//
// One copy of the assembler: the CLI bundle carries its own copy of the DSL's classes, and the library
// another. A body from the library's copy (say, a built-in body from "vmirom/roms") given the bundle's
// Assembler would meet labels that are not `instanceof` its Label (operands.ts's `plus`, `diff`, `expr`),
// so a file backend is built with the library's `buildImage` and renderers, the copy its imports use;
// the checker and the map work on bytes and stay the bundle's. For the same reason `vmirom run ROM --backend
// FILE` runs the file's `guestTests` (written with "vmirom/guest") in the test guest the library build compiled
// (dist/lib/guest/), not in the bundle's: its TestCtx.a and labels are then the copy the tests' imports use.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { findSourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Diagnostic, type DiagnosticCode, diag, type Result } from "../diagnostics.ts";
import type { StackPositions } from "../asm/source.ts";
import type * as ImageApi from "../image/index.ts";
import type { RomProgram } from "../image/program.ts";
import { type GuestRunnerModule, type GuestTestsExport, loadLibraryGuestRunner } from "./guest-runner.ts";

/** The image machinery a build uses: the bundle's own, or the library's when a backend file is built. */
export type ImageModule = Pick<typeof ImageApi, "buildImage" | "renderGas" | "renderElf" | "stableJson">;

export interface LoadedBackend {
  program: RomProgram;
  /** The library's image module, the copy of the DSL the program's imports use. */
  image: ImageModule;
}

/** A --backend value names a file (rather than a built-in backend) when it has a path or a module extension. */
export function isBackendFile(name: string): boolean {
  return /\.(?:ts|mts|js|mjs)$/i.test(name) || name.includes("/") || name.includes("\\");
}

/** A backend's name goes into file names, the ROM's product string and the manifest. */
export const BACKEND_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** The folder holding vmirom's package.json (the CLI runs from dist/ or, in tests, from src/cli/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "vmirom") return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("vmirom's package.json not found above the CLI");
    dir = up;
  }
}

/** "vmirom", "vmirom/image", … → the file package.json's "exports" maps it to (the library's JavaScript). */
function libraryTargets(root: string): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports?: Record<string, unknown> };
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(pkg.exports ?? {})) {
    const target = typeof value === "string" ? value : (value as { default?: unknown }).default;
    if (typeof target === "string" && target.endsWith(".js")) out.set(key === "." ? "vmirom" : `vmirom/${key.slice(2)}`, join(root, target));
  }
  return out;
}

/** A backend file compiled and imported: its exports, and the library its imports of "vmirom/*" met. */
interface BackendModule {
  exports: Record<string, unknown>;
  /** The library's "vmirom/image" file (in dist/lib). */
  imageEntry: string;
  /** dist/lib. */
  libDir: string;
}

/** One error naming the backend file (every failure here is one line). */
type Fail = (code: DiagnosticCode, message: string) => { ok: false; errors: Diagnostic[] };

async function importBackendModule(file: string, fail: Fail): Promise<Result<BackendModule>> {
  const path = resolve(file);
  if (!existsSync(path)) return fail("CLI_READ_FAILED", "cannot read the backend file: no such file");
  const root = packageRoot();
  const targets = libraryTargets(root);
  const imageEntry = targets.get("vmirom/image"),
    asmEntry = targets.get("vmirom");
  if (!imageEntry || !asmEntry || !existsSync(imageEntry)) {
    return fail("CLI_BACKEND_LOAD", `vmirom's library is not built (${imageEntry ?? "dist/lib"} is missing): run npm run build-lib`);
  }
  const libDir = dirname(dirname(dirname(imageEntry)));

  let code: string;
  try {
    const esbuild = await import("esbuild");
    const out = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "node20",
      // Inline, so that Node (source maps on, below) names the backend's own lines in stacks, and so in listings.
      sourcemap: "inline",
      sourcesContent: false,
      // The module runs from a temporary folder: its map's sources (relative to this name) are rooted at the
      // backend's own folder, so stacks and listings name the real file.
      outfile: join(dirname(path), "vmirom-backend.mjs"),
      sourceRoot: `${pathToFileURL(dirname(path)).href}/`,
      logLevel: "silent",
      plugins: [
        {
          name: "vmirom-library",
          setup(b) {
            b.onResolve({ filter: /^vmirom(?:\/.*)?$/ }, (args) => {
              const target = targets.get(args.path);
              if (!target) return { errors: [{ text: `vmirom exports no "${args.path}" (it has ${[...targets.keys()].join(", ")})` }] };
              return { path: pathToFileURL(target).href, external: true };
            });
          },
        },
      ],
    });
    const [output] = out.outputFiles;
    if (!output) throw new Error("esbuild wrote no output");
    code = output.text;
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
    const first = errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : "";
    return fail("CLI_BACKEND_LOAD", `cannot compile the backend: ${where}${first ? first.text : (e as Error).message}`);
  }

  // Stacks through the backend's code name its TypeScript lines (the assembler records them per node).
  process.setSourceMapsEnabled(true);
  const work = mkdtempSync(join(tmpdir(), "vmirom-backend-"));
  try {
    const tmp = join(work, "backend.mjs");
    writeFileSync(tmp, code);
    const url = pathToFileURL(tmp).href;
    const asm = (await import(pathToFileURL(asmEntry).href)) as { setStackPositions(p: StackPositions | undefined): void };
    asm.setStackPositions(stackPositions(url, libDir));
    const exports = (await import(url)) as Record<string, unknown>;
    return { ok: true, value: { exports, imageEntry, libDir } };
  } catch (e) {
    return fail("CLI_BACKEND_LOAD", `the backend module threw when loaded: ${(e as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The module's RomProgram (default export, or export backend), checked field by field and by name. */
function programOf(mod: Record<string, unknown>, builtIn: readonly string[], fail: Fail): Result<RomProgram> {
  const candidate = mod.default ?? mod.backend;
  if (candidate === undefined)
    return fail("CLI_BACKEND_EXPORT", "the backend module has no default export and no export named backend (export default a RomProgram)");
  const problems = programProblems(candidate);
  if (problems.length)
    return fail(
      "CLI_BACKEND_EXPORT",
      `the backend module's ${mod.default !== undefined ? "default export" : "export backend"} is not a RomProgram: ${problems.join("; ")}`,
    );
  const program = candidate as RomProgram;
  if (!BACKEND_NAME.test(program.backend)) {
    return fail(
      "CLI_BACKEND_NAME",
      `backend name ${JSON.stringify(program.backend)} is not usable in file names: lower-case letter first, then letters, digits, - or _ (at most 32)`,
    );
  }
  if (builtIn.includes(program.backend)) {
    return fail(
      "CLI_BACKEND_NAME",
      `backend name ${JSON.stringify(program.backend)} is taken by a built-in backend (${builtIn.join(", ")}): give yours a name of its own`,
    );
  }
  return { ok: true, value: program };
}

export async function loadBackendFile(file: string, builtIn: readonly string[]): Promise<Result<LoadedBackend>> {
  const fail: Fail = (code, message) => ({ ok: false, errors: [diag(code, message, { file })] });
  const loaded = await importBackendModule(file, fail);
  if (!loaded.ok) return loaded;
  const program = programOf(loaded.value.exports, builtIn, fail);
  if (!program.ok) return program;
  const image = (await import(pathToFileURL(loaded.value.imageEntry).href)) as ImageModule;
  return { ok: true, value: { program: program.value, image } };
}

/** The export a backend file's own guest tests go by (a GuestTests of "vmirom/guest"). */
export const GUEST_TESTS_EXPORT = "guestTests";

export interface LoadedBackendTests {
  tests: GuestTestsExport;
  /** The test guest compiled into the library (dist/lib), the copy of the DSL the tests' imports use. */
  runner: GuestRunnerModule;
}

/**
 * `vmirom run ROM --backend FILE`: the file's `guestTests` for the ROM its program built (`backend`, from the
 * ROM's manifest), and the library's guest runner to run them with (see the top of this file: the tests'
 * labels, registers and TestCtx.a must be the library's copy of the DSL, so the bundle's guest cannot run them).
 */
export async function loadBackendTests(file: string, builtIn: readonly string[], backend: string): Promise<Result<LoadedBackendTests>> {
  const fail: Fail = (code, message) => ({ ok: false, errors: [diag(code, message, { file })] });
  const loaded = await importBackendModule(file, fail);
  if (!loaded.ok) return loaded;
  const { exports, libDir } = loaded.value;
  const program = programOf(exports, builtIn, fail);
  if (!program.ok) return program;
  if (program.value.backend !== backend) {
    return fail(
      "CLI_BACKEND_MISMATCH",
      `the file's backend is ${JSON.stringify(program.value.backend)} but the ROM was built by ${JSON.stringify(backend)} (its manifest says so): give the file the ROM was built from`,
    );
  }
  const tests = exports[GUEST_TESTS_EXPORT];
  if (tests === undefined) {
    return fail(
      "CLI_BACKEND_TESTS",
      `the backend module has no export named ${GUEST_TESTS_EXPORT} (export const ${GUEST_TESTS_EXPORT}: GuestTests, from "vmirom/guest"); without --backend, vmirom run runs the common effect tests`,
    );
  }
  const problems = guestTestsProblems(tests);
  if (problems.length) return fail("CLI_BACKEND_TESTS", `the backend module's export ${GUEST_TESTS_EXPORT} is not a GuestTests: ${problems.join("; ")}`);
  const runner = await loadLibraryGuestRunner(libDir);
  if (!runner.ok) return runner;
  return { ok: true, value: { tests: tests as GuestTestsExport, runner: runner.value } };
}

/** What makes a value a GuestTests, field by field; the tests `tests(layout)` returns are checked by the guest. */
export function guestTestsProblems(v: unknown): string[] {
  if (typeof v !== "object" || v === null) return [`it is ${v === null ? "null" : typeof v}, not an object`];
  const t = v as Record<string, unknown>;
  const out: string[] = [];
  if (typeof t.tests !== "function") out.push("tests is not a function (layout → the CallTests to run)");
  if (t.untested !== undefined) {
    if (typeof t.untested !== "object" || t.untested === null || Array.isArray(t.untested)) out.push("untested is not an object of reasons by call name");
    else for (const [call, why] of Object.entries(t.untested)) if (typeof why !== "string") out.push(`untested.${call} is not a string (the reason)`);
  }
  return out;
}

/**
 * Source lines for the library's copy of the DSL (src/asm/source.ts), as the bundle's line table gives them for
 * a built-in backend: the backend's own code by its file relative to the working directory (its map, read by
 * Node; no host path in the listing, .S or .elf of a build run from the same place), the library's code by its
 * path inside dist/lib (roms/native/cpu.js:18: the JavaScript the package ships), nothing else.
 */
function stackPositions(moduleUrl: string, libDir: string): StackPositions {
  const cwd = process.cwd();
  const lib = libDir + sep;
  return (file, line, column) => {
    if (file === moduleUrl) {
      const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
      if (!entry || !("originalSource" in entry)) return undefined;
      const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : entry.originalSource;
      return `${relative(cwd, source).split(sep).join("/")}:${entry.originalLine + 1}`;
    }
    const path = file.startsWith("file:") ? fileURLToPath(file) : file;
    return path.startsWith(lib) ? `${relative(libDir, path).split(sep).join("/")}:${line}` : undefined;
  };
}

/** What makes a value a RomProgram, checked field by field (a module may export anything). */
export function programProblems(v: unknown): string[] {
  if (typeof v !== "object" || v === null) return [`it is ${v === null ? "null" : typeof v}, not an object`];
  const p = v as Record<string, unknown>;
  const out: string[] = [];
  if (typeof p.backend !== "string") out.push("backend (its name) is not a string");
  if (typeof p.description !== "string") out.push("description is not a string");
  if (typeof p.init !== "function") out.push("init is not a function (a Body)");
  if (typeof p.calls !== "object" || p.calls === null) out.push("calls is not an object of Bodies by call name");
  else for (const [name, body] of Object.entries(p.calls)) if (typeof body !== "function") out.push(`calls.${name} is not a function (a Body)`);
  if (
    p.shared !== undefined &&
    !(
      Array.isArray(p.shared) &&
      p.shared.every(
        (r: unknown) =>
          typeof r === "object" && r !== null && typeof (r as { name?: unknown }).name === "string" && typeof (r as { emit?: unknown }).emit === "function",
      )
    )
  ) {
    out.push("shared is not a list of { name, emit }");
  }
  if (p.omit !== undefined && typeof p.omit !== "function") out.push("omit is not a function");
  if (p.absentReasons !== undefined && (typeof p.absentReasons !== "object" || p.absentReasons === null)) out.push("absentReasons is not an object");
  if (p.hypervisor !== undefined && p.hypervisor !== "vmware" && p.hypervisor !== "xen")
    out.push(`hypervisor is ${JSON.stringify(p.hypervisor)}, not "vmware" or "xen"`);
  return out;
}
