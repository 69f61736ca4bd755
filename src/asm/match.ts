// Operand matching: whether an operand fits a row's operand token, the first row that accepts a list of
// operands (rows are ordered so that this is GNU as's choice), and why none does, for diagnostics.

import { constantOf, isExpr, isMem, isReg, type AnyOperand, type Expr, type FarPtr, type Gpr, type MemAny } from "./operands.ts";
import { rowsFor, type Row, type Tok } from "./rows.ts";

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
    case "r8":
    case "r16":
    case "r32":
      return isGpr(o) && o.size === (tok === "r8" ? 8 : tok === "r16" ? 16 : 32);
    case "rm8":
    case "rm16":
    case "rm32": {
      const s = tok === "rm8" ? 8 : tok === "rm16" ? 16 : 32;
      return (isGpr(o) && o.size === s) || (isMem(o) && o.size === s);
    }
    case "m":
      return isMem(o);
    case "m8":
      return isMem(o) && o.size === 8;
    case "m16":
      return isMem(o) && o.size === 16;
    case "m32":
      return isMem(o) && o.size === 32;
    case "m64":
      return isMem(o) && (o.size === 64 || o.size === 0);
    case "mfar":
      return isMem(o) && o.size === 48;
    case "moffs8":
    case "moffs16":
    case "moffs32": {
      const s = tok === "moffs8" ? 8 : tok === "moffs16" ? 16 : 32;
      return isMem(o) && o.size === s && !o.base && !o.index;
    }
    case "AL":
      return isGpr(o) && o.size === 8 && o.code === 0;
    case "AX":
      return isGpr(o) && o.size === 16 && o.code === 0;
    case "EAX":
      return isGpr(o) && o.size === 32 && o.code === 0;
    case "CL":
      return isGpr(o) && o.size === 8 && o.code === 1;
    case "DX":
      return isGpr(o) && o.size === 16 && o.code === 2;
    case "sreg":
      return isReg(o) && o.kind === "sreg";
    case "ES":
    case "CS":
    case "SS":
    case "DS":
    case "FS":
    case "GS":
      return isReg(o) && o.kind === "sreg" && o.name === tok.toLowerCase();
    case "creg":
      return isReg(o) && o.kind === "creg";
    case "dreg":
      return isReg(o) && o.kind === "dreg";
    case "ptr":
      return typeof o === "object" && o !== null && (o as FarPtr).kind === "far";
    case "rel8":
    case "rel32":
      return isExpr(o);
    case "one":
      return isExpr(o) && constantOf(o) === 1;
    case "three":
      return isExpr(o) && constantOf(o) === 3;
    case "imm8":
    case "imm16":
    case "imm32": {
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

/** The first row whose operand tokens accept ops (the uncached search behind findForm). */
export function matchRows(rows: readonly Row[], ops: readonly AnyOperand[]): Row | undefined {
  const n = ops.length;
  outer: for (const row of rows) {
    const toks = row.toks;
    if (toks.length !== n) continue;
    for (let i = 0; i < n; i++) if (fits(toks[i]!, ops[i]!, row) !== true) continue outer;
    return row;
  }
  return undefined;
}

/** Like findForm, but says why nothing matched (for diagnostics). */
export function match(mnemonic: string, ops: readonly AnyOperand[], filter?: (r: Row) => boolean): MatchResult {
  const rows = rowsFor(mnemonic);
  if (!rows) return { ok: false, code: "ASM_UNKNOWN_MNEMONIC", message: `unknown instruction '${mnemonic}'` };
  // The widest form an immediate is too large for (rows list imm8 before imm32): the operand and its field.
  let range: { operand: AnyOperand; field: string } | undefined;
  outer: for (const row of rows) {
    if (row.toks.length !== ops.length || (filter && !filter(row))) continue;
    let tooLarge: { operand: AnyOperand; field: string } | undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const f = fits(row.toks[i]!, op, row);
      if (f === false) continue outer;
      if (f === "range") tooLarge ??= { operand: op, field: row.spec[1].split(",")[i]?.trim() ?? row.spec[1] };
    }
    if (!tooLarge) return { ok: true, row };
    range = tooLarge;
  }
  const shown = ops.map(describeOperand).join(", ");
  if (range) {
    return { ok: false, code: "ASM_IMM_RANGE", message: `${mnemonic} ${shown}: immediate ${describeOperand(range.operand)} does not fit ${range.field}` };
  }
  const sized = ops.filter((o) => (isReg(o) && o.kind === "gpr") || (isMem(o) && o.size !== 0)).map((o) => (o as Gpr | MemAny).size);
  if (
    sized.length >= 2 &&
    new Set(sized).size > 1 &&
    !["movzx", "movsx", "lar", "lsl", "in", "out", "shl", "shr", "sar", "sal", "rol", "ror", "rcl", "rcr"].includes(mnemonic)
  )
    return { ok: false, code: "ASM_SIZE_MISMATCH", message: `${mnemonic} ${shown}: operand sizes differ (${sized.join(" vs ")} bits)` };
  if (ops.some((o) => isMem(o) && o.size === 0) && ops.some(isExpr))
    return { ok: false, code: "ASM_SIZE_NEEDED", message: `${mnemonic} ${shown}: memory operand needs a size (byte/word/dword)` };
  const forms = rows
    .map((r) => r.spec[1] || "(none)")
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(" | ");
  return { ok: false, code: "ASM_INVALID_OPERANDS", message: `${mnemonic} ${shown}: no such form (valid: ${forms})` };
}
