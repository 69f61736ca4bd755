// Bundles the CLI (src/cli/main.ts) into dist/vmirom.mjs, the `vmirom` bin: one ESM file for Node, with
// iced-x86 left external (a WebAssembly package loaded from node_modules at run time).
import { build } from "esbuild";
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "vmirom.mjs");

await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["iced-x86"],
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
  legalComments: "none",
});
chmodSync(outfile, 0o755);
