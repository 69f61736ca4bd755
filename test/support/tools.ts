// Real tools the tests use as oracles (GNU as, objcopy, objdump, nasm, qemu). A missing tool skips the
// test on a developer machine, but fails it under CI=true: CI must never pass by skipping.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const inCI = process.env.CI === "true" || process.env.CI === "1";

export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** Whether a test needing `tools` should run; throws under CI when one is missing. */
export function requireTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return true;
  if (inCI) throw new Error(`CI=true but required tool(s) missing: ${missing.join(", ")}`);
  return false;
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end without blocking the test worker (spawnSync would: see event-loop.ts), for tests
 * that run a child for seconds, or many in a row.
 */
export function runTool(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "",
      stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "vmirom-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** withTempDir for an async `fn`: the directory goes when its promise settles. */
export async function withTempDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "vmirom-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Assembles AT&T source with `as --32` and returns the .text bytes. */
export function gasAssemble(source: string, bits: 16 | 32 = 32): Uint8Array {
  return withTempDir((dir) => {
    const s = join(dir, "x.s"),
      o = join(dir, "x.o"),
      b = join(dir, "x.bin");
    writeFileSync(s, `${bits === 16 ? ".code16" : ".code32"}\n.text\n${source}\n`);
    const r = spawnSync("as", ["--32", "-o", o, s], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`as failed:\n${r.stderr.split("\n").slice(0, 20).join("\n")}`);
    execFileSync("objcopy", ["-O", "binary", "-j", ".text", o, b]);
    return new Uint8Array(readFileSync(b));
  });
}

export interface Decoded {
  offset: number;
  length: number;
  text: string;
}

/** objdump's view of raw bytes: one entry per instruction (continuation lines folded in). */
export function objdumpDecode(bytes: Uint8Array, bits: 16 | 32 = 32, origin = 0): Decoded[] {
  return withTempDir((dir) => {
    const b = join(dir, "x.bin");
    writeFileSync(b, bytes);
    const args = ["-D", "-b", "binary", "-m", bits === 16 ? "i8086" : "i386", "-w"];
    if (origin) args.push(`--adjust-vma=0x${origin.toString(16)}`);
    const out = execFileSync("objdump", [...args, b], { encoding: "utf8", maxBuffer: 1 << 30 });
    const res: Decoded[] = [];
    for (const line of out.split("\n")) {
      const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
      if (!m) continue;
      const offset = parseInt(m[1]!, 16) - origin;
      const n = m[2]!.trim().split(" ").length;
      res.push({ offset, length: n, text: m[3]!.trim() });
    }
    return res;
  });
}

/** Collapses runs of blanks so that column padding does not matter. */
export function normalizeText(t: string): string {
  return t.replace(/\s+/g, " ").trim();
}
