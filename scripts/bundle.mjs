// Bundles the CLI (src/cli/main.ts) into dist/vmirom-cli.mjs (one ESM file for Node, with iced-x86 left
// external: a WebAssembly package loaded from node_modules at run time), the test guest that `vmirom run`
// boots (scripts/qemu/guest-entry.ts) into dist/vmirom-guest.mjs — a file of its own, loaded by the CLI only
// for `vmirom run`, so that src/ never imports test/ — and writes dist/vmirom.mjs, the
// `vmirom` bin, which turns on source maps before loading the bundle: listings name the TypeScript line that
// emitted each instruction (roms/native/cpu.ts:12), not a line of the bundle. Files are written under a
// temporary name and renamed, so a concurrent run of the bin never reads a half-written bundle.
import { build } from "esbuild";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "vmirom-cli.mjs");
const binfile = join(root, "dist", "vmirom.mjs");
const guestfile = join(root, "dist", "vmirom-guest.mjs");

const bundle = (entry, out) => build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  write: false,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["iced-x86"],
  sourcemap: "inline",
  sourcesContent: false,
  logLevel: "warning",
  legalComments: "none",
});
const [result, guest] = await Promise.all([
  bundle(join(root, "src", "cli", "main.ts"), outfile),
  bundle(join(root, "scripts", "qemu", "guest-entry.ts"), guestfile),
]);
function writeAtomically(file, contents, mode) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
mkdirSync(dirname(outfile), { recursive: true });
writeAtomically(outfile, result.outputFiles[0].contents, 0o644);
writeAtomically(guestfile, guest.outputFiles[0].contents, 0o644);
writeAtomically(
  binfile,
  '#!/usr/bin/env node\n// The vmirom bin: source maps first (they apply only to code loaded afterwards), then the CLI.\nprocess.setSourceMapsEnabled(true);\nawait import("./vmirom-cli.mjs");\n',
  0o755,
);
