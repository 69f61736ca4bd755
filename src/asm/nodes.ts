// The recorded program: what the DSL appends and the layout pass reads. Nothing here knows bytes' final
// positions; layout decides those.

import type { Fixup } from "./encode.ts";
import type { AnyOperand, Bits, Expr, Label } from "./operands.ts";
import type { Row } from "./rows.ts";

/**
 * Data, or an instruction recorded outside a run (an explicitly sized branch), whose size is fixed at record
 * time: its bytes sit in the program's code buffer at [start, start + size), with fixups (positions relative
 * to start) for label values. Ordinary instructions are not nodes of their own: they are kept flat in runs
 * (see Program.instructions).
 */
export interface FixedNode {
  readonly k: "fixed";
  readonly start: number;
  readonly size: number;
  readonly fixups?: readonly Fixup[];
  // Instructions carry their InsInfo fields on the node itself (one object per instruction, not two).
  readonly row?: Row;
  readonly ops?: readonly AnyOperand[];
  readonly bits?: Bits;
  readonly prefixText?: string;
  readonly data?: { unit: 1 | 2 | 4 | 8; values: readonly Expr[] } | { text: string; zero: boolean };
  readonly src?: string;
}

/** One encoding of a label-relative branch: opcode bytes with a zero displacement at relAt. Shared. */
export interface BranchForm {
  readonly row: Row;
  readonly bytes: Uint8Array;
  readonly relAt: number;
  readonly relSize: 1 | 2 | 4;
}

/**
 * A label-relative jmp/jcc with a short and a long form; layout picks, starting long. The target is not here but
 * in Program.specialTarget, so that the branches of one mnemonic and code size share one node (unless they
 * carry a prefix or a source line).
 */
export interface BranchNode {
  readonly k: "branch";
  readonly short: BranchForm;
  readonly long: BranchForm;
  readonly bits: Bits;
  readonly prefixText: string;
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

/** The instruction a fixed node holds, if it is one. */
export function insOf(node: FixedNode): InsInfo | undefined {
  return node.row ? (node as InsInfo) : undefined;
}

export type Node = FixedNode | BranchNode | LabelNode | AlignNode | OrgNode;
