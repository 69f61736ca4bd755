// The opcode table compiled once into rows: operand tokens, opcode bytes, the ModRM and immediate parts and the
// operands' roles, so that nothing is parsed or searched per instruction.

import type { Mnemonic, OperandToken } from "./signatures.ts";
import { TABLE, type RowSpec } from "./table.ts";

export type Tok =
  | "r8"
  | "r16"
  | "r32"
  | "rm8"
  | "rm16"
  | "rm32"
  | "m"
  | "m8"
  | "m16"
  | "m32"
  | "m64"
  | "mfar"
  | "imm8"
  | "imm16"
  | "imm32"
  | "rel8"
  | "rel32"
  | "ptr"
  | "moffs8"
  | "moffs16"
  | "moffs32"
  | "AL"
  | "AX"
  | "EAX"
  | "CL"
  | "DX"
  | "one"
  | "three"
  | "sreg"
  | "creg"
  | "dreg"
  | "ES"
  | "CS"
  | "SS"
  | "DS"
  | "FS"
  | "GS";

export type ImmTok = "ib" | "iw" | "id" | "cb" | "cd" | "cp";

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

// Keyed by the same tokens the DSL types (signatures.ts), so the two cannot drift apart.
const TOKENS: { readonly [T in OperandToken]: Tok } = {
  r8: "r8",
  r16: "r16",
  r32: "r32",
  "r/m8": "rm8",
  "r/m16": "rm16",
  "r/m32": "rm32",
  m: "m",
  m8: "m8",
  m16: "m16",
  m32: "m32",
  m64: "m64",
  "m16:32": "mfar",
  imm8: "imm8",
  imm16: "imm16",
  imm32: "imm32",
  rel8: "rel8",
  rel32: "rel32",
  "ptr16:32": "ptr",
  moffs8: "moffs8",
  moffs16: "moffs16",
  moffs32: "moffs32",
  AL: "AL",
  AX: "AX",
  EAX: "EAX",
  CL: "CL",
  DX: "DX",
  "1": "one",
  "3": "three",
  Sreg: "sreg",
  "CR0-CR7": "creg",
  "DR0-DR7": "dreg",
  ES: "ES",
  CS: "CS",
  SS: "SS",
  DS: "DS",
  FS: "FS",
  GS: "GS",
};
const SIZE16: ReadonlySet<Tok> = new Set(["r16", "rm16", "m16", "AX", "moffs16"]);
const SIZE32: ReadonlySet<Tok> = new Set(["r32", "rm32", "m32", "EAX", "moffs32"]);

function compileRow(spec: RowSpec, index: number): Row {
  const [mnemonic, operands, opcode, flags = "", att] = spec;
  const toks =
    operands.trim() === ""
      ? []
      : operands.split(",").map((s) => {
          const name = s.trim();
          const t = Object.hasOwn(TOKENS, name) ? TOKENS[name as OperandToken] : undefined;
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
  let regIdx = -1,
    rmIdx = -1;
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
    regIdx,
    rmIdx,
    plusIdx: plusReg ? toks.findIndex(isGprTok) : -1,
    moffsIdx: toks.findIndex((t) => t.startsWith("moffs")),
    immIdx,
    index,
    mnemonic,
    att: att ?? mnemonic,
    spec,
    toks,
    opcode: bytes,
    modrm,
    plusReg,
    imms,
    opsize,
    sx: fl.has("sx"),
    rev: fl.has("rev"),
    relative: toks.includes("rel8") || toks.includes("rel32"),
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
// The keys are the table's mnemonics, so they have its type.
export const MNEMONICS = [...BY_MNEMONIC.keys()] as readonly Mnemonic[];
