#!/usr/bin/env node
// Runs benchmarks the way users run vmirom: bundled by esbuild (no on-the-fly TypeScript transform in
// the timed code). Usage: node scripts/bench/run.mjs asm|all [args...]
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const BENCHES = { asm: "asm.ts", roms: "roms.ts" };
const [which = "all", ...args] = process.argv.slice(2);
const names = which === "all" ? Object.keys(BENCHES).filter((n) => existsSync(join(here, BENCHES[n]))) : [which];
const dir = mkdtempSync(join(tmpdir(), "vmirom-bench-"));
let status = 0;
try {
  for (const name of names) {
    if (!BENCHES[name]) throw new Error(`unknown benchmark '${name}' (known: ${Object.keys(BENCHES).join(", ")})`);
    const out = join(dir, `${name}.mjs`);
    await build({ entryPoints: [join(here, BENCHES[name])], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "warning", external: ["iced-x86"] });
    console.log(`== bench: ${name}`);
    const r = spawnSync(process.execPath, ["--expose-gc", out, ...args], { stdio: "inherit", cwd: join(here, "..", "..") });
    if (r.status !== 0) status = r.status ?? 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
