// Bundles the CLI (src/cli/main.ts) into dist/: `vmirom.mjs` (the bin: yargs, the grammar and help only),
// one chunk per command's code (`vmirom-<name>-<hash>.mjs`, loaded when a command runs) and `vmirom-guest.mjs`
// (the test guest for `vmirom run`, loaded by that command only), as ESM for Node with iced-x86 left external
// (a WebAssembly package loaded from node_modules, by the checker only).
//
// Listings name the TypeScript line that emitted each instruction (roms/native/cpu.ts:12), not a line of the
// bundle. Rather than turning on Node's source maps (which parses every map at load time and maps every
// frame of every stack), the bundler writes `dist/vmirom.lines.json`: for each output file, where its lines
// came from — the source map's segments reduced to (generated line, column) → (repository path, line),
// keeping only where that answer changes. The CLI looks raw stack positions up in it
// (src/cli/stack-positions.ts). The `.map` files are written too, for debugging with --enable-source-maps.
//
// Files are written under a temporary name and renamed, so a concurrent run of the bin never reads a
// half-written file; outputs of earlier bundles that this one no longer makes are removed.
import { build } from "esbuild";
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

// yargs prints its help through cliui and wrap-ansi, which measure every cell with the `string-width` package.
// Each copy of it builds an Intl.Segmenter when loaded (≈ 9 ms: ICU's segmentation data) and segments every
// string it measures, a good part of what `vmirom --help` costs. Every import of `string-width` is therefore
// given a front: a string of printable ASCII and Latin-1 characters (without the soft hyphen and the two
// characters that can be emoji, © and ®) is one column per character, as string-width itself answers (all its
// versions: no control, mark, ignorable, emoji or wide character there; Latin-1's ambiguous-width ones are
// narrow unless the caller asks otherwise); anything else goes to the real package, which the `require`
// below makes esbuild initialise only then. Help output is unchanged, character for character.
const NARROW = String.raw`/^[\x20-\x7e\xa0-\xa8\xaa-\xac\xaf-\xff]*$/`;
const stringWidthFront = {
  name: "string-width-front",
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { real: true } });
      return real.errors.length ? { errors: real.errors } : { path: real.path, namespace: "string-width-front" };
    });
    b.onLoad({ filter: /.*/, namespace: "string-width-front" }, (args) => ({
      resolveDir: dirname(args.path),
      contents: `let real;
export default function stringWidth(text, options) {
  if (typeof text === "string" && ${NARROW}.test(text) && !(options && options.ambiguousIsNarrow === false)) return text.length;
  real ??= require(${JSON.stringify(args.path)}).default;
  return real(text, options);
}
`,
    }));
  },
};

const result = await build({
  // vmirom-guest: the test guest `vmirom run` boots, an entry of its own that the CLI loads only for that
  // command (src/cli/guest-runner.ts), so that src/ never imports guest/.
  entryPoints: { vmirom: join(root, "src", "cli", "main.ts"), "vmirom-guest": join(root, "guest", "qemu", "guest-entry.ts") },
  outdir: dist,
  entryNames: "[name]",
  chunkNames: "vmirom-[name]-[hash]",
  bundle: true,
  splitting: true,
  outExtension: { ".js": ".mjs" },
  metafile: true,
  write: false,
  platform: "node",
  format: "esm",
  target: "node20",
  // esbuild: loaded by `build --backend FILE` only, to compile the backend file (src/cli/backend-file.ts).
  external: ["iced-x86", "esbuild"],
  banner: { js: "#!/usr/bin/env node" },
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
  legalComments: "none",
  plugins: [stringWidthFront],
});

const B64 = Object.fromEntries([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]));

/** Source map v3 segments as [generated line (0-based), column, source index, original line] (no names). */
function* segments(mappings) {
  let line = 0,
    col = 0,
    src = 0,
    oline = 0,
    i = 0;
  const n = mappings.length;
  const vlq = () => {
    let v = 0,
      shift = 0,
      d;
    do {
      d = B64[mappings[i++]];
      v += (d & 31) << shift;
      shift += 5;
    } while (d & 32);
    return v & 1 ? -(v >>> 1) : v >>> 1;
  };
  while (i < n) {
    const c = mappings[i];
    if (c === ";") {
      line++;
      col = 0;
      i++;
      continue;
    }
    if (c === ",") {
      i++;
      continue;
    }
    col += vlq();
    const fields = [col];
    if (i < n && mappings[i] !== "," && mappings[i] !== ";") {
      src += vlq();
      oline += vlq();
      vlq(); // original column
      if (i < n && mappings[i] !== "," && mappings[i] !== ";") vlq(); // name
      yield [line, col, src, oline];
    } else yield [line, fields[0], -1, -1];
  }
}

/**
 * One output file's table. A lookup takes the last segment at or before the position (as Node's source maps
 * do), so a segment whose answer equals the previous one's is dropped; code from node_modules answers -1.
 * `seg` is flat: generated line delta, column, source index, original line delta (1-based lines).
 */
function lineTable(map, mapDir) {
  const sources = [];
  const index = map.sources.map((s) => {
    const path = relative(root, resolve(mapDir, s)).split(sep).join("/");
    if (path.startsWith("..") || path.includes("node_modules/")) return -1;
    sources.push(path);
    return sources.length - 1;
  });
  const seg = [];
  let prevLine = 0,
    prevOrig = 0,
    lastSrc = NaN,
    lastOrig = NaN;
  for (const [line, col, s, oline] of segments(map.mappings)) {
    const src = s < 0 ? -1 : index[s];
    const orig = src < 0 ? -1 : oline + 1;
    if (src === lastSrc && orig === lastOrig) continue;
    lastSrc = src;
    lastOrig = orig;
    seg.push(line + 1 - prevLine, col, src, src < 0 ? 0 : orig - prevOrig);
    prevLine = line + 1;
    if (src >= 0) prevOrig = orig;
  }
  return { sources, seg };
}

function writeAtomically(file, contents, mode = 0o644) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

mkdirSync(dist, { recursive: true });
const tables = {};
const written = new Set(["vmirom.lines.json"]);
for (const f of result.outputFiles) {
  const name = basename(f.path);
  if (name.endsWith(".map")) tables[name.slice(0, -4)] = lineTable(JSON.parse(f.text), dirname(f.path));
}
// Chunks first, the bin last: a bin that is present finds its chunks.
const files = [...result.outputFiles].sort((x, y) => Number(basename(x.path) === "vmirom.mjs") - Number(basename(y.path) === "vmirom.mjs"));
writeAtomically(join(dist, "vmirom.lines.json"), JSON.stringify({ version: 1, files: tables }) + "\n");
for (const f of files) {
  const name = basename(f.path);
  written.add(name);
  writeAtomically(join(dist, name), f.contents, name === "vmirom.mjs" ? 0o755 : 0o644);
}
for (const name of readdirSync(dist)) {
  if (name.startsWith("vmirom") && !written.has(name) && !name.endsWith(".tmp")) rmSync(join(dist, name), { force: true });
}
if (process.env.VMIROM_BUNDLE_META) writeFileSync(process.env.VMIROM_BUNDLE_META, JSON.stringify(result.metafile));
