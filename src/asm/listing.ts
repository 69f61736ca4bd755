// Listing: one line per instruction in objdump's AT&T style (address, bytes, text), symbol headers such as
// `000005e0 <stub_VMI_SwapPxE>:`, and the TypeScript line that recorded each node.
// The text is produced from the DSL's own operands (not by decoding the bytes), so that decoding the bytes
// with objdump or iced-x86 and comparing is a real cross-check.

import { constantOf, isMem, isReg, valueWith, type AnyOperand, type Expr, type FarPtr, type Gpr, type MemAny, type Register } from "./operands.ts";
import { overrideOf } from "./encode.ts";
import type { InsInfo } from "./nodes.ts";
import type { AssembleResult, Placed } from "./layout.ts";

type Ok = Extract<AssembleResult, { ok: true }>;

// Instructions whose memory operand never gets an l/w/b suffix in objdump's output.
const NO_SUFFIX = new Set([
  "call",
  "jmp",
  "invlpg",
  "cmpxchg8b",
  "lldt",
  "ltr",
  "sldt",
  "str",
  "smsw",
  "lmsw",
  "verr",
  "verw",
  "lea",
  "lar",
  "lsl",
  "bswap",
  "seto",
  "setno",
  "setb",
  "setae",
  "sete",
  "setne",
  "setbe",
  "seta",
  "sets",
  "setns",
  "setp",
  "setnp",
  "setl",
  "setge",
  "setle",
  "setg",
]);
// Suffixed only when the operand size is not the mode's own (pushw (%eax) in 32-bit code).
const SUFFIX_IF_NOT_DEFAULT = new Set(["push", "pop", "call", "jmp"]);
// Always suffixed with the mode's size: objdump prints lgdtl in 32-bit code.
const MODE_SUFFIX = new Set(["lgdt", "sgdt", "lidt", "sidt"]);
// String instructions: objdump spells out their implicit operands.
const STRING_TEXT: Record<string, (w: string, reg: string) => string> = {
  movs: (w) => `movs${w} %ds:(%esi),%es:(%edi)`,
  cmps: (w) => `cmps${w} %es:(%edi),%ds:(%esi)`,
  stos: (_w, r) => `stos ${r},%es:(%edi)`,
  lods: (_w, r) => `lods %ds:(%esi),${r}`,
  scas: (_w, r) => `scas %es:(%edi),${r}`,
  ins: (w) => `ins${w} (%dx),%es:(%edi)`,
  outs: (w) => `outs${w} %ds:(%esi),(%dx)`,
};

/** Two hex digits of every byte value, made once (the listing writes one per byte of the image). */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

const hex = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const mask = (v: number, bits: number): number => (bits >= 32 ? v >>> 0 : v & ((1 << bits) - 1));

function reg(r: Register): string {
  return `%${r.name}`;
}

function memText(m: MemAny, disp: number, forceDisp: boolean, symbolic?: string): string {
  const o = overrideOf(m);
  const seg = o ? `%${o.name}:` : "";
  if (!m.base && !m.index) return `${seg}${symbolic ?? hex(mask(disp, 32))}`;
  const inner = m.index ? `(${m.base ? reg(m.base) : ""},${reg(m.index)},${m.scale})` : `(${reg(m.base!)})`;
  const d = symbolic ?? (disp !== 0 || forceDisp || !m.base ? hex(disp) : "");
  return `${seg}${d}${inner}`;
}

/** Decoded value of a memory displacement, as written in the instruction bytes. */
function dispOf(m: MemAny, value: (e: Expr) => number): { disp: number; explicit: boolean } {
  const c = constantOf(m.disp);
  const v = c ?? value(m.disp);
  // mod=01/10 with a zero displacement is printed as 0x0(...) by objdump; the encoder picks those for [ebp].
  const explicit =
    c === undefined || (m.base !== undefined && m.base.code === 5 && m.base.size === 32) || (m.base?.size === 16 && m.base.code === 5 && !m.index);
  const signed = (v | 0) === v ? v : v | 0;
  return { disp: m.base || m.index ? signed : v >>> 0, explicit };
}

/**
 * Spells a value that depends on labels symbolically (GNU as source keeps label references), or undefined to
 * print the number `value` gives, as objdump does.
 */
export type SymbolText = (e: Expr) => string | undefined;

/**
 * AT&T text of one instruction (objdump style: mnemonic padded to 6, one space). With `symbol`,
 * operands that depend on labels are spelled by it instead of as numbers (GNU as source).
 */
export function formatInstruction(ins: InsInfo, bytes: Uint8Array, value: (e: Expr) => number, symbol?: SymbolText): string {
  const sym = (e: Expr): string | undefined => (symbol && constantOf(e) === undefined ? symbol(e) : undefined);
  const { row, ops } = ins;
  const m = row.mnemonic;
  const opsize = row.opsize || ins.bits;
  const base = row.att;
  const stringText = ops.length === 0 ? STRING_TEXT[base.replace(/[bwl]$/, "")] : undefined;
  if (stringText && /^(ins|outs|movs|cmps|stos|lods|scas)[bwl]$/.test(base)) {
    const w = base.slice(-1);
    const r = w === "b" ? "%al" : w === "w" ? "%ax" : "%eax";
    return ins.prefixText + stringText(w, r);
  }
  if (m === "xlat") return "xlat   %ds:(%ebx)";
  let suffix = "";
  const memOp = ops.find(isMem) as MemAny | undefined;
  const gprSized = ops.some((o, i) => isReg(o) && o.kind === "gpr" && row.toks[i] !== "CL" && row.toks[i] !== "DX");
  if (base === "movzb" || base === "movzw" || base === "movsb" || base === "movsw") {
    suffix = (ops[0] as Gpr).size === 16 ? "w" : "l";
  } else if (MODE_SUFFIX.has(m)) {
    suffix = ins.bits === 32 ? "l" : "w";
  } else if (memOp && SUFFIX_IF_NOT_DEFAULT.has(m)) {
    suffix = memOp.size === ins.bits || memOp.size === 48 ? "" : memOp.size === 16 ? "w" : "l";
  } else if (memOp && !gprSized && !NO_SUFFIX.has(row.att) && !ops.some((o) => isReg(o) && o.kind === "sreg") && memOp.size !== 0 && memOp.size !== 48) {
    suffix = memOp.size === 8 ? "b" : memOp.size === 16 ? "w" : "l";
  }
  let notrack = false;
  const text = (o: AnyOperand, i: number): string => {
    const tok = row.toks[i]!;
    if (isReg(o)) {
      if (o.kind === "gpr" && row.spec[3]?.includes("nos") && o.size === 16 && m === "mov" && ins.bits === 32) {
        return `%${["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"][o.code]}`;
      }
      if (tok === "DX") return "(%dx)";
      return m === "call" || m === "jmp" ? `*${reg(o)}` : reg(o);
    }
    if (isMem(o)) {
      const d = dispOf(o, value);
      const s = sym(o.disp);
      if ((row.att === "call" || row.att === "jmp") && overrideOf(o)?.name === "ds") {
        // A 3e prefix on an indirect branch is CET's "notrack" hint to objdump, not a segment.
        notrack = true;
        return `*${memText({ ...o, seg: undefined } as MemAny, d.disp, d.explicit, s)}`;
      }
      const t = memText(o, d.disp, d.explicit, s);
      return m === "call" || m === "jmp" ? `*${t}` : t;
    }
    if (typeof o === "object" && o !== null && (o as FarPtr).kind === "far") {
      const f = o as FarPtr;
      return `$${hex(f.selector)},$${sym(f.offset) ?? hex(value(f.offset) >>> 0)}`;
    }
    if (tok === "rel8" || tok === "rel32") return sym(o as Expr) ?? hex(mask(value(o as Expr), 32));
    if (tok === "one") return "$0x1";
    const s = sym(o as Expr);
    if (s !== undefined) return `$${s}`;
    const v = value(o as Expr);
    const width = tok === "imm8" ? (row.sx ? opsize : 8) : tok === "imm16" ? 16 : row.opsize === 16 ? 16 : 32;
    return `$${hex(mask(v, m === "push" && row.sx ? ins.bits : width))}`;
  };
  // Shifts by one are written without the count, as objdump prints D0/D1.
  let shown = ops.map(text);
  if (row.toks[1] === "one") shown = shown.slice(0, 1);
  if (row.toks[0] === "three") shown = [];
  else if (m === "ret" || m === "retf" || m === "int") shown = ops.map((o) => `$${hex(value(o as Expr) & (m === "int" ? 0xff : 0xffff))}`);
  // enter keeps Intel operand order in AT&T syntax.
  if (m === "enter") shown = [`$${hex(value(ops[1] as Expr) & 0xff)}`, `$${hex(value(ops[0] as Expr) & 0xffff)}`];
  // An immediate-only form whose size differs from the mode's (pushl $x in 16-bit code) needs its suffix.
  if (!suffix && !memOp && !gprSized && ops.length > 0 && row.opsize !== 0 && row.opsize !== ins.bits && m === "push") suffix = "l";
  if (m === "in" && row.toks[1] === "imm8") shown[1] = `$${hex(value(ops[1] as Expr) & 0xff)}`;
  if (m === "out" && row.toks[0] === "imm8") shown[0] = `$${hex(value(ops[0] as Expr) & 0xff)}`;
  const mnemonic = base + suffix;
  if (m === "xchg" && bytes.length === 1 && bytes[0] === 0x90) return `${ins.prefixText}nop`;
  if (!row.rev) shown.reverse();
  const operands = shown.join(",");
  const pre = (notrack ? "notrack " : "") + ins.prefixText;
  return operands ? `${pre}${mnemonic.padEnd(6)} ${operands}` : `${pre}${mnemonic}`;
}

function dataText(p: Placed, bytes: Uint8Array): string {
  const node = p.node;
  if (node.k === "fixed" && node.data && "text" in node.data) {
    const quoted = node.data.text.replace(/[\\"]/g, "\\$&").replace(/[^\x20-\x7e]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
    return `${node.data.zero ? ".asciz" : ".ascii"} "${quoted}"`;
  }
  if (node.k === "fixed" && node.data && "unit" in node.data && node.data.unit > 1) {
    const u = node.data.unit;
    const words: string[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + u <= bytes.length; i += u) {
      const v = u === 2 ? view.getUint16(i, true) : u === 4 ? view.getUint32(i, true) : Number(view.getBigUint64(i, true));
      words.push(hex(v));
    }
    return `${u === 2 ? ".word" : u === 4 ? ".long" : ".quad"} ${words.join(",")}`;
  }
  if (node.k === "align" || node.k === "org") return `(${node.k} padding)`;
  return `.byte ${[...bytes].map((b) => hex(b)).join(",")}`;
}

export interface ListingOptions {
  /** Show the TypeScript source line of each node (default true). */
  source?: boolean;
  /** Extra headers by offset, e.g. slot names from the image machinery. */
  headers?: ReadonlyMap<number, string>;
}

/** The whole listing of an assembled program. */
export function formatListing(r: Ok, options: ListingOptions = {}): string {
  const lines: string[] = [];
  const value = (e: Expr): number => valueWith(r.labels, e);
  const byOffset = new Map<number, string[]>();
  for (const s of r.symbols) {
    const list = byOffset.get(s.offset) ?? [];
    list.push(s.name);
    byOffset.set(s.offset, list);
  }
  const shown = new Set<number>();
  for (const p of r.placed) {
    if (p.node.k === "label") continue;
    if (!shown.has(p.offset)) {
      const names = [...(byOffset.get(p.offset) ?? [])];
      const extra = options.headers?.get(p.offset);
      if (extra) names.unshift(extra);
      for (const name of names) {
        lines.push("", `${(r.origin + p.offset).toString(16).padStart(8, "0")} <${name}>:`);
      }
      if (names.length) shown.add(p.offset);
    }
    if (p.size === 0) continue;
    const bytes = r.bytes.subarray(p.offset, p.offset + p.size);
    const addr = (r.origin + p.offset).toString(16).padStart(8, " ");
    const text = p.ins ? formatInstruction(p.ins, bytes, value) : dataText(p, bytes);
    const src = options.source !== false && p.src ? `\t# ${p.src}` : "";
    // Long data is wrapped 7 bytes per line like objdump; the text goes on the first line.
    for (let i = 0; i < bytes.length; i += 7) {
      const end = Math.min(bytes.length, i + 7);
      let chunk = HEX2[bytes[i]!]!;
      for (let j = i + 1; j < end; j++) chunk += ` ${HEX2[bytes[j]!]!}`;
      if (i === 0) lines.push(`${addr}:\t${chunk.padEnd(21)}\t${text}${src}`);
      else if (!p.ins && i >= 7 * 4) {
        lines.push(`${(r.origin + p.offset + i).toString(16).padStart(8, " ")}:\t... (${bytes.length - i} more bytes)`);
        break;
      } else lines.push(`${(r.origin + p.offset + i).toString(16).padStart(8, " ")}:\t${chunk}`);
    }
  }
  return lines.join("\n").replace(/^\n/, "") + "\n";
}
