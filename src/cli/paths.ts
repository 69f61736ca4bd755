// File names as the bytes the user typed. Node decodes argv as UTF-8 and replaces what is not UTF-8 with
// U+FFFD, so a name like n\xe9.rom (Latin-1) would become "n\uFFFD.rom": reading it finds no file, writing it
// makes a file of another name. On Linux /proc/self/cmdline still holds the exact bytes; every path the CLI
// hands to the file system goes through `fsPath`, which gives those bytes back (as a Buffer path) for a
// lossy argument. Where the bytes cannot be recovered, `pathProblem` refuses the path instead of using
// another name.

import { readFileSync } from "node:fs";
import { normalize } from "node:path";
import { diag, type Diagnostic } from "../diagnostics.ts";

const REPLACEMENT = "\uFFFD";

interface RawArgs {
  /** Lossy text (as argv and yargs give it, also normalized) → the bytes typed. */
  byText: Map<string, Buffer>;
  /** Lossy texts that two different byte strings decode to: which one is meant is unknown. */
  ambiguous: Set<string>;
}

let raw: RawArgs | undefined;

/** The argv entries whose text is lossy, with their bytes; read once, on first use. */
function rawArgs(argv: readonly string[] = process.argv.slice(2)): RawArgs {
  if (raw) return raw;
  const found: RawArgs = { byText: new Map(), ambiguous: new Set() };
  raw = found;
  if (!argv.some((a) => a.includes(REPLACEMENT))) return found;
  let entries: Buffer[];
  try {
    const all = readFileSync("/proc/self/cmdline");
    entries = [];
    for (let start = 0; start < all.length; ) {
      const end = all.indexOf(0, start);
      entries.push(all.subarray(start, end < 0 ? all.length : end));
      start = end < 0 ? all.length : end + 1;
    }
  } catch {
    return found; // not Linux: lossy paths are refused by pathProblem
  }
  // cmdline is node, its own options, the script, then the arguments: the arguments are its last entries.
  const mine = entries.slice(entries.length - argv.length);
  if (mine.length !== argv.length) return found;
  argv.forEach((text, i) => {
    // biome-ignore lint/style/noNonNullAssertion: mine has argv's length (checked above)
    let bytes = mine[i]!;
    if (!text.includes(REPLACEMENT) || bytes.toString("utf8") !== text) return;
    let t = text;
    // --option=value: the value is the path (the option's name is ASCII, so the byte index of '=' is the same).
    const eq = /^--[^=]+=/.exec(t);
    if (eq) {
      t = t.slice(eq[0].length);
      bytes = bytes.subarray(eq[0].length);
    }
    // normalize() only touches '/' and '.', which are ASCII and never part of a multi-byte sequence, so the
    // bytes (read as Latin-1, one character per byte) normalize the same way as their lossy text.
    const variants: Array<[string, Buffer]> = [
      [t, bytes],
      [trimSlash(normalize(t)), Buffer.from(trimSlash(normalize(bytes.toString("latin1"))), "latin1")],
    ];
    for (const [k, b] of variants) {
      const seen = found.byText.get(k);
      if (seen && !seen.equals(b)) found.ambiguous.add(k);
      else found.byText.set(k, b);
    }
  });
  return found;
}

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, "") : p);

/** What to give the file system for `p`: the bytes typed when `p` (or a directory it starts with) is a lossy argument. */
export function fsPath(p: string): string | Buffer {
  if (!p.includes(REPLACEMENT)) return p;
  const r = rawArgs();
  const exact = r.byText.get(p);
  if (exact) return exact;
  for (const [k, b] of r.byText) if (p.startsWith(`${k}/`)) return Buffer.concat([b, Buffer.from(p.slice(k.length), "utf8")]);
  // A relative argument made absolute (path.resolve): the working directory, then the argument's bytes.
  const cwd = `${process.cwd()}/`;
  if (p.startsWith(cwd)) {
    const rel = fsPath(p.slice(cwd.length));
    if (typeof rel !== "string") return Buffer.concat([Buffer.from(cwd, "utf8"), rel]);
  }
  return p;
}

/** A path the CLI cannot pass on as typed: it holds bytes that are not UTF-8 and they could not be recovered. */
export function pathProblem(p: string, what: string): Diagnostic | undefined {
  if (!p.includes(REPLACEMENT)) return undefined;
  const r = rawArgs();
  if ([...r.ambiguous].some((k) => p === k || p.startsWith(`${k}/`))) {
    return diag("CLI_PATH_ENCODING", `the ${what}'s name holds bytes that are not UTF-8, and two arguments differ only in those bytes; rename the file`, {
      file: p,
    });
  }
  if (typeof fsPath(p) === "string") {
    return diag(
      "CLI_PATH_ENCODING",
      `the ${what}'s name holds bytes that are not UTF-8 and vmirom cannot get them back from the command line (it would use another name); rename the file`,
      { file: p },
    );
  }
  return undefined;
}

/**
 * A name made from a lossy argument (the manifest beside a ROM: n\xe9.rom → n\xe9.json): `text` is given the
 * bytes `derive` makes of the argument's bytes (read as Latin-1, one character per byte).
 */
export function derivePath(from: string, text: string, derive: (latin1: string) => string): void {
  const b = fsPath(from);
  if (typeof b !== "string") rawArgs().byText.set(text, Buffer.from(derive(b.toString("latin1")), "latin1"));
}

/** `p` for messages: a lossy path with its bytes, those that are not ASCII as \xNN. */
export function showPath(p: string): string {
  const b = fsPath(p);
  if (typeof b === "string") return p;
  let s = "";
  for (const byte of b) s += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`;
  return s;
}

/** For tests: forget what was read, and read these arguments instead of process.argv's. */
export function resetRawArgs(argv?: readonly string[]): void {
  raw = undefined;
  if (argv) rawArgs(argv);
}
