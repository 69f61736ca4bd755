// `vmirom list`: an objdump-style listing made from an image alone, decoded by the checker's decoder
// (src/decode: iced-x86, never vmirom's own assembler, so it can cross-check the builder's .lst). The layout
// says where the entries are: the 16-bit init entry, each jump point and slot (decoded up to the filler), and
// the 32-bit code they lead to — bodies, cold parts, routines — followed and owned by the checker's rule
// (src/decode/code-owners.ts).

import { followCode, type CodeArea, type CodeEntry, type EntryKind } from "../decode/code-owners.ts";
import { areaExits, slotShape, type AreaExit } from "../decode/slot-form.ts";
import { X86Decoder, type DecodedInstruction } from "../decode/x86-decoder.ts";
import type { Layout } from "../layout/types.ts";
import { hexBytes } from "./bytes.ts";

/** Decoding stops after this many instructions in total (a garbage image could otherwise run long). */
const MAX_INSTRUCTIONS = 200_000;

/** A decoded instruction with its text (the decoder is asked for text). */
type Line = DecodedInstruction & { text: string };

interface Entry {
  name: string;
  offset: number;
  bits: 16 | 32;
  /** A fixed area (slot, jump point): decode to its end and show the filler; otherwise explore. */
  area?: number;
  kind?: EntryKind;
  call?: string;
  reachedBy?: string[];
}

/** One decoded line: an instruction, or a run of filler or undecodable bytes (text in parentheses). */
export interface DecodedLine {
  offset: number;
  length: number;
  text: string;
}

/** A slot, jump point, body or routine and its lines, in offset order. */
export interface DecodedEntry {
  name: string;
  offset: number;
  bits: 16 | 32;
  /** Size of a fixed area (slot, jump point); absent for code found by following branches. */
  area?: number;
  /** 32-bit code found by following branches: a call's body or cold part, or a shared routine. */
  kind?: EntryKind;
  /** The call (or jump point role) a body or cold part belongs to. */
  call?: string;
  /** The calls (and jump point roles) whose slot, body or cold parts call or jump to this code. */
  reachedBy?: string[];
  lines: DecodedLine[];
}

export interface DecodedImage {
  /** Sorted by offset (then name). */
  entries: DecodedEntry[];
  /** Decoding stopped at the instruction budget. */
  truncated: boolean;
  /** Near relative jump, branch and call targets, by the offset of the instruction. */
  targets: Map<number, number>;
}

export interface DecodeOptions {
  /** objdump's default (AT&T, as the builder's listing) or `-M intel`. */
  syntax?: "att" | "intel";
  /** A name for code found at an offset (from a build manifest: shared routines, bodies), instead of sub_<offset>. */
  names?: (offset: number) => string | undefined;
  /** Shared routines a build manifest names: entries of their own, never a call's cold part. */
  shared?: ReadonlyArray<{ offset: number; size: number }>;
}

/** Every entry the layout names and every body and routine reached from them, decoded from the bytes. */
export function decodeImage(bytes: Uint8Array, layout: Layout, opts: DecodeOptions = {}): DecodedImage {
  const d = new Disassembler(bytes, layout.filler, opts.syntax ?? "att");
  try {
    const decoded = d.collect(layout, opts.shared ?? []);
    if (opts.names) {
      for (const e of decoded.entries) {
        const n = opts.names(e.offset);
        if (n !== undefined && e.area === undefined) e.name = n;
      }
    }
    return decoded;
  } finally {
    d.free();
  }
}

export interface ListOptions extends DecodeOptions {
  /** Write a branch's or call's target with its symbol, as objdump does: `jmp    0x9e0 <body_SetDR>`. */
  symbols?: boolean;
}

export function disassembleImage(bytes: Uint8Array, layout: Layout, name = "image", opts: ListOptions = {}): string {
  const decoded = decodeImage(bytes, layout, opts);
  const symbol = opts.symbols ? symbolizer(decoded.entries) : undefined;
  const out: string[] = [`${name}:     file format binary (vmirom list, layout ${layout.name})`, "", "Disassembly:"];
  for (const e of decoded.entries) {
    const withSymbols = symbol
      ? {
          ...e,
          lines: e.lines.map((l) => {
            const target = decoded.targets.get(l.offset);
            return target === undefined ? l : { ...l, text: `${l.text} <${symbol(target)}>` };
          }),
        }
      : e;
    out.push("", ...formatEntry(bytes, withSymbols));
  }
  if (decoded.truncated) out.push("", `(stopped after ${MAX_INSTRUCTIONS} instructions)`);
  return out.join("\n") + "\n";
}

/** objdump's `<symbol>` / `<symbol+0x5>` for an address: the nearest entry at or below it. */
function symbolizer(entries: readonly DecodedEntry[]): (target: number) => string {
  const sorted = [...entries].sort((x, y) => x.offset - y.offset);
  return (t) => {
    let best: DecodedEntry | undefined;
    for (const e of sorted) {
      if (e.offset > t) break;
      best = e;
    }
    if (!best) return `0x${t.toString(16)}`;
    return t === best.offset ? best.name : `${best.name}+0x${(t - best.offset).toString(16)}`;
  };
}

/** One entry in objdump's style: the symbol header, then its lines. */
export function formatEntry(bytes: Uint8Array, e: DecodedEntry): string[] {
  return [
    `${e.offset.toString(16).padStart(8, "0")} <${e.name}>:`,
    ...e.lines.map((l) => row(l.offset, bytes.subarray(l.offset, l.offset + l.length), l.text)),
  ];
}

/** A jump point or slot as the shared rule sees it, with its entry and lines. */
interface ReadArea extends CodeArea {
  entry: Entry;
  lines: DecodedLine[];
}

class Disassembler {
  private readonly decoders: Record<16 | 32, X86Decoder>;
  readonly targets = new Map<number, number>();
  private budget = MAX_INSTRUCTIONS;
  private readonly entries: Entry[] = [];
  private readonly entryAt = new Map<number, Entry>();
  private readonly inArea: Uint8Array;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly filler: number,
    syntax: "att" | "intel",
  ) {
    this.inArea = new Uint8Array(bytes.length);
    this.decoders = { 16: new X86Decoder(bytes, 16, { text: true, syntax }), 32: new X86Decoder(bytes, 32, { text: true, syntax }) };
  }

  free(): void {
    this.decoders[16].free();
    this.decoders[32].free();
  }

  collect(layout: Layout, shared: ReadonlyArray<{ offset: number; size: number }>): DecodedImage {
    const entryField = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "romEntry");
    const romEntry = entryField ? this.add({ name: "rom_entry", offset: entryField.offset, bits: 16, area: entryField.size }) : undefined;
    const areas: ReadArea[] = [];
    // A jump point's body and cold parts are named as the call's it implements (body_Init).
    for (const jp of layout.jumpPoints)
      areas.push(this.readArea({ name: `jump_${jp.role}`, offset: jp.offset, bits: 32, area: jp.size }, capitalized(jp.role)));
    for (const c of [...layout.calls].sort((x, y) => x.number - y.number)) {
      areas.push(
        this.readArea({ name: `stub_${c.name}`, offset: layout.slots.base + c.number * layout.slots.size, bits: 32, area: layout.slots.size }, c.name),
      );
    }
    // Code found by following branches never runs on into a slot or jump point (a cold part jumping back
    // into its slot's hot path): those bytes belong to their area.
    for (const e of this.entries) if (e.area !== undefined) this.inArea.fill(1, Math.max(0, e.offset), Math.min(this.bytes.length, e.offset + e.area));
    const lines = new Map<Entry, DecodedLine[]>(areas.map((a) => [a.entry, a.lines]));

    // The 16-bit init routine the ROM entry jumps to, and what it calls.
    if (entryField && romEntry) {
      const r = this.area(romEntry, entryField.size);
      lines.set(romEntry, r.lines);
      for (const x of r.exits) {
        const t = x.target;
        if (x.flow === "call" && t === x.next) continue;
        if (x.flow === "jump" || (t >= 0 && t < this.bytes.length)) this.add({ name: x.flow === "jump" ? "init16" : subName(t), offset: t, bits: 16 });
      }
      // explore adds the routines the code calls: they are explored in their turn.
      for (const e of this.entries) if (e.bits === 16 && !lines.has(e)) lines.set(e, this.explore(e));
    }
    // 32-bit code: what the slots and jump points lead to, and whose it is, by the checker's rule. Bytes a path
    // reached that do not decode are listed with the entry whose path got there first.
    const invalid = new Map<CodeEntry<ReadArea>, number[]>();
    const owners = followCode<ReadArea>({
      bytes: this.bytes,
      filler: this.filler,
      areas,
      shared,
      decode: (off) => this.decoders[32].at(off),
      enterable: (t) => t >= 0 && t < this.bytes.length && !this.inArea[t] && this.entryAt.get(t)?.bits !== 16,
      accept: (ins, entry) => {
        // 32-bit code stops at slots and jump points, and at the 16-bit code's entries.
        if (this.inArea[ins.offset] || this.entryAt.get(ins.offset)?.bits === 16) return "drop";
        if (--this.budget < 0 || ins.status !== "ok") {
          if (this.budget >= 0) {
            const list = invalid.get(entry) ?? [];
            list.push(ins.offset);
            invalid.set(entry, list);
          }
          return "drop";
        }
        if (ins.target !== undefined) this.targets.set(ins.offset, ins.target);
        return "follow";
      },
    });
    for (const o of owners.entries) {
      const name = o.kind === "shared" || !o.area ? subName(o.offset) : `${o.kind}_${o.area.name}`;
      const e = this.add({
        name,
        offset: o.offset,
        bits: 32,
        kind: o.kind,
        ...(o.area ? { call: o.area.name } : {}),
        reachedBy: o.reachedBy.map((a) => a.name),
      });
      const own: DecodedLine[] = o.instructions.map((i) => ({ offset: i.offset, length: i.length, text: owners.decoded.get(i.offset)?.text ?? "" }));
      for (const at of invalid.get(o) ?? []) own.push({ offset: at, length: 1, text: "(invalid)" });
      own.sort((x, y) => x.offset - y.offset);
      lines.set(e, own);
    }

    const entries = [...this.entries]
      .sort((x, y) => x.offset - y.offset || x.name.localeCompare(y.name))
      .map((e) => {
        const { name, offset, bits, area, kind, call, reachedBy } = e;
        return {
          name,
          offset,
          bits,
          ...(area !== undefined ? { area } : {}),
          ...(kind ? { kind } : {}),
          ...(call !== undefined ? { call } : {}),
          ...(reachedBy ? { reachedBy } : {}),
          lines: lines.get(e) ?? [],
        };
      });
    return { entries, truncated: this.budget <= 0, targets: this.targets };
  }

  private add(e: Entry): Entry {
    const existing = this.entryAt.get(e.offset);
    if (existing) return existing;
    this.entries.push(e);
    this.entryAt.set(e.offset, e);
    return e;
  }

  /** A jump point or slot: its entry, and what it leads to by its shape (src/decode/slot-form.ts). */
  private readArea(e: Entry & { area: number }, name: string): ReadArea {
    const entry = this.add(e);
    const { lines, exits } = this.area(entry, e.area);
    const size = Math.min(e.area, Math.max(0, this.bytes.length - e.offset));
    const shape = size > 0 ? slotShape(this.bytes, e.offset, size) : undefined;
    if (shape?.kind === "absent") return { name, kind: "absent", exits: [], entry, lines };
    if (shape?.kind === "outOfLine") return { name, kind: "outOfLine", target: shape.target, exits: [], entry, lines };
    return { name, kind: "inline", exits, entry, lines };
  }

  /** A slot or jump point of `size` bytes: instructions until a terminator followed only by filler, then the filler. */
  private area(e: Entry, size: number): { lines: DecodedLine[]; exits: AreaExit[] } {
    const end = Math.min(this.bytes.length, e.offset + size);
    const lines: DecodedLine[] = [];
    const code: Line[] = [];
    let p = e.offset;
    while (p < end) {
      if (this.bytes.subarray(p, end).every((b) => b === this.filler) && p > e.offset) {
        lines.push({ offset: p, length: end - p, text: "(filler)" });
        break;
      }
      const ins = this.decode(p, e.bits);
      if (!ins || p + ins.length > end) {
        lines.push({ offset: p, length: end - p, text: "(bytes)" });
        break;
      }
      lines.push({ offset: p, length: ins.length, text: ins.text });
      code.push(ins);
      p += ins.length;
    }
    return { lines, exits: areaExits(code, e.offset, end) };
  }

  /** 16-bit code: every instruction reachable from its start, in offset order; a call's target is an entry. */
  private explore(e: Entry): DecodedLine[] {
    const seen = new Map<number, DecodedLine>();
    const stack = [e.offset];
    for (let p = stack.pop(); p !== undefined && this.budget > 0; p = stack.pop()) {
      if (seen.has(p) || p < 0 || p >= this.bytes.length || (p !== e.offset && (this.entryAt.has(p) || this.inArea[p]))) continue;
      const ins = this.decode(p, e.bits);
      if (!ins) {
        seen.set(p, { offset: p, length: 1, text: "(invalid)" });
        continue;
      }
      seen.set(p, ins);
      stack.push(...this.follow(ins, e));
    }
    return [...seen.values()].sort((x, y) => x.offset - y.offset).map((l) => ({ offset: l.offset, length: l.length, text: l.text }));
  }

  /** Where control goes from `ins`: a call makes its target an entry and returns; the offsets returned are explored. */
  private follow(ins: Line, e: Entry): number[] {
    const next = ins.offset + ins.length;
    const target = ins.target;
    switch (ins.flow) {
      case "call":
        // `call` to the next instruction is the call/pop idiom for finding the ROM's address: same body.
        if (target !== undefined && target !== next && target >= 0 && target < this.bytes.length) {
          this.add({ name: subName(target), offset: target, bits: e.bits });
        }
        return [next];
      case "jump":
        return target === undefined ? [] : [target];
      case "branch":
        return target === undefined ? [next] : [target, next];
      case "return":
      case "trap":
        return [];
      default:
        return [next];
    }
  }

  private decode(offset: number, bits: 16 | 32): Line | undefined {
    if (--this.budget < 0) return undefined;
    const ins = this.decoders[bits].at(offset);
    if (ins.status !== "ok") return undefined;
    // Every near relative target (loop and jecxz too) gets its symbol in the listing.
    if (ins.target !== undefined) this.targets.set(offset, ins.target);
    return ins as Line;
  }
}

function subName(offset: number): string {
  return `sub_${offset.toString(16).padStart(4, "0")}`;
}

function capitalized(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** One objdump line (bytes wrapped 7 per line); filler and stray bytes are one line with a count. */
function row(offset: number, bytes: Uint8Array, text: string): string {
  const addr = (o: number): string => o.toString(16).padStart(8, " ");
  const first = hexBytes(bytes, 0, Math.min(7, bytes.length)).padEnd(21);
  if (text.startsWith("(")) return `${addr(offset)}:\t${first}\t${bytes.length > 7 ? `${text.slice(0, -1)}, ${bytes.length} bytes)` : text}`;
  const lines = [`${addr(offset)}:\t${first}\t${text}`];
  for (let i = 7; i < bytes.length; i += 7) lines.push(`${addr(offset + i)}:\t${hexBytes(bytes, i, Math.min(7, bytes.length - i))}`);
  return lines.join("\n");
}
