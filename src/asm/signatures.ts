// The DSL's instruction methods as types, derived from the opcode table: each row's operand string ("r/m32, imm8")
// is read at the type level into a parameter list, so that adding a row adds (or widens) a method with no second
// list to keep in step. Rows that differ only in their last operand merge into one signature with a union there
// (as the encoder's row search does), so `add(eax, x)` with x a register or a number still type-checks.

import type { CtrlReg, DbgReg, Expr, FarPtr, Mem, Mem16, Mem32, Mem64, Mem8, MemAny, MemFar, Reg16, Reg32, Reg8, SegReg } from "./operands.ts";
import type { TABLE } from "./table.ts";

/** A label-relative jmp/jcc's form when the caller fixes it; by default layout picks the shortest that reaches. */
export type BranchSize = "short" | "long";

/** What each operand token of the table accepts (rows.ts compiles the same tokens for the encoder). */
export interface OperandTypes {
  r8: Reg8;
  r16: Reg16;
  r32: Reg32;
  "r/m8": Reg8 | Mem8;
  "r/m16": Reg16 | Mem16;
  "r/m32": Reg32 | Mem32;
  m: MemAny;
  m8: Mem8;
  m16: Mem16;
  m32: Mem32;
  /** cmpxchg8b takes an unsized reference too. */
  m64: Mem64 | Mem<0>;
  "m16:32": MemFar;
  imm8: Expr;
  imm16: Expr;
  imm32: Expr;
  rel8: Expr;
  rel32: Expr;
  "ptr16:32": FarPtr;
  moffs8: Mem8;
  moffs16: Mem16;
  moffs32: Mem32;
  AL: Reg8;
  AX: Reg16;
  EAX: Reg32;
  CL: Reg8;
  DX: Reg16;
  "1": Expr;
  "3": Expr;
  Sreg: SegReg;
  "CR0-CR7": CtrlReg;
  "DR0-DR7": DbgReg;
  ES: SegReg;
  CS: SegReg;
  SS: SegReg;
  DS: SegReg;
  FS: SegReg;
  GS: SegReg;
}
export type OperandToken = keyof OperandTypes;

type TableRow = (typeof TABLE)[number];
/** Every mnemonic of the table. */
export type Mnemonic = TableRow[0];
/** The operand strings of M's rows. */
type OperandsOf<M extends string> = TableRow extends infer R
  ? R extends readonly [infer N, infer O extends string, ...unknown[]]
    ? M extends N
      ? O
      : never
    : never
  : never;

/** "a, b, c" → ["a", "b", "c"]; "" → []. */
type Split<S extends string> = S extends "" ? [] : S extends `${infer A}, ${infer B}` ? [A, ...Split<B>] : [S];
/** The tokens of S but the last, as a string ("" for one token). */
type Init<S extends string> = S extends `${infer A}, ${infer B}` ? (B extends `${string}, ${string}` ? `${A}, ${Init<B>}` : A) : "";
type Last<S extends string> = S extends `${string}, ${infer B}` ? Last<B> : S;
type TypeOf<T> = T extends OperandToken ? OperandTypes[T] : never;
type TypesOf<T extends readonly string[]> = { [K in keyof T]: TypeOf<T[K]> };
/** Every operand token the table's rows use; UntypedTokens fails to compile while one has no entry in OperandTypes. */
type TableToken = Split<TableRow[1]>[number];
type AssertNone<T extends never> = T;
export type UntypedTokens = AssertNone<Exclude<TableToken, OperandToken>>;

/** Parameter names by count, for editors' hints. */
type Named<P extends readonly unknown[]> = P extends [infer A]
  ? [operand: A]
  : P extends [infer A, infer B]
    ? [dst: A, src: B]
    : P extends [infer A, infer B, infer C]
      ? [dst: A, src: B, extra: C]
      : P extends []
        ? []
        : never; // the DSL passes at most three operands

/** One signature per run of rows that share all operands but the last (union S of operand strings, not ""). */
type Merged<S extends string> =
  Init<S> extends infer P ? (P extends string ? (...ops: Named<[...TypesOf<Split<P>>, TypeOf<LastOf<S, P>>]>) => void : never) : never;
/** The last tokens of the strings in S whose other tokens are P. */
type LastOf<S extends string, P extends string> = S extends string ? (Init<S> extends P ? (P extends Init<S> ? Last<S> : never) : never) : never;

/** The DSL's short spellings, which the Assembler rewrites when recording (see recordGeneral). */
type Shortcuts<S extends string> =
  // shl r = shl r, 1: a constant-1 last operand may be left out.
  | (S extends `${infer P}, 1` ? (...ops: Named<TypesOf<Split<P>>>) => void : never)
  // imul r, imm = imul r, r, imm.
  | (S extends `r${infer N}, r/m${infer N2}, ${infer I}` ? (N extends N2 ? (dst: TypeOf<`r${N}`>, imm: TypeOf<I>) => void : never) : never);

/** A label-relative jmp/jcc (both a rel8 and a rel32 row) is relaxed by layout, or sized by the caller. */
type Relaxed<S extends string> = "rel8" extends S ? ("rel32" extends S ? (target: Expr, size?: BranchSize) => void : never) : never;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The overloads of one mnemonic's method. */
type MethodOf<M extends string> = UnionToIntersection<
  ("" extends OperandsOf<M> ? () => void : never) | Merged<Exclude<OperandsOf<M>, "">> | Shortcuts<OperandsOf<M>> | Relaxed<OperandsOf<M>>
>;

/** One method per mnemonic of the opcode table, installed on Assembler.prototype. */
export type Mnemonics = { [M in Mnemonic]: MethodOf<M> };
