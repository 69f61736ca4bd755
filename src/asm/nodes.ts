// The recorded program: what the DSL appends and the layout pass reads. Nothing here knows bytes' final
// positions; layout decides those.

import type { AnyOperand, Bits, Fixup, Row } from "./encoder.ts";
import type { Expr, Label, LabelExpr } from "./operands.ts";

/** An instruction (or data) whose size is fixed at record time: bytes with fixups for label values. */
export interface FixedNode {
  readonly k: "fixed";
  readonly bytes: Uint8Array;
  readonly fixups: readonly Fixup[];
  /** Present for instructions; absent for data directives. */
  readonly ins?: InsInfo;
  readonly data?: { unit: 1 | 2 | 4 | 8; values: readonly Expr[] } | { text: string; zero: boolean };
  readonly src?: string;
}

/** A label-relative jmp/jcc with a short and a long form; layout picks, starting long. */
export interface BranchNode {
  readonly k: "branch";
  readonly short: { bytes: Uint8Array; fixups: readonly Fixup[] };
  readonly long: { bytes: Uint8Array; fixups: readonly Fixup[] };
  readonly shortIns: InsInfo;
  readonly longIns: InsInfo;
  readonly target: LabelExpr;
  readonly src?: string;
}

export interface LabelNode {
  readonly k: "label";
  readonly label: Label;
  readonly src?: string;
}

export interface AlignNode {
  readonly k: "align";
  readonly n: number;
  /** A fill byte, or "nop" for multi-byte NOP padding. */
  readonly fill: number | "nop";
  readonly bits: Bits;
  readonly src?: string;
}

export interface OrgNode {
  readonly k: "org";
  /** Offset from the program start (not origin-relative). */
  readonly offset: number;
  readonly fill: number;
  readonly src?: string;
}

export interface InsInfo {
  readonly row: Row;
  readonly ops: readonly AnyOperand[];
  readonly bits: Bits;
  readonly prefixText: string;
}

export type Node = FixedNode | BranchNode | LabelNode | AlignNode | OrgNode;
