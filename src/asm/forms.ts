// Forms: a row compiled for one signature of operand classes. Classes say everything matching looks at, so
// what they fix (registers, the operand-size prefix, the opcode with its +r register, a register-only ModRM
// byte) is worked out once per form instead of once per instruction.

import { REGISTERS, constantOf, type AnyOperand, type Expr, type MemAny, type Register } from "./operands.ts";
import type { Row } from "./rows.ts";

/**
 * Operand class: every property `fits` looks at, as a small integer, so that the row chosen for a
 * combination of classes can be cached. Registers: kind, size and number; memory: size and whether it can be
 * a moffs; immediates: the value ranges the imm tokens distinguish; -1 when an operand has no class (e.g. a
 * non-integer), which disables the cache for that instruction.
 */
export function operandClass(o: AnyOperand): number {
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
    case "far":
      return 60;
    case "label":
      return 11;
    case "expr":
      return constantOf(o as Expr) === undefined ? 11 : -1;
    default:
      return -1;
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
export const OPERAND_FIXED = 0,
  OPERAND_INT = 1,
  OPERAND_MEM = 2,
  OPERAND_OBJECT = 3,
  OPERAND_OTHER = 4;

/** Every form compiled so far, by id (shared by all programs: a form depends only on its row and classes). */
export const FORMS: Form[] = [];
/** The register each general and segment register class stands for. */
const CLASS_REG: (Register | undefined)[] = [];
for (const r of REGISTERS) if (r.kind === "gpr" || r.kind === "sreg") CLASS_REG[r.cls] = r;

export function compileForm(row: Row, n: number, classes: readonly number[]): Form {
  const regs = classes.map((c) => CLASS_REG[c]);
  const reg = (i: number) => (i >= 0 ? regs[i] : undefined);
  const plusReg = reg(row.plusIdx),
    regReg = reg(row.regIdx),
    rmReg = reg(row.rmIdx);
  const rmClass = row.rmIdx >= 0 ? classes[row.rmIdx] : undefined;
  const memIdx = rmClass !== undefined && rmClass >= 40 && rmClass <= 51 ? row.rmIdx : -1;
  const generic =
    row.moffsIdx >= 0 || row.immSize.includes(-1) || (row.plusIdx >= 0 && !plusReg) || (row.regIdx >= 0 && !regReg) || (row.rmIdx >= 0 && memIdx < 0 && !rmReg);
  // A `+r` row adds the register number to its last opcode byte.
  const plus = !generic && plusReg ? plusReg.code : 0;
  const opcode = row.opcode.map((op, i) => (i === row.opcode.length - 1 ? op + plus : op));
  const head = (bits: 16 | 32) => {
    const bytes = row.opsize !== 0 && row.opsize !== bits ? [0x66, ...opcode] : opcode;
    if (bytes.length > 4) throw new Error(`opcode table row ${row.index} (${row.mnemonic}): more than four opcode bytes`);
    return { value: bytes.reduce((v, b, i) => v | (b << (8 * i)), 0), length: bytes.length };
  };
  const head16 = head(16),
    head32 = head(32);
  // Not generic: each register operand is fixed by its class, so a register r/m gives the whole ModRM byte.
  const regField = generic || row.rmIdx < 0 ? 0 : regReg ? regReg.code : (row.modrm as number);
  const modrm = row.rmIdx < 0 || generic ? -1 : memIdx < 0 && rmReg ? 0xc0 | (regField << 3) | rmReg.code : -2;
  const kinds = classes.map((c, i) =>
    regs[i] !== undefined
      ? OPERAND_FIXED
      : c >= 1 && c <= 10
        ? OPERAND_INT
        : c >= 40 && c <= 51
          ? OPERAND_MEM
          : c === 11 || c === 60
            ? OPERAND_OBJECT
            : OPERAND_OTHER,
  );
  const form: Form = {
    id: FORMS.length,
    row,
    n,
    regs,
    kinds,
    generic,
    memIdx,
    head16: head16.value,
    headLen16: head16.length,
    head32: head32.value,
    headLen32: head32.length,
    modrm,
    memReg: regField,
  };
  FORMS.push(form);
  return form;
}

/** The forms of one row for operands of no cacheable class (kept whole), compiled once per row and count. */
const UNCLASSED = new Map<Row, Form>();
export function unclassedForm(row: Row): Form {
  let f = UNCLASSED.get(row);
  if (!f)
    UNCLASSED.set(
      row,
      (f = compileForm(
        row,
        row.toks.length,
        row.toks.map(() => -1),
      )),
    );
  return f;
}
