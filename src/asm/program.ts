// The recorded program, held apart from the DSL that records it (asmjit's CodeHolder, DynASM's action list):
// the Assembler appends to it, layout (layout.ts) reads it. It holds nodes, the code buffer they point into,
// the table of specials (the nodes layout moves), fixups, the instructions of runs and recording errors, and
// knows nothing of mnemonics, operand checking or final positions.

import type { Diagnostic } from "../diagnostics.ts";
import { ByteSink, IntList, objectArray } from "./buffers.ts";
import type { Fixup, FixupScratch } from "./encode.ts";
import type { Form } from "./forms.ts";
import { InstructionStore } from "./instruction-store.ts";
import type { FixedNode, LabelNode, Node } from "./nodes.ts";
import type { AnyOperand, Bits, Expr, Label } from "./operands.ts";

/**
 * A program's fixup k occupies ints[7k .. 7k+6] = node, instruction number (-1 for a node that is not in a run),
 * start, len, at, size, rel (0/1); value[k] is its value.
 */
export const FIXUP_STRIDE = 7;

/** Kinds of special nodes (Program.specialKind). */
export const SPECIAL_LABEL = 0,
  SPECIAL_BRANCH = 1,
  SPECIAL_ALIGN = 2,
  SPECIAL_ORG = 3;

export class Program {
  /**
   * The nodes in recording order. A plain number is a run of consecutive instructions (the start in `code` of its
   * first one); the instructions themselves are kept flat, in `instructions`. Everything else is a Node.
   */
  readonly nodes: (Node | number)[] = objectArray();
  /** Every instruction recorded in a run, in recording order, without an object per instruction. */
  readonly instructions = new InstructionStore();
  /** Bytes of every fixed-size node, in recording order (nodes point into it). */
  readonly code = new ByteSink();
  /**
   * Nodes whose position can change during layout (labels, branches, align, org), with the code-buffer
   * length when each was recorded: the fixed nodes between two of them are one contiguous run of code.
   */
  readonly specials = new IntList();
  readonly specialCodeAt = new IntList();
  /** What layout needs of each special without reading its node: its kind, and the alignment (align), the
   * offset (org) or the short and long sizes (branch: short | long << 8). */
  readonly specialKind = new IntList();
  readonly specialParam = new IntList();
  /** The target of each branch special (undefined for the others). */
  readonly specialTarget = objectArray<Expr | undefined>();
  /**
   * Fixups of fixed nodes, resolved after layout, kept flat (no object per fixup survives recording): the node,
   * the instruction's number in `instructions` (-1 for other nodes), its start and length in the code buffer, the
   * field's place in it, its size, whether it is PC-relative (seven integers each, see FIXUP_STRIDE), and the
   * value.
   */
  readonly fixups = { ints: new IntList(), value: objectArray<Expr>() };
  /** Errors found while recording; layout reports them with its own. */
  readonly errors: Diagnostic[] = [];
  /** The last node is a run of instructions that the next instruction joins. */
  private insRun = false;

  constructor(
    /** Address of the program's first byte: label values are origin + offset. */
    readonly origin: number,
    /** Whether instructions carry their source line (then every one gets an entry, defined or not). */
    readonly captureSource: boolean,
  ) {}

  /**
   * Records the instruction of form `form` just encoded at code[start..] in the current run (starting one if
   * needed), with the fixups the encoder left in `scratch`.
   */
  addInstruction(
    start: number,
    form: Form,
    bits: Bits,
    prefixText: string,
    x: AnyOperand | undefined,
    y: AnyOperand | undefined,
    z: AnyOperand | undefined,
    src: string | undefined,
    scratch: FixupScratch,
  ): void {
    const len = this.code.len - start;
    const ins = this.instructions;
    // Consecutive instructions share one node (a run of the code buffer).
    if (!this.insRun) {
      this.nodes.push(start);
      this.insRun = true;
    }
    if (scratch.count) {
      const node = this.nodes.length - 1,
        insIndex = ins.count;
      for (let k = 0; k < scratch.count; k++) this.fileFixup(node, insIndex, start, len, scratch.at[k]!, scratch.size[k]!, scratch.rel[k]!, scratch.value[k]!);
    }
    if (this.captureSource) ins.src[ins.count] = src;
    ins.add(form, bits, len, prefixText, x, y, z);
  }

  /** Appends a fixed node whose bytes are `bytes` (node.start must be code.len), with its fixups. */
  addFixed(node: FixedNode, bytes: Uint8Array, fixups: readonly Fixup[] | undefined): void {
    const start = this.code.len;
    this.code.bytes(bytes);
    if (fixups) for (const f of fixups) this.fileFixup(this.nodes.length, -1, start, bytes.length, f.at, f.size, f.rel, f.value);
    this.pushNode(node);
  }

  /** Appends a node that layout may move: its kind, a number layout needs (see specialParam) and a branch target. */
  addSpecial(node: Node, kind: number, param: number, target?: Expr): void {
    this.specialTarget.push(target);
    this.specials.push(this.nodes.length);
    this.specialCodeAt.push(this.code.len);
    this.specialKind.push(kind);
    this.specialParam.push(param);
    this.pushNode(node);
  }

  /** Binds `label` here: layout reads its offset from its special number, without a map lookup. */
  bind(label: Label, node: LabelNode): void {
    label.boundIn = this;
    label.special = this.specials.length;
    this.addSpecial(node, SPECIAL_LABEL, 0);
  }

  /** Appends a node object; it ends any run of instructions. */
  private pushNode(node: Node): void {
    this.nodes.push(node);
    this.insRun = false;
  }

  private fileFixup(node: number, insIndex: number, start: number, len: number, at: number, size: number, rel: boolean, value: Expr): void {
    const ints = this.fixups.ints;
    ints.reserve(FIXUP_STRIDE);
    const d = ints.data,
      k = ints.length;
    d[k] = node;
    d[k + 1] = insIndex;
    d[k + 2] = start;
    d[k + 3] = len;
    d[k + 4] = at;
    d[k + 5] = size;
    d[k + 6] = rel ? 1 : 0;
    ints.length = k + FIXUP_STRIDE;
    this.fixups.value.push(value);
  }
}
