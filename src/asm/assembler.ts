// The DSL: one method per mnemonic, recording nodes. Nothing is laid out here; `assemble()` (layout.ts)
// turns the recorded program into bytes, symbols and a listing.
//
//   const a = new Assembler();
//   const done = a.newLabel("done");
//   a.sub(esp, 0x1c); a.mov(dword(esp, 0x10), esi); a.test(al, 1); a.je(done); a.label(done); a.ret();

import { diag, type Diagnostic, type DiagnosticCode } from "../diagnostics.ts";
import { EncodeError, encodeForm, lastFixups, type Fixup, type Prefixes } from "./encode.ts";
import { findForm } from "./form-cache.ts";
import type { Form } from "./forms.ts";
import { match } from "./match.ts";
import { branchForm, MNEMONIC_INFO, type MnemonicInfo } from "./mnemonics.ts";
import type { BranchSize, Mnemonics } from "./signatures.ts";
import type { BranchNode, FixedNode, InsInfo, Node } from "./nodes.ts";
import { expr, isExpr, Label, type AnyOperand, type Bits, type Expr, type MemAny, type Reg16, type Reg32, type Reg8 } from "./operands.ts";
import { layoutProgram, type AssembleOptions, type AssembleResult } from "./layout.ts";
import { Program, SPECIAL_ALIGN, SPECIAL_BRANCH, SPECIAL_ORG } from "./program.ts";
import { callerSource, captureSource, type AnyFunction } from "./source.ts";

export interface AssemblerOptions {
  /** Initial code size (default 32). Switch with `bits()`. */
  bits?: Bits;
  /** Address of the program's first byte: label values are origin + offset (default 0). */
  origin?: number;
  /** Record the TypeScript source line of every node for listings and errors (default true). */
  captureSource?: boolean;
}

let nextLabelId = 1;

const NO_SOURCE: { src?: string } = Object.freeze({});
type FixedNodeData = NonNullable<Extract<Node, { k: "fixed" }>["data"]>;

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface Assembler declares the DSL's methods, derived from the opcode table, which the class installs at load time (mnemonics.ts).
export class Assembler {
  /** What this assembler has recorded; layout reads it (see program.ts). */
  private readonly program: Program;
  private readonly captureSource: boolean;
  private mode: Bits;
  /** The source line a DSL method found itself before recording (callerSource), taken by recordGeneral. */
  private callerSrc: string | undefined = undefined;
  /** Inside a data directive: the source of every node and error it records (see directive()). */
  private directiveSrc: { src?: string } | undefined = undefined;
  private pending: (Prefixes & { text: string }) | undefined;
  private scope = "";
  private readonly named = new Map<string, Label>();

  constructor(options: AssemblerOptions = {}) {
    this.mode = options.bits ?? 32;
    this.captureSource = options.captureSource ?? true;
    this.program = new Program(options.origin ?? 0, this.captureSource);
  }

  /** Address of the program's first byte (AssemblerOptions.origin). */
  get origin(): number {
    return this.program.origin;
  }

  /**
   * How many nodes are recorded so far: the number the next one gets. Diagnostics name nodes by this number
   * (Diagnostic.location.node), so a caller can tell which part of its program an error came from.
   */
  get nodeCount(): number {
    return this.program.nodes.length;
  }

  /** Errors found so far while recording (assemble() reports them with those of layout). */
  get errors(): readonly Diagnostic[] {
    return this.program.errors;
  }

  get currentBits(): Bits {
    return this.mode;
  }

  /** Switch between 32- and 16-bit code (the BIOS calls an option ROM's init entry in real mode). */
  bits(b: Bits): void {
    this.mode = b;
  }

  // --- labels

  /** A label to bind later with `label()`. Names starting with "." are local to the last global label. */
  newLabel(name?: string): Label {
    const id = nextLabelId++;
    if (name === undefined) return new Label(id, `.L${id}`, true);
    const local = name.startsWith(".");
    const full = local ? `${this.scope}${name}` : name;
    const existing = this.named.get(full);
    if (existing) return existing;
    const l = new Label(id, full, local);
    this.named.set(full, l);
    return l;
  }

  /** Binds a label here (creating it from a name if needed) and returns it. */
  label(l: Label | string): Label {
    const lab = typeof l === "string" ? this.newLabel(l) : l;
    if (lab.boundIn === this.program) {
      this.error("ASM_DUPLICATE_LABEL", `label '${lab.name}' is defined twice`, lab.name);
      return lab;
    }
    if (!lab.local) this.scope = lab.name;
    this.program.bind(lab, this.captureSource ? { k: "label", label: lab, ...this.srcFrom(Assembler.prototype.label) } : { k: "label", label: lab });
    return lab;
  }

  isBound(l: Label): boolean {
    return l.boundIn === this.program;
  }

  // --- prefixes (apply to the next instruction)

  lock(): this {
    return this.prefix("lock ", (p) => (p.lock = true));
  }
  rep(): this {
    return this.prefix("rep ", (p) => (p.rep = 0xf3));
  }
  repe(): this {
    return this.prefix("repz ", (p) => (p.rep = 0xf3));
  }
  repne(): this {
    return this.prefix("repnz ", (p) => (p.rep = 0xf2));
  }
  private prefix(text: string, set: (p: Prefixes) => void): this {
    const p = (this.pending ??= { text: "" });
    set(p);
    p.text += text;
    return this;
  }

  // --- data and placement directives

  db(...values: (Expr | string)[]): void {
    this.directive(Assembler.prototype.db, () => {
      for (const v of values) {
        if (typeof v === "string") this.ascii(v);
        else this.data(1, [v]);
      }
    });
  }
  dw(...values: Expr[]): void {
    this.directive(Assembler.prototype.dw, () => this.data(2, values));
  }
  dd(...values: Expr[]): void {
    this.directive(Assembler.prototype.dd, () => this.data(4, values));
  }
  dq(...values: (number | bigint)[]): void {
    this.directive(Assembler.prototype.dq, () => {
      const bytes = new Uint8Array(8 * values.length);
      const view = new DataView(bytes.buffer);
      values.forEach((v, i) => view.setBigUint64(8 * i, BigInt.asUintN(64, BigInt(v)), true));
      this.raw(bytes, undefined, { unit: 8, values: values.map(Number) });
    });
  }
  /** Raw bytes (no NUL added). */
  ascii(text: string): void {
    this.directive(Assembler.prototype.ascii, () => this.text(text, false));
  }
  /** A NUL-terminated string. */
  asciz(text: string): void {
    this.directive(Assembler.prototype.asciz, () => this.text(text, true));
  }
  bytes(b: Uint8Array | readonly number[]): void {
    this.directive(Assembler.prototype.bytes, () => this.raw(Uint8Array.from(b), undefined, { unit: 1, values: [...b] }));
  }
  /** `count` copies of `byte`. */
  fill(count: number, byte = 0): void {
    this.directive(Assembler.prototype.fill, () => {
      if (!Number.isInteger(count) || count < 0) return this.error("ASM_BAD_DIRECTIVE", `fill count ${count} is not a non-negative integer`);
      this.raw(new Uint8Array(count).fill(byte), undefined, { unit: 1, values: [] });
    });
  }
  /** Repeats what `body` records `count` times. */
  times(count: number, body: (i: number) => void): void {
    for (let i = 0; i < count; i++) body(i);
  }
  /** Pads to a multiple of `n` (a power of two) with a fill byte or multi-byte NOPs. */
  align(n: number, fill: number | "nop" = 0): void {
    if (!Number.isInteger(n) || n <= 0 || (n & (n - 1)) !== 0) return this.error("ASM_BAD_DIRECTIVE", `align(${n}): not a power of two`);
    this.program.addSpecial({ k: "align", n, fill, bits: this.mode, ...this.srcFrom(Assembler.prototype.align) }, SPECIAL_ALIGN, n);
  }
  /** Places what follows at `offset` from the program start, filling the gap; moving backwards is an error. */
  org(offset: number, fill = 0): void {
    this.program.addSpecial({ k: "org", offset, fill, ...this.srcFrom(Assembler.prototype.org) }, SPECIAL_ORG, offset);
  }

  // --- instructions

  /** Records one instruction by mnemonic; the typed methods below all come here. */
  ins(mnemonic: string, ops: readonly AnyOperand[], size?: BranchSize): void {
    const info = MNEMONIC_INFO.get(mnemonic);
    if (!info) {
      this.pending = undefined;
      return this.error("ASM_UNKNOWN_MNEMONIC", `unknown instruction '${mnemonic}'`);
    }
    this.record(info, ops, size);
  }

  /** The typed methods come here directly with their mnemonic's precomputed facts. */
  private record(info: MnemonicInfo, ops: readonly AnyOperand[], size?: BranchSize): void {
    let n = ops.length;
    while (n > 0 && ops[n - 1] === undefined) n--; // ret(undefined) is ret()
    if (n > 3) return this.error("ASM_INVALID_OPERANDS", `${info.name}: ${n} operands (at most 3)`);
    this.recordOps(info, n, ops[0], ops[1], ops[2], size);
  }

  /**
   * Records one instruction with n operands passed one by one. The common case (no prefix, no source line,
   * not a branch or short spelling, a cached row) goes straight to the encoder and the instruction store, and
   * allocates nothing that outlives the call.
   */
  private recordOps(info: MnemonicInfo, n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined, size?: BranchSize): void {
    if (info.jump || info.special || this.pending !== undefined || this.captureSource) return this.recordGeneral(info, n, x, y, z, size);
    const form = findForm(info.rows, n, x, y, z, info.cache);
    if (form === undefined) return this.recordGeneral(info, n, x, y, z, size);
    this.emit(info, form, x, y, z, undefined, "", undefined);
  }

  /** Every other instruction: prefixes, short spellings, label-relative branches, source lines, errors. */
  private recordGeneral(
    info: MnemonicInfo,
    n: number,
    x: AnyOperand | undefined,
    y: AnyOperand | undefined,
    z: AnyOperand | undefined,
    size?: BranchSize,
  ): void {
    const mnemonic = info.name;
    const prefixes = this.pending;
    this.pending = undefined;
    const prefixText = prefixes ? prefixes.text : "";
    let source: string | undefined;
    if (this.captureSource) {
      source = this.callerSrc ?? this.src(info.method).src;
      this.callerSrc = undefined;
    }
    if (info.special && n < 3) {
      // Short spellings: imul r, imm = imul r, r, imm; shl r = shl r, 1.
      if (info.shortImm && n === 2 && isExpr(y)) [n, y, z] = [3, x, y];
      else if (n === 1 && info.omitOne) [n, y] = [2, 1];
    }
    // Label-relative jmp/jcc: both forms are recorded and layout chooses, starting long.
    if (info.jump && n === 1 && isExpr(x)) {
      const slot = this.mode === 16 ? 0 : 2;
      const shortForm = prefixes
        ? branchForm(mnemonic, "rel8", this.mode, prefixes)
        : (info.forms[slot] ??= branchForm(mnemonic, "rel8", this.mode, undefined));
      const longForm = prefixes
        ? branchForm(mnemonic, "rel32", this.mode, prefixes)
        : (info.forms[slot + 1] ??= branchForm(mnemonic, "rel32", this.mode, undefined));
      if (size === "short" || size === "long") {
        const f = size === "short" ? shortForm : longForm;
        this.raw(
          f.bytes,
          [{ at: f.relAt, size: f.relSize, value: x, rel: true }],
          undefined,
          { row: f.row, ops: [x], bits: this.mode, prefixText },
          source === undefined ? NO_SOURCE : { src: source },
        );
      } else {
        const node: BranchNode =
          prefixes || source !== undefined
            ? { k: "branch", short: shortForm, long: longForm, bits: this.mode, prefixText, ...(source !== undefined ? { src: source } : {}) }
            : (info.branchNodes[slot >> 1] ??= { k: "branch", short: shortForm, long: longForm, bits: this.mode, prefixText: "" });
        this.program.addSpecial(node, SPECIAL_BRANCH, shortForm.bytes.length | (longForm.bytes.length << 8), x);
      }
      return;
    }
    const form = findForm(info.rows, n, x, y, z, info.cache);
    if (!form) {
      const m = match(mnemonic, opsList(n, x, y, z));
      return this.error(m.ok ? "ASM_INVALID_OPERANDS" : m.code, m.ok ? `${mnemonic}: no form` : m.message);
    }
    this.emit(info, form, x, y, z, prefixes, prefixText, source);
  }

  /** Encodes one instruction into the program's code buffer and records it there. */
  private emit(
    info: MnemonicInfo,
    form: Form,
    x: AnyOperand | undefined,
    y: AnyOperand | undefined,
    z: AnyOperand | undefined,
    prefixes: Prefixes | undefined,
    prefixText: string,
    source: string | undefined,
  ): void {
    const program = this.program;
    const code = program.code;
    const start = code.len;
    try {
      encodeForm(code, form, x, y, z, this.mode, prefixes);
    } catch (err) {
      code.len = start;
      const c = err instanceof EncodeError ? err.code : "ASM_INVALID_OPERANDS";
      return this.error(c, `${info.name}: ${(err as Error).message}`);
    }
    program.addInstruction(start, form, this.mode, prefixText, x, y, z, source, lastFixups);
  }

  /** Lays out and encodes the program (see layout.ts). */
  assemble(options: AssembleOptions = {}): AssembleResult {
    return layoutProgram(this.program, options);
  }

  // --- internals

  /** Appends a fixed node with these bytes. */
  private raw(
    bytes: Uint8Array,
    fixups: readonly Fixup[] | undefined,
    data: FixedNodeData | undefined,
    ins?: InsInfo,
    src: { src?: string } = this.src(),
  ): void {
    const has = fixups !== undefined && fixups.length !== 0;
    const node: FixedNode = {
      k: "fixed",
      start: this.program.code.len,
      size: bytes.length,
      ...(has ? { fixups } : {}),
      ...(data ? { data } : {}),
      ...(ins ?? {}),
      ...src,
    };
    this.program.addFixed(node, bytes, has ? fixups : undefined);
  }

  private data(unit: 1 | 2 | 4, values: readonly Expr[]): void {
    const bytes = new Uint8Array(unit * values.length);
    const fixups: Fixup[] = [];
    values.forEach((v, i) => {
      if (typeof v === "number") {
        const lim = 2 ** (8 * unit);
        if (!Number.isInteger(v) || v < -lim / 2 || v >= lim) {
          this.error("ASM_IMM_RANGE", `d${unit === 1 ? "b" : unit === 2 ? "w" : "d"} value ${v} does not fit ${unit * 8} bits`);
          return;
        }
        for (let b = 0; b < unit; b++) bytes[i * unit + b] = (v >>> (8 * b)) & 0xff;
      } else fixups.push({ at: i * unit, size: unit, value: expr(v), rel: false });
    });
    this.raw(bytes, fixups, { unit, values });
  }

  private text(t: string, zero: boolean): void {
    const bytes = new Uint8Array(t.length + (zero ? 1 : 0));
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c > 0xff) return this.error("ASM_BAD_DIRECTIVE", `string ${JSON.stringify(t)} has a character above 0xFF`);
      bytes[i] = c;
    }
    this.raw(bytes, undefined, { text: t, zero });
  }

  private error(code: DiagnosticCode, message: string, label?: string): void {
    const s = this.src();
    this.program.errors.push(
      diag(code, message, {
        node: this.program.nodes.length,
        ...(label ? { label } : this.scope ? { label: this.scope } : {}),
        ...(s.src ? { source: s.src } : {}),
      }),
    );
  }

  /**
   * The first stack frame outside src/asm: the line of the program that called the DSL (source.ts). Inside a
   * data directive, the line its public method found once on entry.
   */
  private src(entry?: AnyFunction): { src?: string } {
    if (!this.captureSource) return NO_SOURCE;
    if (this.directiveSrc !== undefined) return this.directiveSrc;
    const src = captureSource(Assembler.prototype.src, entry);
    return src === undefined ? {} : { src };
  }

  /** src(entry), called from inside the public method `entry` itself: the cheaper capture when it answers. */
  private srcFrom(entry: AnyFunction): { src?: string } {
    if (!this.captureSource) return NO_SOURCE;
    const src = callerSource(entry);
    return src === undefined ? this.src(entry) : { src };
  }

  /**
   * Runs a data directive's body with its caller's line found once, from inside the public method `entry`
   * (callerSource), for every node and error it records; a directive called by another keeps the outer line.
   */
  private directive(entry: AnyFunction, body: () => void): void {
    if (!this.captureSource || this.directiveSrc !== undefined) return body();
    const src = callerSource(entry) ?? captureSource(Assembler.prototype.directive, entry);
    this.directiveSrc = src === undefined ? {} : { src };
    try {
      body();
    } finally {
      this.directiveSrc = undefined;
    }
  }
}

// Every mnemonic of the table becomes a method that records it (its type: Mnemonics, signatures.ts).
export interface Assembler extends Mnemonics {}
function installMnemonics(): void {
  const proto = Assembler.prototype as unknown as Record<string, unknown>;
  type Recorder = {
    captureSource: boolean;
    callerSrc: string | undefined;
    recordOps(info: MnemonicInfo, n: number, x?: AnyOperand, y?: AnyOperand, z?: AnyOperand, size?: BranchSize): void;
  };
  for (const info of MNEMONIC_INFO.values()) {
    const name = info.name;
    if (name in proto) throw new Error(`opcode table mnemonic ${name} would replace the Assembler method of that name`);
    // Fixed arity (at most three operands): no rest-parameter array per call.
    proto[name] = info.method = info.jump
      ? function jump(this: Recorder, x?: AnyOperand, y?: AnyOperand | BranchSize, z?: AnyOperand) {
          if (this.captureSource) this.callerSrc = callerSource(jump);
          if (y === "short" || y === "long") return this.recordOps(info, 1, x, undefined, undefined, y);
          return this.recordOps(info, z !== undefined ? 3 : y !== undefined ? 2 : x !== undefined ? 1 : 0, x, y, z);
        }
      : function op(this: Recorder, x?: AnyOperand, y?: AnyOperand, z?: AnyOperand) {
          if (this.captureSource) this.callerSrc = callerSource(op);
          return this.recordOps(info, z !== undefined ? 3 : y !== undefined ? 2 : x !== undefined ? 1 : 0, x, y, z);
        };
  }
}
function opsList(n: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): AnyOperand[] {
  return (n === 0 ? [] : n === 1 ? [x] : n === 2 ? [x, y] : [x, y, z]) as AnyOperand[];
}
installMnemonics();

export type { MemAny, Reg8, Reg16, Reg32 };
