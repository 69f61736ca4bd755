// Which TypeScript line recorded a node: the first stack frame outside src/asm, as "path:line" (for
// listings and errors). Two ways to find it:
// - by default, the stack's text, which the runtime has already mapped back to TypeScript (tsx, vitest,
//   node with source maps on). Correct everywhere, but formatting and mapping a whole stack per
//   instruction costs ~50 µs, most of a ROM build's time;
// - when a host installs a `StackPositions` (the bundled CLI does, from a line table the bundler writes),
//   the frames' raw positions (file, line, column) are read from V8's structured stack and looked up in
//   it: a few µs, no source map parsed at run time.

/**
 * Maps a raw stack position (file name or URL as V8 reports it, 1-based line and column) to the TypeScript
 * "path:line" it came from (path relative to the repository, e.g. "roms/native/cpu.ts:23"); `undefined`
 * when the file is not one it knows (the frame is then skipped).
 */
export type StackPositions = (file: string, line: number, column: number) => string | undefined;

let positions: StackPositions | undefined;

/** Installs (or with `undefined`, removes) the raw-position lookup for this process. */
export function setStackPositions(p: StackPositions | undefined): void {
  positions = p;
}

/** Any function: captureStackTrace only compares it with the frames' functions. */
export type AnyFunction = (...args: never[]) => unknown;

// V8 hands prepareStackTrace the structured frames; returning them skips formatting any text.
const structured = (_: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames;
const holder: { stack?: unknown } = {};

/**
 * The first frame outside src/asm, or undefined. `from`: the DSL function that asks (its frame and those above
 * it are not collected); the answer is the same as from the stack text of an Error made inside `from`. `entry`:
 * the public DSL method the program called, when known (its caller is then usually the very next frame).
 */
export function captureSource(from: AnyFunction = captureSource, entry?: AnyFunction): string | undefined {
  // A stack text made inside `from` would show `from` and limit - 1 frames below it.
  const window = from === captureSource ? Error.stackTraceLimit : Error.stackTraceLimit - 1;
  return positions ? fromPositions(positions, from, window, entry) : fromText(from, window);
}

/**
 * The line that called the public DSL method `entry`, asked from inside `entry` itself: V8 walks the frames
 * from the top down to `entry` before it collects any, so asking from there, not from deeper helpers, walks
 * four or five frames fewer (about a third of a capture). Undefined when no line table is installed or the
 * answer is not within two frames below `entry`; the caller then asks captureSource, which finds the same
 * answer or looks further.
 */
export function callerSource(entry: AnyFunction): string | undefined {
  return positions ? search(positions, BELOW_ENTRY, entry) : undefined;
}

// The DSL's own frames below the asking one: at most three for an instruction (recordGeneral, recordOps, the
// mnemonic), so a short capture is tried first — V8's cost grows with the frames it collects. Below the public
// method, two frames cover a call from the program and one DSL method calling another.
const SHORT = 4;
const BELOW_ENTRY = 2;

function fromPositions(p: StackPositions, from: AnyFunction, window: number, entry: AnyFunction | undefined): string | undefined {
  // Frames between `from` and `entry` are the DSL's own, so the first frame of ours below `entry` is the answer.
  const found = (entry !== undefined ? search(p, BELOW_ENTRY, entry) : undefined) ?? (SHORT < window ? search(p, SHORT, from) : undefined);
  // Not within a short window: look as far as the stack text would have (the same answer, or none).
  return found === undefined ? search(p, window, from) : found;
}

function search(p: StackPositions, depth: number, from: AnyFunction): string | undefined {
  if (depth <= 0) return undefined;
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = structured;
  Error.stackTraceLimit = depth;
  Error.captureStackTrace(holder, from);
  const frames = holder.stack as NodeJS.CallSite[] | undefined;
  Error.prepareStackTrace = savedPrepare;
  Error.stackTraceLimit = savedLimit;
  holder.stack = undefined;
  if (!Array.isArray(frames)) return undefined;
  for (const f of frames) {
    const file = f.getFileName();
    const line = f.getLineNumber();
    const column = f.getColumnNumber();
    if (!file || line === null || column === null) continue;
    const at = p(file, line, column);
    if (at !== undefined && !at.startsWith("src/asm/")) return at;
  }
  return undefined;
}

function fromText(from: AnyFunction, window: number): string | undefined {
  const savedLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = window;
  const o: { stack?: string } = {};
  Error.captureStackTrace(o, from);
  Error.stackTraceLimit = savedLimit;
  for (const line of (o.stack ?? "").split("\n").slice(1)) {
    if (line.includes("/src/asm/") || line.includes("node:internal")) continue;
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?\s*$/.exec(line);
    if (m) return `${shortPath(m[1]!)}:${m[2]}`;
  }
  return undefined;
}

function shortPath(p: string): string {
  const s = p.replace(/^file:\/\//, "");
  const i = s.search(/\/(roms|src|test|scripts)\//);
  return i >= 0 ? s.slice(i + 1) : s;
}
