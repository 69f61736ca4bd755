// Encoder: compiles the opcode table once, matches operands against its rows, and turns a row plus operands
// into bytes with fixups for values that are only known after layout (labels).

import {
  REGISTERS,
  constantOf,
  isExpr,
  isMem,
  isReg,
  type Expr,
  type Gpr,
  type MemAny,
  type Operand,
  type Register,
  type SegReg,
} from "./operands.ts";
import { TABLE, type RowSpec } from "./table.ts";

export type Bits = 16 | 32;

/** A far pointer immediate (ljmp/lcall $sel, $off). */
export interface FarPtr {
  readonly kind: "far";
  readonly selector: number;
  readonly offset: Expr;
}
export const far = (selector: number, offset: Expr): FarPtr => Object.freeze({ kind: "far", selector, offset });

export type AnyOperand = Operand | FarPtr;

type Tok =
  | "r8" | "r16" | "r32" | "rm8" | "rm16" | "rm32" | "m" | "m8" | "m16" | "m32" | "m64" | "mfar"
  | "imm8" | "imm16" | "imm32" | "rel8" | "rel32" | "ptr" | "moffs8" | "moffs16" | "moffs32"
  | "AL" | "AX" | "EAX" | "CL" | "DX" | "one" | "three" | "sreg" | "creg" | "dreg"
  | "ES" | "CS" | "SS" | "DS" | "FS" | "GS";

type ImmTok = "ib" | "iw" | "id" | "cb" | "cd" | "cp";

export interface Row {
  readonly index: number;
  readonly mnemonic: string;
  readonly att: string;
  readonly spec: RowSpec;
  readonly toks: readonly Tok[];
  readonly opcode: readonly number[];
  /** "r" for /r, a digit for /0../7, -1 when the row has no ModRM byte. */
  readonly modrm: "r" | number;
  readonly plusReg: boolean;
  readonly imms: readonly ImmTok[];
  /** Operand size the row implies (16, 32) or 0 for none. */
  readonly opsize: 0 | 16 | 32;
  readonly sx: boolean;
  /** Listed with operands in the disassembler's canonical order (xchg/test reg, mem). */
  readonly rev: boolean;
  readonly relative: boolean;
  // Operand roles, precomputed so the encoder does no searching per instruction:
  /** Operand in the ModRM reg field (/r rows): the special register, else the plain register; -1 for none. */
  readonly regIdx: number;
  /** Operand in the ModRM r/m field; -1 for none. */
  readonly rmIdx: number;
  /** Register added to the last opcode byte (+rb/+rw/+rd); -1 for none. */
  readonly plusIdx: number;
  readonly moffsIdx: number;
  /** Operand index of each immediate in `imms`. */
  readonly immIdx: readonly number[];
  /** Byte size of each immediate in `imms`: 1, 2, 4; 0 = the code size (cd); -1 = a far pointer (cp). */
  readonly immSize: readonly number[];
}

const TOKENS: Record<string, Tok> = {
  r8: "r8", r16: "r16", r32: "r32", "r/m8": "rm8", "r/m16": "rm16", "r/m32": "rm32", m: "m", m8: "m8", m16: "m16",
  m32: "m32", m64: "m64", "m16:32": "mfar", imm8: "imm8", imm16: "imm16", imm32: "imm32", rel8: "rel8",
  rel32: "rel32", "ptr16:32": "ptr", moffs8: "moffs8", moffs16: "moffs16", moffs32: "moffs32", AL: "AL", AX: "AX",
  EAX: "EAX", CL: "CL", DX: "DX", "1": "one", "3": "three", Sreg: "sreg", "CR0-CR7": "creg", "DR0-DR7": "dreg", ES: "ES",
  CS: "CS", SS: "SS", DS: "DS", FS: "FS", GS: "GS",
};
const SIZE16: ReadonlySet<Tok> = new Set(["r16", "rm16", "m16", "AX", "moffs16"]);
const SIZE32: ReadonlySet<Tok> = new Set(["r32", "rm32", "m32", "EAX", "moffs32"]);

function compileRow(spec: RowSpec, index: number): Row {
  const [mnemonic, operands, opcode, flags = "", att] = spec;
  const toks = operands.trim() === "" ? [] : operands.split(",").map((s) => {
    const t = TOKENS[s.trim()];
    if (!t) throw new Error(`opcode table row ${index} (${mnemonic}): unknown operand token '${s.trim()}'`);
    return t;
  });
  const fl = new Set(flags.split(/\s+/).filter(Boolean));
  const bytes: number[] = [];
  let modrm: "r" | number = -1;
  let plusReg = false;
  const imms: ImmTok[] = [];
  for (const part of opcode.split(/\s+/)) {
    if (/^[0-9A-F]{2}$/.test(part)) bytes.push(parseInt(part, 16));
    else if (/^[0-9A-F]{2}\+r[bwd]$/.test(part)) {
      bytes.push(parseInt(part.slice(0, 2), 16));
      plusReg = true;
    } else if (part === "/r") modrm = "r";
    else if (/^\/[0-7]$/.test(part)) modrm = Number(part[1]);
    else if (["ib", "iw", "id", "cb", "cd", "cp"].includes(part)) imms.push(part as ImmTok);
    else throw new Error(`opcode table row ${index} (${mnemonic}): unknown opcode part '${part}'`);
  }
  let opsize: 0 | 16 | 32 = 0;
  if (fl.has("o16")) opsize = 16;
  else if (fl.has("o32")) opsize = 32;
  else if (!fl.has("nos")) {
    const t = toks.find((x) => SIZE16.has(x) || SIZE32.has(x));
    if (t) opsize = SIZE16.has(t) ? 16 : 32;
  }
  const isGprTok = (t: Tok) => t === "r8" || t === "r16" || t === "r32";
  let regIdx = -1, rmIdx = -1;
  if (modrm === "r") {
    regIdx = toks.findIndex((t) => t === "sreg" || t === "creg" || t === "dreg");
    if (regIdx < 0) regIdx = toks.findIndex(isGprTok);
    rmIdx = toks.findIndex((t, i) => i !== regIdx && (t.startsWith("rm") || t.startsWith("m") || isGprTok(t)));
  } else if (modrm !== -1) {
    rmIdx = toks.findIndex((t) => t.startsWith("rm") || t.startsWith("m") || isGprTok(t));
  }
  if ((modrm !== -1 && rmIdx < 0) || (modrm === "r" && regIdx < 0)) throw new Error(`opcode table row ${index} (${mnemonic}): ModRM operands missing`);
  const immIdx = toks.flatMap((t, i) => (t === "imm8" || t === "imm16" || t === "imm32" || t === "rel8" || t === "rel32" || t === "ptr" ? [i] : []));
  if (immIdx.length !== imms.length) throw new Error(`opcode table row ${index} (${mnemonic}): ${imms.length} immediates for ${immIdx.length} operands`);
  return {
    immSize: imms.map((k) => (k === "ib" || k === "cb" ? 1 : k === "iw" ? 2 : k === "id" ? 4 : k === "cd" ? 0 : -1)),
    regIdx, rmIdx, plusIdx: plusReg ? toks.findIndex(isGprTok) : -1, moffsIdx: toks.findIndex((t) => t.startsWith("moffs")), immIdx,
    index, mnemonic, att: att ?? mnemonic, spec, toks, opcode: bytes, modrm, plusReg, imms, opsize,
    sx: fl.has("sx"), rev: fl.has("rev"), relative: toks.includes("rel8") || toks.includes("rel32"),
  };
}

export const ROWS: readonly Row[] = TABLE.map(compileRow);
const BY_MNEMONIC = new Map<string, Row[]>();
for (const r of ROWS) {
  let list = BY_MNEMONIC.get(r.mnemonic);
  if (!list) BY_MNEMONIC.set(r.mnemonic, (list = []));
  list.push(r);
}
export function rowsFor(mnemonic: string): readonly Row[] | undefined {
  return BY_MNEMONIC.get(mnemonic);
}
export const MNEMONICS: readonly string[] = [...BY_MNEMONIC.keys()];

// ---------------------------------------------------------------------------------------------
// Matching

function isGpr(o: AnyOperand): o is Gpr {
  return isReg(o) && o.kind === "gpr";
}

function fitsSigned8(v: number, size: 16 | 32): boolean {
  const mask = size === 16 ? 0xffff : 0xffffffff;
  const lo = size === 16 ? -0x8000 : -0x80000000;
  if (v < lo || v > mask) return false;
  const n = v < 0 ? v + mask + 1 : v; // the value as the CPU sees it in `size` bits
  const s8 = n >= mask + 1 - 0x80 ? n - (mask + 1) : n;
  return s8 >= -0x80 && s8 <= 0x7f;
}

/** Why an operand failed a token: "range" when only the immediate's value is wrong. */
type Fit = true | "range" | false;

function fits(tok: Tok, o: AnyOperand, row: Row): Fit {
  switch (tok) {
    case "r8": case "r16": case "r32":
      return isGpr(o) && o.size === (tok === "r8" ? 8 : tok === "r16" ? 16 : 32);
    case "rm8": case "rm16": case "rm32": {
      const s = tok === "rm8" ? 8 : tok === "rm16" ? 16 : 32;
      return (isGpr(o) && o.size === s) || (isMem(o) && o.size === s);
    }
    case "m": return isMem(o);
    case "m8": return isMem(o) && o.size === 8;
    case "m16": return isMem(o) && o.size === 16;
    case "m32": return isMem(o) && o.size === 32;
    case "m64": return isMem(o) && (o.size === 64 || o.size === 0);
    case "mfar": return isMem(o) && o.size === 48;
    case "moffs8": case "moffs16": case "moffs32": {
      const s = tok === "moffs8" ? 8 : tok === "moffs16" ? 16 : 32;
      return isMem(o) && o.size === s && !o.base && !o.index;
    }
    case "AL": return isGpr(o) && o.size === 8 && o.code === 0;
    case "AX": return isGpr(o) && o.size === 16 && o.code === 0;
    case "EAX": return isGpr(o) && o.size === 32 && o.code === 0;
    case "CL": return isGpr(o) && o.size === 8 && o.code === 1;
    case "DX": return isGpr(o) && o.size === 16 && o.code === 2;
    case "sreg": return isReg(o) && o.kind === "sreg";
    case "ES": case "CS": case "SS": case "DS": case "FS": case "GS":
      return isReg(o) && o.kind === "sreg" && o.name === tok.toLowerCase();
    case "creg": return isReg(o) && o.kind === "creg";
    case "dreg": return isReg(o) && o.kind === "dreg";
    case "ptr": return typeof o === "object" && o !== null && (o as FarPtr).kind === "far";
    case "rel8": case "rel32": return isExpr(o);
    case "one": return isExpr(o) && constantOf(o) === 1;
    case "three": return isExpr(o) && constantOf(o) === 3;
    case "imm8": case "imm16": case "imm32": {
      if (!isExpr(o)) return false;
      const v = constantOf(o);
      if (v === undefined) return tok !== "imm8"; // label values are only known later: full-width forms only
      if (!Number.isInteger(v)) return "range";
      if (tok === "imm8") {
        if (row.sx) return fitsSigned8(v, row.opsize === 16 ? 16 : 32) ? true : "range";
        return v >= -0x80 && v <= 0xff ? true : "range";
      }
      if (tok === "imm16") return v >= -0x8000 && v <= 0xffff ? true : "range";
      return v >= -0x80000000 && v <= 0xffffffff ? true : "range";
    }
  }
}

export type MatchResult =
  | { ok: true; row: Row }
  | { ok: false; code: "ASM_UNKNOWN_MNEMONIC" | "ASM_INVALID_OPERANDS" | "ASM_SIZE_MISMATCH" | "ASM_IMM_RANGE" | "ASM_SIZE_NEEDED"; message: string };

export function describeOperand(o: AnyOperand): string {
  if (isReg(o)) return o.name;
  if (isMem(o)) return o.size ? `m${o.size === 48 ? "16:32" : o.size}` : "m (unsized)";
  if (typeof o === "object" && o !== null && (o as FarPtr).kind === "far") return "ptr16:32";
  const v = constantOf(o as Expr);
  return v === undefined ? "label" : `imm ${v}`;
}

/** First row of `rows` whose operand tokens accept `ops` (optionally restricted by a predicate). */
/**
 * Operand class: every property `fits` looks at, as a small integer, so that the row chosen for a
 * combination of classes can be cached. Registers: kind, size and number; memory: size and whether it can be
 * a moffs; immediates: the value ranges the imm tokens distinguish; -1 when an operand has no class (e.g. a
 * non-integer), which disables the cache for that instruction.
 */
function operandClass(o: AnyOperand): number {
  if (typeof o === "number") {
    if (!Number.isInteger(o)) return -1;
    if (o === 1) return 1;
    if (o === 3) return 2;
    if (o >= -0x80 && o <= 0x7f) return 3;
    if (o >= 0x80 && o <= 0xff) return 4;
    if (o >= -0x8000 && o < -0x80) return 5;
    if (o >= 0xff80 && o <= 0xffff) return 6;
    if (o > 0xff && o < 0xff80) return 7;
    if (o >= -0x80000000 && o < -0x8000) return 8;
    if (o >= 0xffffff80 && o <= 0xffffffff) return 9;
    if (o > 0xffff && o < 0xffffff80) return 10;
    return -1;
  }
  // One load of `kind` (every operand object has it) before any field only some kinds have.
  const kind = (o as { kind: string }).kind;
  if (kind === "mem") {
    const m = o as MemAny;
    const z = m.size;
    const k = z === 32 ? 3 : z === 8 ? 1 : z === 16 ? 2 : z === 0 ? 0 : z === 48 ? 4 : 5;
    return 40 + k * 2 + (m.base || m.index ? 0 : 1); // 40..51
  }
  if (kind === "gpr" || kind === "sreg" || kind === "creg" || kind === "dreg") {
    // Registers carry theirs (gpr 16..39, sreg 52..57, creg 58, dreg 59); only the DSL's own register objects.
    const r = o as Register;
    return REGISTERS[r.id] === r ? r.cls : -1;
  }
  switch (kind) {
    case "far": return 60;
    case "label": return 11;
    case "expr": return constantOf(o as Expr) === undefined ? 11 : -1;
    default: return -1;
  }
}

/**
 * A row compiled for one signature of operand classes (see operandClass): what the classes fix is worked out
 * once — the registers (every general and segment register has a class of its own), the operand-size prefix,
 * the opcode with its +r register, a register-only ModRM byte — so that recording an instruction of a known
 * signature only writes bytes and stores the operands its form does not fix (memory, immediates, labels).
 */
export interface Form {
  /** Index in FORMS (how the instruction store refers to it). */
  readonly id: number;
  readonly row: Row;
  readonly n: number;
  /** Per operand: the register its class fixes, or undefined when the operand itself must be kept. */
  readonly regs: readonly (Register | undefined)[];
  /** Per operand, what its class says it is: one of the OPERAND_* kinds. */
  readonly kinds: readonly number[];
  /** Encoded by encodeOps (moffs, far pointers, control and debug registers), not from the fixed parts. */
  readonly generic: boolean;
  /** The operand index of the memory operand in the ModRM r/m field, -1 for none. */
  readonly memIdx: number;
  /**
   * The operand-size prefix (if any) and the opcode bytes, +r register included, little-endian in one integer
   * (at most four bytes), and how many: for 16-bit and for 32-bit code.
   */
  readonly head16: number;
  readonly headLen16: number;
  readonly head32: number;
  readonly headLen32: number;
  /** The whole ModRM byte when registers fix it, -1 for no ModRM, -2 for a memory operand (reg field: memReg). */
  readonly modrm: number;
  readonly memReg: number;
}

/**
 * Operand kinds of a form: fixed by its class (a register), an integer, a memory operand, an object kept as it
 * is (a label, a label expression, a far pointer), anything else (operands of no class).
 */
export const OPERAND_FIXED = 0, OPERAND_INT = 1, OPERAND_MEM = 2, OPERAND_OBJECT = 3, OPERAND_OTHER = 4;

/** Every form compiled so far, by id (shared by all programs: a form depends only on its row and classes). */
export const FORMS: Form[] = [];
/** The register each general and segment register class stands for. */
const CLASS_REG: (Register | undefined)[] = [];
for (const r of REGISTERS) if (r.kind === "gpr" || r.kind === "sreg") CLASS_REG[r.cls] = r;

function compileForm(row: Row, n: number, classes: readonly number[]): Form {
  const regs = classes.map((c) => CLASS_REG[c]);
  const reg = (i: number) => (i >= 0 ? regs[i] : undefined);
  const memIdx = row.rmIdx >= 0 && classes[row.rmIdx]! >= 40 && classes[row.rmIdx]! <= 51 ? row.rmIdx : -1;
  const generic = row.moffsIdx >= 0 || row.immSize.includes(-1) || (row.plusIdx >= 0 && !reg(row.plusIdx)) ||
    (row.regIdx >= 0 && !reg(row.regIdx)) || (row.rmIdx >= 0 && memIdx < 0 && !reg(row.rmIdx));
  // A `+r` row adds the register number to its last opcode byte.
  const plus = row.plusIdx >= 0 && !generic ? reg(row.plusIdx)!.code : 0;
  const opcode = row.opcode.map((b, i) => (i === row.opcode.length - 1 ? b + plus : b));
  const head = ([16, 32] as const).map((bits) => {
    const bytes = row.opsize !== 0 && row.opsize !== bits ? [0x66, ...opcode] : opcode;
    if (bytes.length > 4) throw new Error(`opcode table row ${row.index} (${row.mnemonic}): more than four opcode bytes`);
    return { value: bytes.reduce((v, b, i) => v | (b << (8 * i)), 0), length: bytes.length };
  });
  const regField = generic || row.rmIdx < 0 ? 0 : row.regIdx >= 0 ? reg(row.regIdx)!.code : (row.modrm as number);
  const modrm = row.rmIdx < 0 || generic ? -1 : memIdx >= 0 ? -2 : 0xc0 | (regField << 3) | reg(row.rmIdx)!.code;
  const kinds = classes.map((c, i) =>
    regs[i] !== undefined ? OPERAND_FIXED : c >= 1 && c <= 10 ? OPERAND_INT : c >= 40 && c <= 51 ? OPERAND_MEM : c === 11 || c === 60 ? OPERAND_OBJECT : OPERAND_OTHER);
  const form: Form = {
    id: FORMS.length, row, n, regs, kinds, generic, memIdx, head16: head[0]!.value, headLen16: head[0]!.length,
    head32: head[1]!.value, headLen32: head[1]!.length, modrm, memReg: regField,
  };
  FORMS.push(form);
  return form;
}

/** The forms of one row for operands of no cacheable class (kept whole), compiled once per row and count. */
const UNCLASSED = new Map<Row, Form>();
function unclassedForm(row: Row): Form {
  let f = UNCLASSED.get(row);
  if (!f) UNCLASSED.set(row, (f = compileForm(row, row.toks.length, row.toks.map(() => -1))));
  return f;
}

/**
 * Forms chosen so far for one mnemonic, by operand-class signature: a flat table for up to two operands
 * (64 classes each), a map for three.
 */
export class FormCache {
  readonly small = new Int32Array(1 + 64 + 64 * 64).fill(-1); // -1 unknown, 0 no row, k+1 = FORMS[k]
  readonly large = new Map<number, Form | null>();
}

/** The form the encoder uses for n operands passed one by one (of the first row that accepts them), or undefined. */
export function findForm(rows: readonly Row[], n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined, cache: FormCache): Form | undefined {
  // Rows depend only on the operands' classes: look the combination up before matching.
  let sig = 0, cx = 0, cy = 0;
  if (n > 0) {
    cx = operandClass(x!);
    if (cx < 0) return unclassed(rows, n, x, y, z);
    sig = 1 + cx;
  }
  if (n > 1) {
    cy = operandClass(y!);
    if (cy < 0) return unclassed(rows, n, x, y, z);
    sig = 65 + (sig - 1) * 64 + cy;
  }
  if (n > 2) {
    const cz = operandClass(z!);
    if (cz < 0) return unclassed(rows, n, x, y, z);
    const key = sig * 64 + cz;
    const hit = cache.large.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const row = matchRows(rows, opsArray(n, x, y, z));
    const form = row ? compileForm(row, n, [cx, cy, cz]) : undefined;
    cache.large.set(key, form ?? null);
    return form;
  }
  const k = cache.small[sig]!;
  if (k >= 0) return k === 0 ? undefined : FORMS[k - 1];
  const row = matchRows(rows, opsArray(n, x, y, z));
  const form = row ? compileForm(row, n, n === 0 ? [] : n === 1 ? [cx] : [cx, cy]) : undefined;
  cache.small[sig] = form ? form.id + 1 : 0;
  return form;
}

function unclassed(rows: readonly Row[], n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): Form | undefined {
  const row = matchRows(rows, opsArray(n, x, y, z));
  return row ? unclassedForm(row) : undefined;
}

function opsArray(n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): AnyOperand[] {
  return (n === 0 ? [] : n === 1 ? [x] : n === 2 ? [x, y] : [x, y, z]) as AnyOperand[];
}

/** The first row whose operand tokens accept ops (the uncached search behind findForm). */
function matchRows(rows: readonly Row[], ops: readonly AnyOperand[]): Row | undefined {
  const n = ops.length;
  outer: for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const toks = row.toks;
    if (toks.length !== n) continue;
    for (let i = 0; i < n; i++) if (fits(toks[i]!, ops[i]!, row) !== true) continue outer;
    return row;
  }
  return undefined;
}

/** Like findForm, but says why nothing matched (for diagnostics). */
export function match(mnemonic: string, ops: readonly AnyOperand[], filter?: (r: Row) => boolean): MatchResult {
  const rows = BY_MNEMONIC.get(mnemonic);
  if (!rows) return { ok: false, code: "ASM_UNKNOWN_MNEMONIC", message: `unknown instruction '${mnemonic}'` };
  let rangeRow: Row | undefined;
  outer: for (const row of rows) {
    if (row.toks.length !== ops.length || (filter && !filter(row))) continue;
    let range = false;
    for (let i = 0; i < ops.length; i++) {
      const f = fits(row.toks[i]!, ops[i]!, row);
      if (f === false) continue outer;
      if (f === "range") range = true;
    }
    if (!range) return { ok: true, row };
    rangeRow ??= row;
  }
  const shown = ops.map(describeOperand).join(", ");
  if (rangeRow) {
    const i = rangeRow.toks.findIndex((t) => t.startsWith("imm"));
    return { ok: false, code: "ASM_IMM_RANGE", message: `${mnemonic} ${shown}: immediate ${describeOperand(ops[i]!)} does not fit ${rangeRow.spec[1]}` };
  }
  const sized = ops.filter((o) => (isReg(o) && o.kind === "gpr") || (isMem(o) && o.size !== 0)).map((o) => (o as Gpr | MemAny).size);
  if (sized.length >= 2 && new Set(sized).size > 1 && !["movzx", "movsx", "lar", "lsl", "in", "out", "shl", "shr", "sar", "sal", "rol", "ror", "rcl", "rcr"].includes(mnemonic))
    return { ok: false, code: "ASM_SIZE_MISMATCH", message: `${mnemonic} ${shown}: operand sizes differ (${sized.join(" vs ")} bits)` };
  if (ops.some((o) => isMem(o) && o.size === 0) && ops.some(isExpr))
    return { ok: false, code: "ASM_SIZE_NEEDED", message: `${mnemonic} ${shown}: memory operand needs a size (byte/word/dword)` };
  const forms = rows.map((r) => r.spec[1] || "(none)").filter((v, i, a) => a.indexOf(v) === i).join(" | ");
  return { ok: false, code: "ASM_INVALID_OPERANDS", message: `${mnemonic} ${shown}: no such form (valid: ${forms})` };
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface Fixup {
  /** Byte position inside the instruction. */
  at: number;
  size: 1 | 2 | 4;
  value: Expr;
  /** PC-relative: value - (address of the instruction end). */
  rel: boolean;
}

export interface Encoded {
  bytes: number[];
  fixups: Fixup[];
}

/** A growable byte buffer the encoder writes into (one per program: no allocation per instruction). */
export class ByteSink {
  buf = new Uint8Array(1 << 12);
  len = 0;
  /** Makes room for `n` more bytes, to be written at buf[len..] directly (an instruction is at most 15 bytes). */
  reserve(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }
  bytes(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  private grow(n: number): void {
    // Four times larger: each step copies what is there into fresh memory, and fresh pages cost more to touch
    // than the bytes themselves (the copies add a third of the final size, not all of it as doubling does).
    const next = new Uint8Array(Math.max(this.buf.length * 4, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
// 16-bit ModRM r/m numbers for base/index pairs, keyed by "base,index" register codes.
const RM16: Record<string, number> = { "3,6": 0, "3,7": 1, "5,6": 2, "5,7": 3, "6,": 4, "7,": 5, "5,": 6, "3,": 7 };


export class EncodeError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The segment override a memory operand needs, or undefined when it names the default segment (ss for
 * a base of esp/ebp or bp, ds otherwise): GNU as drops such redundant prefixes, and so do we.
 */
export function overrideOf(m: MemAny): SegReg | undefined {
  if (!m.seg) return undefined;
  const stackBase = m.base !== undefined && (m.base.size === 32 ? m.base.code === 4 || m.base.code === 5 : m.base.code === 5);
  const dflt = stackBase ? 2 : 3;
  return m.seg.code === dflt ? undefined : m.seg;
}

function addrSizeOf(m: MemAny, bits: Bits): 16 | 32 {
  const r = m.base ?? m.index;
  if (r) return r.size === 16 ? 16 : 32;
  return bits;
}

/** Writes `size` bytes of v little-endian at buf[p]; returns the position after them. */
function putLe(buf: Uint8Array, p: number, v: number, size: number): number {
  buf[p] = v & 0xff;
  if (size > 1) {
    buf[p + 1] = (v >>> 8) & 0xff;
    if (size > 2) {
      buf[p + 2] = (v >>> 16) & 0xff;
      buf[p + 3] = (v >>> 24) & 0xff;
    }
  }
  return p + size;
}

/** A displacement field: the constant, or zero and a fixup when it refers to labels. */
function putDisp(buf: Uint8Array, p: number, start: number, dispExpr: Expr | undefined, disp: number, size: 1 | 2 | 4): number {
  if (dispExpr !== undefined) {
    addFixup(p - start, size, dispExpr, false);
    return putLe(buf, p, 0, size);
  }
  return putLe(buf, p, disp, size);
}

/**
 * ModRM (+SIB, displacement) for a memory operand at buf[p]; `reg` is the ModRM reg field and `start` the
 * instruction's first byte (fixup positions are relative to it). Returns the position after it.
 */
function encodeMem(buf: Uint8Array, p: number, start: number, reg: number, m: MemAny, bits: Bits): number {
  const asize = addrSizeOf(m, bits);
  const d = m.disp;
  const dc = typeof d === "number" ? d : constantOf(d);
  const dispExpr = dc === undefined ? d : undefined;
  const disp = dc ?? 0;
  if (asize === 16) {
    if (m.scale !== 1 && m.index) throw new EncodeError("ASM_INVALID_ADDRESS", "16-bit addressing has no scale");
    if (!m.base && !m.index) {
      buf[p++] = (reg << 3) | 6;
      return putDisp(buf, p, start, dispExpr, disp, 2);
    }
    let b = m.base?.code, x = m.index?.code;
    if (b !== undefined && x !== undefined && (b === 6 || b === 7)) [b, x] = [x, b]; // [si+bx] = [bx+si]
    if (b === undefined) [b, x] = [x, undefined];
    const rm = RM16[`${b},${x ?? ""}`];
    if (rm === undefined || m.base?.size === 32) throw new EncodeError("ASM_INVALID_ADDRESS", "invalid 16-bit addressing form (use bx/bp with si/di)");
    const modv = dispExpr ? 2 : disp === 0 && rm !== 6 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    buf[p++] = (modv << 6) | (reg << 3) | rm;
    if (modv === 1) return putDisp(buf, p, start, dispExpr, disp, 1);
    if (modv === 2) return putDisp(buf, p, start, dispExpr, disp, 2);
    return p;
  }
  const base = m.base, index = m.index;
  if (index && index.code === 4) throw new EncodeError("ASM_INVALID_ADDRESS", "esp cannot be an index register");
  if (base && index && base.size !== index.size) throw new EncodeError("ASM_INVALID_ADDRESS", "base and index differ in size");
  if (!base && !index) {
    buf[p++] = (reg << 3) | 5;
    return putDisp(buf, p, start, dispExpr, disp, 4);
  }
  // Without an index the scale means nothing; GNU as writes 0 there.
  const ss = !index || m.scale === 1 ? 0 : m.scale === 2 ? 1 : m.scale === 4 ? 2 : 3;
  if (!base) {
    buf[p++] = (reg << 3) | 4;
    buf[p++] = (ss << 6) | (index!.code << 3) | 5;
    return putDisp(buf, p, start, dispExpr, disp, 4);
  }
  const modv = dispExpr ? 2 : disp === 0 && base.code !== 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
  if (index || base.code === 4) {
    buf[p++] = (modv << 6) | (reg << 3) | 4;
    buf[p++] = (ss << 6) | ((index ? index.code : 4) << 3) | base.code;
  } else {
    buf[p++] = (modv << 6) | (reg << 3) | base.code;
  }
  if (modv === 1) return putDisp(buf, p, start, dispExpr, disp, 1);
  if (modv === 2) return putDisp(buf, p, start, dispExpr, disp, 4);
  return p;
}

export interface Prefixes {
  lock?: boolean;
  rep?: 0xf2 | 0xf3;
}

/**
 * Fixups of the instruction last encoded by encodeOps (positions relative to its start): a reusable scratch
 * area, so that encoding allocates nothing. Read it before encoding the next instruction.
 */
export const lastFixups = { count: 0, at: [0, 0, 0], size: [1, 1, 1] as (1 | 2 | 4)[], rel: [false, false, false], value: [0, 0, 0] as Expr[] };

function addFixup(at: number, size: 1 | 2 | 4, value: Expr, rel: boolean): void {
  const f = lastFixups;
  const k = f.count++;
  f.at[k] = at;
  f.size[k] = size;
  f.value[k] = value;
  f.rel[k] = rel;
}

/**
 * Writes one instruction (n operands x, y, z) into `out`; its fixups are left in `lastFixups`.
 * Operands are passed one by one so that recording an instruction allocates no array.
 */
export function encodeOps(out: ByteSink, row: Row, n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined, bits: Bits, prefixes?: Prefixes): void {
  out.reserve(16);
  lastFixups.count = 0;
  // Bytes go straight into the buffer through a local position (stored back once at the end).
  const buf = out.buf;
  const start = out.len;
  let p = start;
  let memOp: MemAny | undefined;
  if (n > 0 && typeof x === "object" && (x as MemAny).kind === "mem") memOp = x as MemAny;
  else if (n > 1 && typeof y === "object" && (y as MemAny).kind === "mem") memOp = y as MemAny;
  else if (n > 2 && typeof z === "object" && (z as MemAny).kind === "mem") memOp = z as MemAny;
  // Prefix order as GNU as writes them: segment, address size, operand size, rep, lock.
  if (memOp) p = putMemPrefixes(buf, p, memOp, bits);
  if (row.opsize !== 0 && row.opsize !== bits) buf[p++] = 0x66;
  if (prefixes) {
    if (prefixes.rep) buf[p++] = prefixes.rep;
    if (prefixes.lock) buf[p++] = 0xf0;
  }
  const opcode = row.opcode;
  const last = opcode.length - 1;
  for (let i = 0; i < last; i++) buf[p++] = opcode[i]!;
  buf[p++] = row.plusIdx >= 0 ? opcode[last]! + (pick(row.plusIdx, x, y, z) as Gpr).code : opcode[last]!;
  if (row.rmIdx >= 0) {
    const regIdx = row.regIdx;
    const regField = regIdx >= 0 ? (pick(regIdx, x, y, z) as Register).code : (row.modrm as number);
    const rmOp = pick(row.rmIdx, x, y, z);
    if (rmOp === memOp) p = encodeMem(buf, p, start, regField, memOp, bits);
    else buf[p++] = 0xc0 | (regField << 3) | (rmOp as Register).code;
  }
  // moffs operands carry their address as an immediate-like displacement.
  if (row.moffsIdx >= 0) {
    const m = pick(row.moffsIdx, x, y, z) as MemAny;
    const size = addrSizeOf(m, bits) === 16 ? 2 : 4;
    const c = constantOf(m.disp);
    if (c === undefined) addFixup(p - start, size, m.disp, false);
    p = putLe(buf, p, c ?? 0, size);
  }
  // Immediates, in operand order: size 1/2/4, 0 for a code-size field (cd), -1 for a far pointer (cp).
  const immIdx = row.immIdx, immSize = row.immSize;
  for (let j = 0; j < immSize.length; j++) {
    const o = pick(immIdx[j]!, x, y, z);
    let size = immSize[j]!;
    if (size < 0) {
      const f = o as FarPtr;
      const fsize = bits === 16 ? 2 : 4;
      const c = constantOf(f.offset);
      if (c === undefined) addFixup(p - start, fsize, f.offset, false);
      p = putLe(buf, p, c ?? 0, fsize);
      p = putLe(buf, p, f.selector, 2);
      continue;
    }
    if (size === 0) size = bits === 16 ? 2 : 4;
    p = putImm(buf, p, start, o, size as 1 | 2 | 4, row.relative);
  }
  out.len = p;
}

/** One immediate field at buf[p] (a fixup when it is PC-relative or a label's value); the position after it. */
function putImm(buf: Uint8Array, p: number, start: number, o: AnyOperand | undefined, size: 1 | 2 | 4, relative: boolean): number {
  if (relative) {
    addFixup(p - start, size, o as Expr, true);
    return putLe(buf, p, 0, size);
  }
  const c = typeof o === "number" ? o : constantOf(o as Expr);
  if (c === undefined) addFixup(p - start, size, o as Expr, false);
  return putLe(buf, p, c ?? 0, size);
}

/** The segment-override and address-size prefixes a memory operand needs; the position after them. */
function putMemPrefixes(buf: Uint8Array, p: number, m: MemAny, bits: Bits): number {
  if (m.seg) {
    const segOverride = overrideOf(m);
    if (segOverride) buf[p++] = SEG_PREFIX[segOverride.code]!;
  }
  if (addrSizeOf(m, bits) !== bits) buf[p++] = 0x67;
  return p;
}

/**
 * Writes one instruction of a compiled form into `out` (its fixups left in `lastFixups`): the fixed head, the
 * ModRM byte or memory operand, the immediates. Prefixes and generic forms go through encodeOps.
 */
export function encodeForm(out: ByteSink, f: Form, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined, bits: Bits, prefixes?: Prefixes): void {
  const row = f.row;
  if (f.generic || prefixes !== undefined) return encodeOps(out, row, f.n, x, y, z, bits, prefixes);
  if (out.len + 16 > out.buf.length) out.reserve(16);
  lastFixups.count = 0;
  const buf = out.buf;
  const start = out.len;
  let p = start;
  const memIdx = f.memIdx;
  let m: MemAny | undefined;
  if (memIdx >= 0) {
    m = (memIdx === 0 ? x : memIdx === 1 ? y : z) as MemAny;
    p = putMemPrefixes(buf, p, m, bits);
  }
  let head = bits === 32 ? f.head32 : f.head16;
  const headEnd = p + (bits === 32 ? f.headLen32 : f.headLen16);
  while (p < headEnd) {
    buf[p++] = head & 0xff;
    head >>>= 8;
  }
  const modrm = f.modrm;
  if (modrm >= 0) buf[p++] = modrm;
  else if (modrm === -2) p = encodeMem(buf, p, start, f.memReg, m!, bits);
  const immSize = row.immSize;
  if (immSize.length !== 0) {
    const immIdx = row.immIdx;
    for (let j = 0; j < immSize.length; j++) {
      const k = immIdx[j]!;
      const o = k === 0 ? x : k === 1 ? y : z;
      const size = immSize[j]!;
      p = putImm(buf, p, start, o, (size === 0 ? (bits === 16 ? 2 : 4) : size) as 1 | 2 | 4, row.relative);
    }
  }
  out.len = p;
}

function pick(i: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): AnyOperand {
  return (i === 0 ? x : i === 1 ? y : z)!;
}

/** The fixups encodeOps left in lastFixups, as objects (or undefined when there are none). */
export function takeFixups(): Fixup[] | undefined {
  const f = lastFixups;
  if (f.count === 0) return undefined;
  const list: Fixup[] = [];
  for (let k = 0; k < f.count; k++) list.push({ at: f.at[k]!, size: f.size[k]!, value: f.value[k]!, rel: f.rel[k]! });
  return list;
}

const scratch = new ByteSink();
/** Bytes and fixups of one instruction (allocating; the Assembler records with encodeOps). */
export function encode(row: Row, ops: readonly AnyOperand[], bits: Bits, prefixes?: Prefixes): Encoded {
  scratch.len = 0;
  encodeOps(scratch, row, ops.length, ops[0], ops[1], ops[2], bits, prefixes);
  const fixups = takeFixups() ?? [];
  return { bytes: Array.from(scratch.buf.subarray(0, scratch.len)), fixups };
}
