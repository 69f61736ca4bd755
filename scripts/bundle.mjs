// Bundles the CLI (src/cli/main.ts) into dist/vmirom.mjs, the `vmirom` bin: one ESM file for Node, with
// iced-x86 left external (a WebAssembly package loaded from node_modules at run time). The file is written
// under a temporary name and renamed, so a concurrent run of the bin never reads a half-written bundle.
import { build } from "esbuild";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "vmirom.mjs");

const result = await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outfile,
  bundle: true,
  write: false,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["iced-x86"],
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
  legalComments: "none",
});
const tmp = `${outfile}.${process.pid}.tmp`;
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(tmp, result.outputFiles[0].contents);
chmodSync(tmp, 0o755);
renameSync(tmp, outfile);
