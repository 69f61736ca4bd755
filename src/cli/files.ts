// File system access for the CLI: reading inputs with errors as diagnostics (size checked before reading,
// "-" for standard input), and writing outputs so that a command's files appear all complete or not at all
// (temporary names in the target directory, then renamed).

import * as fs from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { diag, type Diagnostic, type DiagnosticCode, type Result } from "../diagnostics.ts";
import { fsPath, pathProblem, showPath } from "./paths.ts";

/** What a file may hold at most, and why (for the message). */
export interface SizeLimit {
  bytes: number;
  why: string;
}

/** Manifests and layouts are a few hundred KiB; anything near this is not one. */
export const TEXT_LIMIT: SizeLimit = { bytes: 64 << 20, why: "64 MiB, far more than any manifest or layout" };

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

const fail = (code: DiagnosticCode, message: string, file: string): Result<never> => ({ ok: false, errors: [diag(code, message, { file: showPath(file) })] });

/**
 * The bytes of `file` ("-": standard input). A regular file larger than the limit is refused before it is
 * read; a directory is refused; anything else (a pipe, a device) is read up to the limit + 1 byte, so
 * /dev/zero ends as "too large" instead of filling memory.
 */
export function readBytes(file: string, what: string, limit: SizeLimit = TEXT_LIMIT): Result<Uint8Array> {
  const bad = pathProblem(file, what);
  if (bad) return { ok: false, errors: [bad] };
  const stdin = file === "-";
  let fd: number;
  try {
    fd = stdin ? 0 : fs.openSync(fsPath(file), "r");
  } catch (e) {
    return fail("CLI_READ_FAILED", `cannot read the ${what}: ${reason(e)}`, file);
  }
  const where = stdin ? "(standard input)" : file;
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return fail("CLI_NOT_A_FILE", `cannot read the ${what}: it is a directory`, where);
    if (st.isFile() && st.size > limit.bytes) return tooLarge(what, st.size, limit, where);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, limit.bytes + 1 - total));
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
          Atomics.wait(PAUSE, 0, 0, 10); // a non-blocking terminal or pipe: wait for data without spinning
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === "EOF") break;
        throw e;
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit.bytes) return tooLarge(what, undefined, limit, where);
    }
    return { ok: true, value: new Uint8Array(Buffer.concat(chunks, total)) };
  } catch (e) {
    return fail("CLI_READ_FAILED", `cannot read the ${what}: ${reason(e)}`, where);
  } finally {
    if (!stdin) fs.closeSync(fd);
  }
}

function tooLarge(what: string, size: number | undefined, limit: SizeLimit, file: string): Result<never> {
  const has = size !== undefined ? `${size} bytes` : `more than ${limit.bytes} bytes`;
  return fail("CLI_TOO_LARGE", `the ${what} is too large: ${has}, more than ${limit.why}`, file);
}

export function readText(file: string, what: string, limit: SizeLimit = TEXT_LIMIT): Result<string> {
  const r = readBytes(file, what, limit);
  return r.ok ? { ok: true, value: new TextDecoder().decode(r.value) } : r;
}

/**
 * Whether `dir` is, or can become, an output directory, without creating anything: the nearest part of it
 * that exists must be a directory we may write into. Asked before work whose result would go there.
 */
export function checkOutDir(dir: string): Result<string> {
  const bad = pathProblem(dir, "output directory");
  if (bad) return { ok: false, errors: [bad] };
  let d = resolve(dir);
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(fsPath(d));
    } catch (e) {
      const parent = dirname(d);
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a part above is a file; walking up finds it and says so.
      if ((code === "ENOENT" || code === "ENOTDIR") && parent !== d) {
        d = parent;
        continue;
      }
      return outDirError(dir, reason(e));
    }
    if (!st.isDirectory()) return outDirError(dir, d === resolve(dir) ? "it is not a directory" : `${showPath(d)} is not a directory`);
    try {
      fs.accessSync(fsPath(d), fs.constants.W_OK | fs.constants.X_OK);
    } catch {
      return outDirError(dir, `${showPath(d)} is not writable`);
    }
    return { ok: true, value: dir };
  }
}

/**
 * Creates `dir` one level at a time. (Node 20's mkdirSync(..., { recursive: true }) never returns for a path
 * under /proc, where mkdir answers ENOENT for a parent that exists.) Gives the directories it made, deepest
 * last, for `removeDirs` when what was to go there fails.
 */
export function ensureDir(dir: string): Result<string[]> {
  const checked = checkOutDir(dir);
  if (!checked.ok) return checked;
  const missing: string[] = [];
  const made: string[] = [];
  for (let d = resolve(dir); !fs.existsSync(fsPath(d)); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      fs.mkdirSync(fsPath(d));
      made.push(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(fsPath(d)).isDirectory()) continue; // made meanwhile
      removeDirs(made);
      return outDirError(dir, reason(e));
    }
  }
  return { ok: true, value: made };
}

/** Removes directories ensureDir made, deepest first, if they are still empty. */
export function removeDirs(made: readonly string[]): void {
  for (const d of [...made].reverse()) {
    try {
      fs.rmdirSync(fsPath(d));
    } catch {
      // not empty (someone else's file) or gone: leave it
    }
  }
}

function outDirError(dir: string, why: string): Result<never> {
  return fail("CLI_OUT_DIR", `cannot use the output directory: ${why}`, dir);
}

/** The file operations a write goes through; tests give a layer that fails. */
export interface WriteLayer {
  writeFile(file: string | Buffer, data: string | Uint8Array): void;
  rename(from: string | Buffer, to: string | Buffer): void;
  remove(file: string | Buffer): void;
}

export const nodeWriteLayer: WriteLayer = {
  writeFile: (file, data) => fs.writeFileSync(file, data),
  rename: (from, to) => fs.renameSync(from, to),
  remove: (file) => fs.rmSync(file, { force: true }),
};

export interface OutputFile {
  file: string;
  data: string | Uint8Array;
}

/**
 * Writes every file or none: each to a temporary name beside its target, then each renamed into place. On
 * any failure the temporaries and the files already renamed are removed, and the one error is returned.
 */
export function writeFilesAtomic(outputs: readonly OutputFile[], layer: WriteLayer = nodeWriteLayer): Result<string[]> {
  for (const o of outputs) {
    const bad = pathProblem(o.file, "output file");
    if (bad) return { ok: false, errors: [bad] };
  }
  const writes = outputs.map((o) => ({ ...o, temp: fsPath(join(dirname(o.file), `.${basename(o.file)}.${process.pid}.tmp`)) }));
  const renamed: Array<string | Buffer> = [];
  let step = "write";
  let current = ""; // the file being written or renamed
  try {
    for (const w of writes) {
      current = w.file;
      layer.writeFile(w.temp, w.data);
    }
    step = "rename";
    for (const w of writes) {
      current = w.file;
      const target = fsPath(w.file);
      layer.rename(w.temp, target);
      renamed.push(target);
    }
    return { ok: true, value: outputs.map((o) => o.file) };
  } catch (e) {
    const errors: Diagnostic[] = [
      diag("CLI_WRITE_FAILED", `cannot write the file${step === "rename" ? " (renaming it into place)" : ""}: ${reason(e)}`, {
        file: showPath(current),
      }),
    ];
    for (const f of [...writes.map((w) => w.temp), ...renamed]) {
      try {
        layer.remove(f);
      } catch (err) {
        errors.push(diag("CLI_WRITE_FAILED", `cannot remove a file of the failed write: ${reason(err)}`, { file: String(f) }));
      }
    }
    return { ok: false, errors };
  }
}

/** One file, complete or not at all. */
export function writeFileAtomic(file: string, data: string | Uint8Array, layer: WriteLayer = nodeWriteLayer): Result<string> {
  const r = writeFilesAtomic([{ file, data }], layer);
  return r.ok ? { ok: true, value: file } : r;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
