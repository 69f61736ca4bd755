// Builds the library (the package's `exports`): tsc compiles the public entries (src/lib/*.ts) and what they
// import to JavaScript and .d.ts in dist/lib/, keeping the repository's folder structure (tsconfig.lib.json).
// The CLI bundle beside it (scripts/bundle.mjs) is separate: it is split for a fast start, the library is not.
//
// tsc rewrites the sources' relative `.ts` imports to `.js` in the JavaScript but not in the .d.ts files, where a
// consumer's tsc would look for `.ts` files that are not there (and refuse `.ts` specifiers without
// allowImportingTsExtensions); they are rewritten here.
//
// The output is built in a temporary folder and renamed into place, so that a concurrent reader (a test
// importing dist/lib) never sees half of it.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const final = join(root, "dist", "lib");
const tmp = join(root, "dist", `lib.${process.pid}.tmp`);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(tmp, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.lib.json"), "--outDir", tmp], { stdio: "inherit", cwd: root });
} catch {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}

// `from "./x.ts"`, `import("../y.ts")`, `import "./z.ts"` — relative specifiers only.
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']*?)\.ts\2/g;
for (const entry of readdirSync(tmp, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(TS_SPECIFIER, "$1$2$3.js$2");
  if (fixed !== text) writeFileSync(file, fixed);
}

rmSync(final, { recursive: true, force: true });
renameSync(tmp, final);
