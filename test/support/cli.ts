// The bundled CLI as the CLI tests spawn it, and the fixture they share: a fresh bundle and every ROM built
// into a temporary directory before the file's tests, removed after them.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "dist", "vmirom.mjs");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string | Buffer;
  timeout?: number;
}

export function runCli(args: string[], opts: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : { stdio: ["ignore", "pipe", "pipe"] }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Registers the hooks; `tmp` and `out` (the built ROMs) are ready inside the tests. */
export function builtRomsFixture(prefix: string): { readonly tmp: string; readonly out: string } {
  const state = { tmp: "", out: "" };
  beforeAll(() => {
    const bundle = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs")], { encoding: "utf8" });
    if (bundle.status !== 0) throw new Error(`bundling failed: ${bundle.stderr}`);
    state.tmp = mkdtempSync(join(tmpdir(), prefix));
    state.out = join(state.tmp, "roms");
    const r = runCli(["build", "--all", "--out", state.out], { cwd: state.tmp });
    if (r.status !== 0) throw new Error(`vmirom build failed: ${r.stderr}`);
  });
  afterAll(() => {
    if (state.tmp) rmSync(state.tmp, { recursive: true, force: true });
  });
  return {
    get tmp() {
      return state.tmp;
    },
    get out() {
      return state.out;
    },
  };
}
