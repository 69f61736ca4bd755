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

// V8 hands prepareStackTrace the structured frames; returning them skips formatting any text.
const structured = (_: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] => frames;
const holder: { stack?: unknown } = {};

/** The first frame outside src/asm, or undefined. */
export function captureSource(): string | undefined {
  return positions ? fromPositions(positions) : fromText();
}

// The DSL's own frames above the caller: usually four or five (src, recordGeneral, recordOps, the mnemonic),
// so a short capture is tried first; V8's cost grows with the frames it collects.
const SHORT = 6;

function fromPositions(p: StackPositions): string | undefined {
  const limit = Error.stackTraceLimit;
  const found = SHORT < limit ? search(p, SHORT + 2) : undefined;
  // Not within the short window: look as far as a full stack would have (the same answer, or none).
  return found === undefined ? search(p, limit + 2) : found;
}

function search(p: StackPositions, depth: number): string | undefined {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = structured;
  Error.stackTraceLimit = depth;
  Error.captureStackTrace(holder, search);
  const frames = holder.stack as NodeJS.CallSite[] | undefined;
  Error.prepareStackTrace = savedPrepare;
  Error.stackTraceLimit = savedLimit;
  holder.stack = undefined;
  if (!Array.isArray(frames)) return undefined;
  // Frames of captureSource and fromPositions are above the ones a plain `new Error()` in the DSL would see.
  for (let i = 2; i < frames.length; i++) {
    const f = frames[i]!;
    const file = f.getFileName();
    const line = f.getLineNumber();
    const column = f.getColumnNumber();
    if (!file || line === null || column === null) continue;
    const at = p(file, line, column);
    if (at !== undefined && !at.startsWith("src/asm/")) return at;
  }
  return undefined;
}

function fromText(): string | undefined {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
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
