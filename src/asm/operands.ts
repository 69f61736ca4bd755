// Operands of the DSL: registers, memory references, immediates and label expressions.
// Sizes are part of the types so that TypeScript rejects e.g. movzx(eax, ecx) before it runs;
// the encoder checks the same rules again at record time for untyped callers.

export type GprSize = 8 | 16 | 32;

export interface Gpr<S extends GprSize = GprSize> {
  readonly kind: "gpr";
  readonly size: S;
  /** Register number in ModRM/opcode encodings (0-7). */
  readonly code: number;
  readonly name: string;
  /** Operand class for the encoder's row cache (kind, size and number in one small integer). */
  readonly cls: number;
  /** Index in REGISTERS (how recorded programs store register operands). */
  readonly id: number;
}
export type Reg8 = Gpr<8>;
export type Reg16 = Gpr<16>;
export type Reg32 = Gpr<32>;

export interface SegReg {
  readonly kind: "sreg";
  readonly code: number;
  readonly name: string;
  /** Operand class for the encoder's row cache. */
  readonly cls: number;
  /** Index in REGISTERS (how recorded programs store register operands). */
  readonly id: number;
  readonly size: 16;
}
export interface CtrlReg {
  readonly kind: "creg";
  readonly code: number;
  readonly name: string;
  /** Operand class for the encoder's row cache. */
  readonly cls: number;
  /** Index in REGISTERS (how recorded programs store register operands). */
  readonly id: number;
  readonly size: 32;
}
export interface DbgReg {
  readonly kind: "dreg";
  readonly code: number;
  readonly name: string;
  /** Operand class for the encoder's row cache. */
  readonly cls: number;
  /** Index in REGISTERS (how recorded programs store register operands). */
  readonly id: number;
  readonly size: 32;
}
export type Register = Gpr | SegReg | CtrlReg | DbgReg;

const registers: Register[] = [];
function register<R extends Register>(r: Omit<R, "id">): R {
  const frozen = Object.freeze({ ...r, id: registers.length }) as unknown as R;
  registers.push(frozen);
  return frozen;
}
const gpr = <S extends GprSize>(size: S, code: number, name: string): Gpr<S> =>
  register<Gpr<S>>({ kind: "gpr", size, code, name, cls: 16 + (size === 8 ? 0 : size === 16 ? 8 : 16) + code });

export const eax = gpr(32, 0, "eax"),
  ecx = gpr(32, 1, "ecx"),
  edx = gpr(32, 2, "edx"),
  ebx = gpr(32, 3, "ebx");
export const esp = gpr(32, 4, "esp"),
  ebp = gpr(32, 5, "ebp"),
  esi = gpr(32, 6, "esi"),
  edi = gpr(32, 7, "edi");
export const ax = gpr(16, 0, "ax"),
  cx = gpr(16, 1, "cx"),
  dx = gpr(16, 2, "dx"),
  bx = gpr(16, 3, "bx");
export const sp = gpr(16, 4, "sp"),
  bp = gpr(16, 5, "bp"),
  si = gpr(16, 6, "si"),
  di = gpr(16, 7, "di");
export const al = gpr(8, 0, "al"),
  cl = gpr(8, 1, "cl"),
  dl = gpr(8, 2, "dl"),
  bl = gpr(8, 3, "bl");
export const ah = gpr(8, 4, "ah"),
  ch = gpr(8, 5, "ch"),
  dh = gpr(8, 6, "dh"),
  bh = gpr(8, 7, "bh");

// Every register object has the same fields in the same order (one hidden class for the encoder's loads).
const sreg = (code: number, name: string): SegReg => register<SegReg>({ kind: "sreg", size: 16, code, name, cls: 52 + code });
export const es = sreg(0, "es"),
  cs = sreg(1, "cs"),
  ss = sreg(2, "ss"),
  ds = sreg(3, "ds");
export const fs = sreg(4, "fs"),
  gs = sreg(5, "gs");

const creg = (code: number): CtrlReg => register<CtrlReg>({ kind: "creg", size: 32, code, name: `cr${code}`, cls: 58 });
export const cr0 = creg(0),
  cr2 = creg(2),
  cr3 = creg(3),
  cr4 = creg(4);
const dreg = (code: number): DbgReg => register<DbgReg>({ kind: "dreg", size: 32, code, name: `db${code}`, cls: 59 });
export const dr0 = dreg(0),
  dr1 = dreg(1),
  dr2 = dreg(2),
  dr3 = dreg(3);
export const dr6 = dreg(6),
  dr7 = dreg(7);

/** Every register, by id. */
export const REGISTERS: readonly Register[] = registers;
export const GPR32: readonly Reg32[] = [eax, ecx, edx, ebx, esp, ebp, esi, edi];
export const GPR16: readonly Reg16[] = [ax, cx, dx, bx, sp, bp, si, di];
export const GPR8: readonly Reg8[] = [al, cl, dl, bl, ah, ch, dh, bh];
export const SREGS: readonly SegReg[] = [es, cs, ss, ds, fs, gs];
export const CREGS: readonly CtrlReg[] = [cr0, cr2, cr3, cr4];
export const DREGS: readonly DbgReg[] = [dr0, dr1, dr2, dr3, dr6, dr7];

// ---------------------------------------------------------------------------------------------
// Labels and expressions

/** A position in the program; bound with `a.label(l)`. Its value is origin + offset. */
export class Label {
  readonly kind = "label";
  constructor(
    readonly id: number,
    readonly name: string,
    /** Local labels (".name", scoped to the last global label) and anonymous ones are not symbols. */
    readonly local: boolean = false,
  ) {}
  /**
   * Where the label is bound: the recorded program (program.ts) that bound it and the index of its node among
   * that program's specials. Set by Program.bind(); lets layout read a label's offset without a map lookup.
   */
  boundIn: object | undefined = undefined;
  special = -1;
  toString(): string {
    return this.name;
  }
}

/** A link-time value: a number plus labels added and subtracted (e.g. `end - start`, `table + 4`). */
export interface LabelExpr {
  readonly kind: "expr";
  readonly constant: number;
  readonly plus: readonly Label[];
  readonly minus: readonly Label[];
}

/** Anything usable where an immediate, displacement or data word is expected. */
export type Expr = number | Label | LabelExpr;

export function expr(e: Expr): LabelExpr {
  if (typeof e === "number") return { kind: "expr", constant: e, plus: [], minus: [] };
  if (e instanceof Label) return { kind: "expr", constant: 0, plus: [e], minus: [] };
  return e;
}
/** a + b, where either may be a label or expression. */
export function plus(a: Expr, b: Expr): LabelExpr {
  const x = expr(a),
    y = expr(b);
  return { kind: "expr", constant: x.constant + y.constant, plus: [...x.plus, ...y.plus], minus: [...x.minus, ...y.minus] };
}
/** a - b: label differences such as `diff(end, start)` are position-independent. */
export function diff(a: Expr, b: Expr): LabelExpr {
  const x = expr(a),
    y = expr(b);
  return { kind: "expr", constant: x.constant - y.constant, plus: [...x.plus, ...y.minus], minus: [...x.minus, ...y.plus] };
}
export function isExpr(v: unknown): v is Expr {
  return typeof v === "number" || v instanceof Label || (typeof v === "object" && v !== null && (v as LabelExpr).kind === "expr");
}
/** Labels an expression refers to. */
export function labelsOf(e: Expr): readonly Label[] {
  if (typeof e === "number") return [];
  if (e instanceof Label) return [e];
  return e.minus.length ? [...e.plus, ...e.minus] : e.plus;
}
/** An expression's value once labels have values (a label without one counts as 0). */
export function valueWith(labels: ReadonlyMap<Label, number>, e: Expr): number {
  if (typeof e === "number") return e;
  if (e instanceof Label) return labels.get(e) ?? 0;
  let v = e.constant;
  for (const l of e.plus) v += labels.get(l) ?? 0;
  for (const l of e.minus) v -= labels.get(l) ?? 0;
  return v;
}

/** True when the value is known before layout (a plain number, or an expression without labels). */
export function constantOf(e: Expr): number | undefined {
  if (typeof e === "number") return e;
  if (e instanceof Label) return undefined;
  return e.plus.length === 0 && e.minus.length === 0 ? e.constant : undefined;
}

// ---------------------------------------------------------------------------------------------
// Memory operands

/** Operand size of a memory reference in bits; 0 = unsized (lea, invlpg, lgdt...). 48 = m16:32. */
export type MemSize = 0 | 8 | 16 | 32 | 48 | 64;

export interface Mem<S extends MemSize = MemSize> {
  readonly kind: "mem";
  readonly size: S;
  readonly base?: Reg32 | Reg16;
  readonly index?: Reg32 | Reg16;
  readonly scale: 1 | 2 | 4 | 8;
  readonly disp: Expr;
  readonly seg?: SegReg;
}
export type Mem8 = Mem<8>;
export type Mem16 = Mem<16>;
export type Mem32 = Mem<32>;
export type Mem64 = Mem<64>;
export type MemFar = Mem<48>;
export type MemAny = Mem<MemSize>;

export interface MemSpec {
  base?: Reg32 | Reg16;
  index?: Reg32 | Reg16;
  scale?: 1 | 2 | 4 | 8;
  disp?: Expr;
  seg?: SegReg;
}

/** The ways to write a memory operand: a spec, a base register and displacement, or an absolute address. */
export interface MemConstructor<S extends MemSize> {
  (spec: MemSpec): Mem<S>;
  (base: Reg32 | Reg16, disp?: Expr): Mem<S>;
  (address: Expr): Mem<S>;
}

// Every memory operand gets the same fields in the same order (absent ones undefined): one hidden class
// for all of them keeps the encoder's property loads monomorphic.
function makeMem<S extends MemSize>(size: S, a: MemSpec | Reg32 | Reg16 | Expr, b?: Expr): Mem<S> {
  if (typeof a === "object" && a !== null && (a as Gpr).kind === "gpr") {
    return { kind: "mem", size, base: a as Reg32 | Reg16, index: undefined, scale: 1, disp: b ?? 0, seg: undefined } as Mem<S>;
  }
  if (isExpr(a)) return { kind: "mem", size, base: undefined, index: undefined, scale: 1, disp: a, seg: undefined } as Mem<S>;
  const spec = a as MemSpec;
  return { kind: "mem", size, base: spec.base, index: spec.index, scale: spec.scale ?? 1, disp: spec.disp ?? 0, seg: spec.seg } as Mem<S>;
}

const memOf = <S extends MemSize>(size: S): MemConstructor<S> => ((a: MemSpec | Reg32 | Reg16 | Expr, b?: Expr) => makeMem(size, a, b)) as MemConstructor<S>;

/** `byte(esp, 0xc)`, `byte({ base: eax, index: ecx, scale: 4, disp: 8, seg: fs })`, `byte(0x1000)`. */
export const byte: MemConstructor<8> = memOf(8);
export const word: MemConstructor<16> = memOf(16);
export const dword: MemConstructor<32> = memOf(32);
export const qword: MemConstructor<64> = memOf(64);
/** A far pointer m16:32 (ljmp/lcall indirect). */
export const fword: MemConstructor<48> = memOf(48);
/** An unsized memory reference: lea, invlpg, lgdt/sgdt, cmpxchg8b... */
export const mem: MemConstructor<0> = memOf(0);
/** Adds a segment override to a memory operand. */
export function seg<M extends MemAny>(s: SegReg, m: M): M {
  return { ...m, seg: s };
}

// ---------------------------------------------------------------------------------------------

export type Imm = Expr;
export type Operand = Register | MemAny | Imm;

export function isReg(o: unknown): o is Register {
  return typeof o === "object" && o !== null && "kind" in o && ["gpr", "sreg", "creg", "dreg"].includes((o as Register).kind);
}
export function isMem(o: unknown): o is MemAny {
  return typeof o === "object" && o !== null && (o as MemAny).kind === "mem";
}

/** Code size: the default operand and address size (16-bit real mode, 32-bit protected mode). */
export type Bits = 16 | 32;

/** A far pointer immediate (ljmp/lcall $sel, $off). */
export interface FarPtr {
  readonly kind: "far";
  readonly selector: number;
  readonly offset: Expr;
}
export const far = (selector: number, offset: Expr): FarPtr => Object.freeze({ kind: "far", selector, offset });

export type AnyOperand = Operand | FarPtr;
