// `vmirom list`: an objdump-style listing made from an image alone, decoded with iced-x86 (never with
// vmirom's own assembler, so it can cross-check the builder's .lst). The layout says where the entries are:
// the 16-bit init entry, each jump point and slot (decoded up to the filler), the out-of-line bodies they
// jump to and the routines those call, found by following branches.

import { createRequire } from "node:module";
import type * as IcedModule from "iced-x86";
import type { Layout } from "../../layout/types.ts";
import { hexBytes } from "./bytes.ts";

// Loaded on first use (WebAssembly start-up), so that importing this module costs a command nothing.
let icedModule: typeof IcedModule | undefined;
const loadIced = (): typeof IcedModule => (icedModule ??= createRequire(import.meta.url)("iced-x86") as typeof IcedModule);

/** Decoding stops after this many instructions in total (a garbage image could otherwise run long). */
const MAX_INSTRUCTIONS = 200_000;

interface Line {
  offset: number;
  length: number;
  text: string;
  flow: IcedModule.FlowControl;
  /** Near branch or call target. */
  target?: number;
}

interface Entry {
  name: string;
  offset: number;
  bits: 16 | 32;
  /** A fixed area (slot, jump point): decode to its end and show the filler; otherwise explore. */
  area?: number;
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
  lines: DecodedLine[];
}

export interface DecodedImage {
  /** Sorted by offset (then name). */
  entries: DecodedEntry[];
  /** Decoding stopped at the instruction budget. */
  truncated: boolean;
  /** Near branch and call targets, by the offset of the instruction. */
  targets: Map<number, number>;
}

export interface DecodeOptions {
  /** objdump's default (AT&T, as the builder's listing) or `-M intel`. */
  syntax?: "att" | "intel";
  /** A name for code found at an offset (from a build manifest: shared routines, bodies), instead of sub_<offset>. */
  names?: (offset: number) => string | undefined;
}

/** Every entry the layout names and every body and routine reached from them, decoded from the bytes. */
export function decodeImage(bytes: Uint8Array, layout: Layout, opts: DecodeOptions = {}): DecodedImage {
  const d = new Disassembler(bytes, layout.filler, opts.syntax ?? "att");
  try {
    const decoded = d.collect(layout);
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
      ? { ...e, lines: e.lines.map((l) => (decoded.targets.has(l.offset) ? { ...l, text: `${l.text} <${symbol(decoded.targets.get(l.offset)!)}>` } : l)) }
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
  return [`${e.offset.toString(16).padStart(8, "0")} <${e.name}>:`, ...e.lines.map((l) => row(l.offset, bytes.subarray(l.offset, l.offset + l.length), l.text))];
}

class Disassembler {
  private readonly decoders: Record<16 | 32, IcedModule.Decoder>;
  private readonly iced = loadIced();
  private readonly formatter: IcedModule.Formatter;
  readonly targets = new Map<number, number>();
  private readonly instr = new this.iced.Instruction();
  private budget = MAX_INSTRUCTIONS;
  private readonly entries: Entry[] = [];
  private readonly entryAt = new Map<number, Entry>();
  private readonly inArea: Uint8Array;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly filler: number,
    private readonly syntax: "att" | "intel",
  ) {
    this.formatter = new this.iced.Formatter(syntax === "intel" ? this.iced.FormatterSyntax.Intel : this.iced.FormatterSyntax.Gas);
    this.inArea = new Uint8Array(bytes.length);
    this.decoders = {
      16: new this.iced.Decoder(16, bytes, this.iced.DecoderOptions.None),
      32: new this.iced.Decoder(32, bytes, this.iced.DecoderOptions.None),
    };
    // objdump's spelling (see shared/real-tools.md).
    const f = this.formatter;
    f.uppercaseHex = false;
    f.spaceAfterOperandSeparator = false;
    f.branchLeadingZeros = false;
    f.showBranchSize = false;
    f.smallHexNumbersInDecimal = false;
    f.showZeroDisplacements = true;
    f.firstOperandCharIndex = 7; // objdump pads the mnemonic to 6 columns and a space
    if (syntax === "intel") {
      // objdump -M intel: DWORD PTR [eax+0x4], hexadecimal as 0x…
      f.uppercaseKeywords = true;
      f.memorySizeOptions = this.iced.MemorySizeOptions.Always;
      f.hexPrefix = "0x";
      f.hexSuffix = "";
    }
  }

  free(): void {
    this.instr.free();
    this.formatter.free();
    this.decoders[16].free();
    this.decoders[32].free();
  }

  collect(layout: Layout): DecodedImage {
    const entryField = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "romEntry");
    if (entryField) this.add({ name: "rom_entry", offset: entryField.offset, bits: 16, area: entryField.size });
    for (const jp of layout.jumpPoints) this.add({ name: `jump_${jp.role}`, offset: jp.offset, bits: 32, area: jp.size });
    for (const c of [...layout.calls].sort((x, y) => x.number - y.number)) {
      this.add({ name: `stub_${c.name}`, offset: layout.slots.base + c.number * layout.slots.size, bits: 32, area: layout.slots.size });
    }
    // Code found by following branches never runs on into a slot or jump point (a cold part jumping back
    // into its slot's hot path): those bytes belong to their area.
    for (const e of this.entries) if (e.area !== undefined) this.inArea.fill(1, Math.max(0, e.offset), Math.min(this.bytes.length, e.offset + e.area));
    // Entries found while decoding are appended; sorted in offset order once all are known.
    const lines = new Map<Entry, DecodedLine[]>();
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      lines.set(e, e.area !== undefined ? this.area(e) : this.explore(e));
    }
    const entries = [...this.entries]
      .sort((x, y) => x.offset - y.offset || x.name.localeCompare(y.name))
      .map((e) => ({ name: e.name, offset: e.offset, bits: e.bits, ...(e.area !== undefined ? { area: e.area } : {}), lines: lines.get(e)! }));
    return { entries, truncated: this.budget <= 0, targets: this.targets };
  }

  private add(e: Entry): Entry {
    const existing = this.entryAt.get(e.offset);
    if (existing) return existing;
    this.entries.push(e);
    this.entryAt.set(e.offset, e);
    return e;
  }

  /** A slot or jump point: instructions until a terminator followed only by filler, then the filler. */
  private area(e: Entry): DecodedLine[] {
    const end = Math.min(this.bytes.length, e.offset + e.area!);
    const lines: DecodedLine[] = [];
    let p = e.offset;
    while (p < end) {
      if (this.bytes.subarray(p, end).every((b) => b === this.filler) && p > e.offset) {
        lines.push({ offset: p, length: end - p, text: "(filler)" });
        return lines;
      }
      const ins = this.decode(p, e.bits);
      if (!ins || p + ins.length > end) {
        lines.push({ offset: p, length: end - p, text: "(bytes)" });
        return lines;
      }
      lines.push({ offset: p, length: ins.length, text: ins.text });
      this.follow(ins, e, e.offset, end);
      p += ins.length;
    }
    return lines;
  }

  /** A body or routine: every instruction reachable from its start, in offset order. */
  private explore(e: Entry): DecodedLine[] {
    const seen = new Map<number, Line>();
    const stack = [e.offset];
    while (stack.length && this.budget > 0) {
      const p = stack.pop()!;
      if (seen.has(p) || p < 0 || p >= this.bytes.length || (p !== e.offset && (this.entryAt.has(p) || this.inArea[p]))) continue;
      const ins = this.decode(p, e.bits);
      if (!ins) {
        seen.set(p, { offset: p, length: 1, text: "(invalid)", flow: this.iced.FlowControl.Exception });
        continue;
      }
      seen.set(p, ins);
      const next = this.follow(ins, e, -1, -1);
      stack.push(...next);
    }
    return [...seen.values()].sort((x, y) => x.offset - y.offset).map((l) => ({ offset: l.offset, length: l.length, text: l.text }));
  }

  /**
   * Records where control goes from `ins`: calls and jumps out of the current area become entries;
   * returns the offsets to keep exploring in the current body.
   */
  private follow(ins: Line, e: Entry, areaStart: number, areaEnd: number): number[] {
    const next = ins.offset + ins.length;
    const inside = (t: number): boolean => t >= areaStart && t < areaEnd;
    const target = ins.target;
    const F = this.iced.FlowControl;
    const enter = (t: number, prefix: string): void => {
      if (t >= 0 && t < this.bytes.length && !inside(t)) this.add({ name: `${prefix}_${t.toString(16).padStart(4, "0")}`, offset: t, bits: e.bits });
    };
    switch (ins.flow) {
      case F.Call:
        // `call` to the next instruction is the call/pop idiom for finding the ROM's address: same body.
        if (target !== undefined && target !== next) enter(target, "sub");
        return [next];
      case F.UnconditionalBranch:
        if (target === undefined) return [];
        if (areaStart >= 0) {
          if (!inside(target)) this.add({ name: this.jumpTargetName(ins, e, target), offset: target, bits: e.bits });
          return [];
        }
        return [target];
      case F.ConditionalBranch:
        if (target !== undefined && areaStart >= 0 && !inside(target)) {
          if (e.name.startsWith("stub_")) this.add({ name: coldName(e), offset: target, bits: e.bits });
          else enter(target, "sub");
        }
        return target !== undefined && areaStart < 0 ? [target, next] : [next];
      case F.Return:
      case F.IndirectBranch:
      case F.Exception:
        return [];
      default:
        return [next];
    }
  }

  /**
   * An out-of-line stub's target is its body (body_<Name>), the init entry's the 16-bit routine; code an
   * inline slot jumps out to is its cold part (cold_<Name>; a reader turns it into a shared routine when
   * several slots reach it); else a routine.
   */
  private jumpTargetName(ins: Line, from: Entry, target: number): string {
    if (from.name === "rom_entry") return "init16";
    const outOfLine = ins.offset === from.offset && ins.length === 5 && this.bytes[ins.offset + 5] === 0x0f && this.bytes[ins.offset + 6] === 0x0b;
    if (!outOfLine) return from.name.startsWith("stub_") ? coldName(from) : `sub_${target.toString(16).padStart(4, "0")}`;
    const name = from.name.replace(/^(stub|jump)_/, "");
    return `body_${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  }

  private decode(offset: number, bits: 16 | 32): Line | undefined {
    if (--this.budget < 0) return undefined;
    const d = this.decoders[bits];
    d.position = offset;
    d.ip = BigInt(offset);
    d.decodeOut(this.instr);
    if (this.instr.isInvalid) return undefined;
    const target = this.instr.isJmpShortOrNear || this.instr.isJccShortOrNear || this.instr.isCallNear ? Number(this.instr.nearBranchTarget) : undefined;
    // Every near branch (loop and jecxz too) gets its symbol in the listing; only jmp/jcc/call are followed.
    const K = this.iced.OpKind;
    const branch = this.instr.opCount > 0 && (this.instr.op0Kind === K.NearBranch16 || this.instr.op0Kind === K.NearBranch32);
    const formatted = this.formatter.format(this.instr);
    const text = this.syntax === "intel" ? intelSpelling(formatted, bits, branch, isMoffs(this.bytes, offset)) : objdumpSpelling(formatted, bits);
    if (branch) this.targets.set(offset, Number(this.instr.nearBranchTarget));
    return { offset, length: this.instr.length, text, flow: this.instr.flowControl, ...(target !== undefined ? { target } : {}) };
  }
}

function coldName(stub: Entry): string {
  return `cold_${stub.name.replace(/^stub_/, "")}`;
}

// Where iced-x86's GAS text differs from objdump's on code vmirom emits (the builder's listing follows
// objdump): debug registers, the port operand, string-I/O implicit operands, descriptor-table suffixes.
/** objdump writes a scale of 1 (`(%eax,%edx,1)`); iced leaves it out (its alwaysShowScale also marks base-only forms). */
const INDEX_WITHOUT_SCALE = /\((%\w+)?,(%\w+)\)/g;

const SPELLING: Array<[RegExp, string]> = [
  [/%dr([0-7])/g, "%db$1"],
  [/^((?:rep )?in\s+)%dx,/, "$1(%dx),"],
  [/^((?:rep )?out\s+%(?:e?ax|al)),%dx$/, "$1,(%dx)"],
  [/^((?:rep )?ins[bwl]\s+)%dx,\(%edi\)$/, "$1(%dx),%es:(%edi)"],
  [/^((?:rep )?outs[bwl]\s+)\(%esi\),%dx$/, "$1%ds:(%esi),(%dx)"],
];
const DT_SUFFIX = /^([ls][gi]dt)(\s+)/;

function objdumpSpelling(text: string, bits: 16 | 32): string {
  let t = text;
  // Each rewrite runs only on text that could match it (a debug register; an I/O mnemonic, which the anchored
  // patterns need at the start; an indexed operand; a descriptor-table mnemonic): most instructions need none.
  const first = t.charCodeAt(0);
  if (t.includes("%dr")) t = t.replace(SPELLING[0]![0], SPELLING[0]![1]);
  if (first === 0x69 /* i */ || first === 0x6f /* o */ || first === 0x72 /* r */) {
    for (let i = 1; i < SPELLING.length; i++) t = t.replace(SPELLING[i]![0], SPELLING[i]![1]);
  }
  if (t.includes(",%")) t = t.replace(INDEX_WITHOUT_SCALE, (_m, base: string | undefined, index: string) => `(${base ?? ""},${index},1)`);
  // objdump names the 32-bit operand size of lgdt/sgdt/lidt/sidt; keep the operand column aligned.
  if (bits === 32 && (first === 0x6c /* l */ || first === 0x73 /* s */)) t = t.replace(DT_SUFFIX, (_m, op: string, space: string) => `${op}l${space.length > 1 ? space.slice(1) : " "}`);
  return t;
}

// Where iced-x86's Intel text differs from `objdump -M intel`'s on code vmirom emits: branch targets in bare
// hex, the descriptor-table and flags mnemonics of 32-bit code, invlpg's operand size, string I/O's segments.
const INTEL_SPELLING: Array<[RegExp, string]> = [
  [/^([ls][gi]dt) +FWORD PTR /, "$1d  "],
  [/^(pushf|popf|iret|pusha|popa)d$/, "$1"],
  [/^(imul +)(\w+),(0x[0-9a-f]+)$/, "$1$2,$2,$3"],
  [/^invlpg (\[)/, "invlpg BYTE PTR $1"],
  [/^(rep )?ins[bwd] (\w+ PTR )\[edi\],dx$/, "$1ins $2es:[edi],dx"],
  [/^(rep )?outs[bwd] dx,(\w+ PTR )\[esi\]$/, "$1outs dx,$2ds:[esi]"],
];

const INTEL_ABSOLUTE = /(\w+ PTR )?\[(0x[0-9a-f]+)\]/;
const INTEL_INDEX_WITHOUT_SCALE = /\[(e?[a-z]{2})\+(e?[a-z]{2})(?=[\]+-])/;

/** `moffs`: the accumulator form of mov with an absolute address (A0–A3 after any prefixes). */
function isMoffs(bytes: Uint8Array, at: number): boolean {
  let p = at;
  while (p < bytes.length && [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67].includes(bytes[p]!)) p++;
  return bytes[p] !== undefined && bytes[p]! >= 0xa0 && bytes[p]! <= 0xa3;
}

function intelSpelling(text: string, bits: 16 | 32, branch: boolean, moffs: boolean): string {
  if (branch) return text.replace(/0x([0-9a-f]+)$/, "$1");
  if (text === "ret far") return "retf";
  if (bits !== 32) return text;
  let t = text;
  for (const [re, to] of INTEL_SPELLING) if (re.test(t)) t = t.replace(re, to);
  // objdump writes an absolute address with its segment (ds:0x…), and without the size for mov's moffs form.
  if (t.includes("[0x")) t = t.replace(INTEL_ABSOLUTE, (_m, size: string | undefined, addr: string) => `${moffs ? "" : (size ?? "")}ds:${addr}`);
  return t.replace(INTEL_INDEX_WITHOUT_SCALE, "[$1+$2*1");
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
