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

function fromPositions(p: StackPositions): string | undefined {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = structured;
  Error.captureStackTrace(holder, captureSource);
  const frames = holder.stack as NodeJS.CallSite[] | undefined;
  Error.prepareStackTrace = saved;
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
