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
}

/** Every entry the layout names and every body and routine reached from them, decoded from the bytes. */
export function decodeImage(bytes: Uint8Array, layout: Layout): DecodedImage {
  const d = new Disassembler(bytes, layout.filler);
  try {
    return d.collect(layout);
  } finally {
    d.free();
  }
}

export function disassembleImage(bytes: Uint8Array, layout: Layout, name = "image"): string {
  const decoded = decodeImage(bytes, layout);
  const out: string[] = [`${name}:     file format binary (vmirom list, layout ${layout.name})`, "", "Disassembly:"];
  for (const e of decoded.entries) out.push("", ...formatEntry(bytes, e));
  if (decoded.truncated) out.push("", `(stopped after ${MAX_INSTRUCTIONS} instructions)`);
  return out.join("\n") + "\n";
}

/** One entry in objdump's style: the symbol header, then its lines. */
export function formatEntry(bytes: Uint8Array, e: DecodedEntry): string[] {
  return [`${e.offset.toString(16).padStart(8, "0")} <${e.name}>:`, ...e.lines.map((l) => row(l.offset, bytes.subarray(l.offset, l.offset + l.length), l.text))];
}

class Disassembler {
  private readonly decoders: Record<16 | 32, IcedModule.Decoder>;
  private readonly iced = loadIced();
  private readonly formatter = new this.iced.Formatter(this.iced.FormatterSyntax.Gas);
  private readonly instr = new this.iced.Instruction();
  private budget = MAX_INSTRUCTIONS;
  private readonly entries: Entry[] = [];
  private readonly entryAt = new Map<number, Entry>();
  private readonly inArea: Uint8Array;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly filler: number,
  ) {
    this.inArea = new Uint8Array(bytes.length);
    this.decoders = {
      16: new this.iced.Decoder(16, bytes, this.iced.DecoderOptions.None),
      32: new this.iced.Decoder(32, bytes, this.iced.DecoderOptions.None),
    };
    // objdump's spelling (test/support/iced.ts says which options, and how far they agree).
    const f = this.formatter;
    f.uppercaseHex = false;
    f.spaceAfterOperandSeparator = false;
    f.branchLeadingZeros = false;
    f.showBranchSize = false;
    f.smallHexNumbersInDecimal = false;
    f.showZeroDisplacements = true;
    f.firstOperandCharIndex = 7; // objdump pads the mnemonic to 6 columns and a space
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
    return { entries, truncated: this.budget <= 0 };
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
    const text = objdumpSpelling(this.formatter.format(this.instr), bits);
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

/** One objdump line (bytes wrapped 7 per line); filler and stray bytes are one line with a count. */
function row(offset: number, bytes: Uint8Array, text: string): string {
  const addr = (o: number): string => o.toString(16).padStart(8, " ");
  const first = hexBytes(bytes, 0, Math.min(7, bytes.length)).padEnd(21);
  if (text.startsWith("(")) return `${addr(offset)}:\t${first}\t${bytes.length > 7 ? `${text.slice(0, -1)}, ${bytes.length} bytes)` : text}`;
  const lines = [`${addr(offset)}:\t${first}\t${text}`];
  for (let i = 7; i < bytes.length; i += 7) lines.push(`${addr(offset + i)}:\t${hexBytes(bytes, i, Math.min(7, bytes.length - i))}`);
  return lines.join("\n");
}
