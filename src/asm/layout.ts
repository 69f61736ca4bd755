// Layout: gives every recorded node its offset, relaxes label-relative branches (all start long and
// shrink while they fit, DynASM-style, to a fixed point), then writes the bytes and resolves fixups.
// After writing, every node's written size must equal its computed size; a difference is a phase error.
// Reads of the typed arrays below use `!`: their indices are special, node or code positions of this
// program, in bounds by construction, and a check in these loops would cost time and say nothing.

import { diag, type Diagnostic } from "../diagnostics.ts";
import { FIXUP_STRIDE, SPECIAL_ALIGN, SPECIAL_BRANCH, SPECIAL_LABEL, SPECIAL_ORG, type Program } from "./program.ts";
import { insOf, type BranchNode, type FixedNode, type InsInfo, type LabelNode, type Node } from "./nodes.ts";
import { Label, labelsOf, type Expr } from "./operands.ts";

export interface AssembleOptions {
  /**
   * Leave labels that are never bound as unknowns (value 0, branches long) instead of reporting them.
   * Used to measure a fragment that refers to labels of a larger program.
   */
  allowUndefined?: boolean;
}

export interface AsmSymbol {
  name: string;
  /** Offset from the program start. */
  offset: number;
  /** origin + offset. */
  address: number;
  /** Bytes up to the next symbol (or the end). */
  size: number;
}

/** One node after layout: where it went and what it became. */
export interface Placed {
  index: number;
  node: Node;
  offset: number;
  size: number;
  /** The instruction form chosen (branches: short or long), absent for data and padding. */
  ins?: InsInfo;
  src?: string;
}

export type AssembleResult =
  | {
      ok: true;
      bytes: Uint8Array;
      origin: number;
      symbols: AsmSymbol[];
      placed: Placed[];
      /** Label values (origin + offset) for every bound label. */
      labels: ReadonlyMap<Label, number>;
    }
  | { ok: false; errors: Diagnostic[] };

// Intel's recommended multi-byte NOPs (32-bit code), longest first.
const NOPS32: readonly (readonly number[])[] = [
  [],
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0, 0, 0, 0],
  [0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0],
  [0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0],
];

/** Padding of `n` bytes made of whole NOP instructions. */
export function nopPadding(n: number, bits: 16 | 32): number[] {
  const out: number[] = [];
  if (bits === 16) return new Array<number>(n).fill(0x90);
  while (out.length < n) out.push(...NOPS32[Math.min(9, n - out.length)]!);
  return out;
}

/**
 * Placement state: only labels, branches, align and org ("specials", listed by the assembler as it records)
 * change position during relaxation. The fixed nodes between two specials are one contiguous run of the code
 * buffer and move as one block, so layout never visits them one by one. Everything is kept in flat arrays
 * indexed by special number.
 */
class Placement {
  readonly m: number;
  readonly origin: number;
  /** Node index of each special. */
  readonly node: Int32Array;
  /** Code bytes before special j (since the previous one); gap[m] = the tail. */
  readonly gap: Int32Array;
  /** SPECIAL_LABEL, SPECIAL_BRANCH, SPECIAL_ALIGN or SPECIAL_ORG. */
  readonly kind: Uint8Array;
  readonly shortLen: Uint8Array;
  readonly longLen: Uint8Array;
  /** Alignment (align) or offset (org). */
  readonly param: Int32Array;
  /** Branch target: the special number of a label bound here, -1 for an expression, -2 for a foreign label. */
  readonly tgt: Int32Array;
  readonly soff: Int32Array;
  readonly ssize: Int32Array;
  /** Branches currently in their short form. */
  readonly short: Uint8Array;
  /** Branches that must stay long (shrinking them broke another branch). */
  readonly pinned: Uint8Array;
  /** Orgs that move backwards in the current placement. */
  readonly orgBad: Uint8Array;
  orgErrors = 0;
  total = 0;
  readonly branches: Int32Array;

  constructor(readonly prog: Program) {
    const m = (this.m = prog.specials.length);
    this.origin = prog.origin;
    this.node = prog.specials.data.subarray(0, m);
    const codeAt = prog.specialCodeAt.data;
    const gap = (this.gap = new Int32Array(m + 1));
    for (let j = 0, prev = 0; j <= m; j++) {
      const at = j < m ? codeAt[j]! : prog.code.len;
      gap[j] = at - prev;
      prev = at;
    }
    this.soff = new Int32Array(m);
    this.ssize = new Int32Array(m);
    this.short = new Uint8Array(m);
    this.pinned = new Uint8Array(m);
    this.orgBad = new Uint8Array(m);
    const kind = (this.kind = new Uint8Array(m));
    const shortLen = (this.shortLen = new Uint8Array(m)),
      longLen = (this.longLen = new Uint8Array(m));
    const param = (this.param = new Int32Array(m)),
      tgt = (this.tgt = new Int32Array(m));
    const kinds = prog.specialKind.data,
      params = prog.specialParam.data;
    let nb = 0;
    for (let j = 0; j < m; j++) {
      const k = (kind[j] = kinds[j]!);
      if (k === SPECIAL_BRANCH) {
        nb++;
        shortLen[j] = params[j]! & 0xff;
        longLen[j] = params[j]! >>> 8;
      } else param[j] = params[j]!;
    }
    const branches = (this.branches = new Int32Array(nb));
    for (let j = 0, k = 0; j < m; j++) if (kind[j] === SPECIAL_BRANCH) branches[k++] = j;
    // Branch targets: a label bound here is a special too.
    for (let k = 0; k < nb; k++) {
      const j = branches[k]!;
      const t = prog.specialTarget[j]!;
      tgt[j] = t instanceof Label ? (t.boundIn === prog ? t.special : -2) : -1;
    }
  }

  /** Offsets and sizes of every special for the current branch forms. */
  place(): void {
    const { m, gap, kind, short, shortLen, longLen, param, soff, ssize, orgBad, origin } = this;
    let cur = 0,
      orgErrors = 0;
    for (let j = 0; j < m; j++) {
      cur += gap[j]!;
      soff[j] = cur;
      const k = kind[j]!;
      let size = 0;
      if (k === SPECIAL_BRANCH) size = short[j] ? shortLen[j]! : longLen[j]!;
      else if (k === SPECIAL_ALIGN) size = (param[j]! - ((origin + cur) % param[j]!)) % param[j]!;
      else if (k === SPECIAL_ORG) {
        orgBad[j] = param[j]! < cur ? 1 : 0;
        if (orgBad[j]) orgErrors++;
        else size = param[j]! - cur;
      }
      ssize[j] = size;
      cur += size;
    }
    this.orgErrors = orgErrors;
    this.total = cur + gap[m]!;
  }

  /** Whether branch j's short form reaches its target with the current offsets. */
  shortFits(j: number): boolean {
    const t = this.tgt[j]!;
    let target: number;
    if (t >= 0) target = this.origin + this.soff[t]!;
    else if (t === -1) {
      const v = evaluateAt(this.prog, this.soff, this.prog.specialTarget[j]!);
      if (v === undefined) return false;
      target = v;
    } else return false;
    const d = target - (this.origin + this.soff[j]! + this.shortLen[j]!);
    return d >= -128 && d <= 127;
  }

  /**
   * Relaxation, in three steps repeated until stable:
   * 1. shrink every branch that fits with the current (upper-bound) offsets, until nothing changes;
   * 2. branches that fit only if another one shrinks too (a forward jump over a backward jump across it)
   *    are shrunk together: tentatively shrink all remaining long ones, then grow back, round by round,
   *    those that do not fit. This ends at the same least fixed point GNU as reaches;
   * 3. make sure no short branch was pushed out of range by alignment or org, pinning any such one long.
   */
  relax(): void {
    const nb = this.branches.length;
    const tentative = new Int32Array(nb);
    this.place();
    for (let round = 0; round < 4 * nb + 10; round++) {
      while (this.shrinkFitting()) this.place();
      const nt = this.shrinkAllTentatively(tentative);
      for (let grew = nt > 0; grew; ) {
        this.place();
        grew = this.growTentative(tentative, nt);
      }
      if (nt) this.place();
      if (!this.pinBroken()) break;
      this.place();
    }
  }

  // The passes of relax, each over the branches (small functions: they are optimized early and stay so).

  /** Shrinks every long, unpinned branch that fits; whether any did. */
  private shrinkFitting(): boolean {
    const { branches, short, pinned } = this;
    let changed = false;
    for (let k = 0; k < branches.length; k++) {
      const j = branches[k]!;
      if (!short[j] && !pinned[j] && this.shortFits(j)) {
        short[j] = 1;
        changed = true;
      }
    }
    return changed;
  }

  /** Makes every long, unpinned branch short, listing them in `into`; how many. */
  private shrinkAllTentatively(into: Int32Array): number {
    const { branches, short, pinned } = this;
    let nt = 0;
    for (let k = 0; k < branches.length; k++) {
      const j = branches[k]!;
      if (!short[j] && !pinned[j]) {
        into[nt++] = j;
        short[j] = 1;
      }
    }
    return nt;
  }

  /** Grows back the tentatively shrunk branches that do not fit; whether any did. */
  private growTentative(tentative: Int32Array, nt: number): boolean {
    const short = this.short;
    let grew = false;
    for (let k = 0; k < nt; k++) {
      const j = tentative[k]!;
      if (short[j] && !this.shortFits(j)) {
        short[j] = 0;
        grew = true;
      }
    }
    return grew;
  }

  /** Pins long every short branch that alignment or org pushed out of range; whether any was. */
  private pinBroken(): boolean {
    const { branches, short, pinned } = this;
    let pinnedAny = false;
    for (let k = 0; k < branches.length; k++) {
      const j = branches[k]!;
      if (short[j] && !this.shortFits(j)) {
        short[j] = 0;
        pinned[j] = 1;
        pinnedAny = true;
      }
    }
    return pinnedAny;
  }
}

/** An expression's value with the given special offsets, or undefined when it uses a label not bound here. */
function evaluateAt(prog: Program, soff: Int32Array, e: Expr): number | undefined {
  if (typeof e === "number") return e;
  if (e instanceof Label) return e.boundIn === prog ? prog.origin + soff[e.special]! : undefined;
  let v = e.constant;
  for (const l of e.plus) {
    if (l.boundIn !== prog) return undefined;
    v += prog.origin + soff[l.special]!;
  }
  for (const l of e.minus) {
    if (l.boundIn !== prog) return undefined;
    v -= prog.origin + soff[l.special]!;
  }
  return v;
}

/** Copies len bytes of code to out; short runs byte by byte (a subarray view per run costs more than that). */
function copyRun(code: Uint8Array, from: number, out: Uint8Array, to: number, len: number): void {
  if (len > 16) out.set(code.subarray(from, from + len), to);
  else for (let q = 0; q < len; q++) out[to + q] = code[from + q]!;
}

/** Writes the output and resolves fixups, collecting range errors and labels used but never bound. */
class Writer {
  readonly out: Uint8Array;
  /** Labels used but never bound: where they were first used (node, and instruction number or -1). */
  readonly undefinedRefs = new Map<Label, { node: number; ins: number }>();
  /** segOut[j]: output offset of the code run before special j (run j covers code [codeAt[j-1], codeAt[j])). */
  readonly segOut: Int32Array;

  constructor(
    readonly prog: Program,
    readonly p: Placement,
    readonly errors: Diagnostic[],
  ) {
    this.out = new Uint8Array(p.total);
    this.segOut = new Int32Array(p.m + 1);
  }

  /** Each run of fixed code in one copy (runs separated only by labels together), then each special. */
  writeCode(): void {
    const { prog, p, out, segOut } = this;
    const { m, gap, soff, ssize, kind, short, node: specialNode } = p;
    const code = prog.code.buf,
      nodes = prog.nodes;
    let pendingCode = 0,
      pendingOut = 0,
      pendingLen = 0;
    for (let j = 0, codePos = 0; j <= m; j++) {
      const outAt = j < m ? soff[j]! - gap[j]! : p.total - gap[m]!;
      segOut[j] = outAt;
      const g = gap[j]!;
      if (g) {
        if (pendingLen && pendingCode + pendingLen === codePos && pendingOut + pendingLen === outAt) pendingLen += g;
        else {
          if (pendingLen) copyRun(code, pendingCode, out, pendingOut, pendingLen);
          pendingCode = codePos;
          pendingOut = outAt;
          pendingLen = g;
        }
      }
      codePos += g;
      if (j === m) break;
      const k = kind[j]!;
      if (k === SPECIAL_LABEL) continue; // a label writes nothing
      const i = specialNode[j]!;
      const at = soff[j]!,
        size = ssize[j]!;
      let written = 0;
      if (k === SPECIAL_BRANCH) {
        const node = nodes[i] as BranchNode;
        const form = short[j] ? node.short : node.long;
        const b = form.bytes;
        for (let q = 0; q < b.length; q++) out[at + q] = b[q]!;
        written = b.length;
        const t = p.tgt[j]!;
        if (t >= 0) {
          // The common case: a label bound here, in range by construction unless the program is over 2 GiB.
          const d = soff[t]! - (at + written);
          if (form.relSize === 4 || (d >= -128 && d <= 127)) {
            for (let q = 0; q < form.relSize; q++) out[at + form.relAt + q] = (d >>> (8 * q)) & 0xff;
          } else this.fixup(i, -1, at, written, form.relAt, form.relSize, true, prog.specialTarget[j]!);
        } else this.fixup(i, -1, at, written, form.relAt, form.relSize, true, prog.specialTarget[j]!);
      } else {
        const node = nodes[i] as Node;
        if (node.k === "align") {
          const pad = node.fill === "nop" ? nopPadding(size, node.bits) : new Array<number>(size).fill(node.fill);
          out.set(pad, at);
          written = pad.length;
        } else if (node.k === "org") {
          out.fill(node.fill, at, at + size);
          written = size;
        }
      }
      // A broken invariant of the assembler's own, not a diagnostic: no program can cause it.
      if (written !== size) throw new Error(`assembler bug: node ${i} wrote ${written} bytes but layout reserved ${size}`);
    }
    if (pendingLen) copyRun(code, pendingCode, out, pendingOut, pendingLen);
  }

  /**
   * Fixups of fixed nodes: an instruction's offset is its run's output offset plus its place in the run.
   * Fixups were filed in recording order, so the run holding each (the number of specials recorded at or
   * before its code position) only moves forward.
   */
  writeFixups(): void {
    const { prog, p, out, segOut } = this;
    const m = p.m,
      soff = p.soff,
      origin = prog.origin;
    const codeAt = prog.specialCodeAt.data;
    const fx = prog.fixups.ints.data,
      fxValue = prog.fixups.value;
    for (let k = 0, run = 0; k < fxValue.length; k++) {
      const o = k * FIXUP_STRIDE; // node, instruction, start, len, at, size, rel
      const start = fx[o + 2]!;
      while (run < m && codeAt[run]! <= start) run++;
      const insAt = segOut[run]! + (start - (run === 0 ? 0 : codeAt[run - 1]!));
      const value = fxValue[k]!;
      const len = fx[o + 3]!,
        at = fx[o + 4]!,
        size = fx[o + 5]!,
        rel = fx[o + 6] === 1;
      const v =
        value instanceof Label && value.boundIn === prog && size === 4 ? (rel ? soff[value.special]! - (insAt + len) : origin + soff[value.special]!) : NaN;
      if (v >= -0x80000000 && v <= (rel ? 0x7fffffff : 0xffffffff)) {
        // The common case: a 32-bit field holding a label bound here.
        const w = insAt + at;
        out[w] = v & 0xff;
        out[w + 1] = (v >>> 8) & 0xff;
        out[w + 2] = (v >>> 16) & 0xff;
        out[w + 3] = (v >>> 24) & 0xff;
      } else this.fixup(fx[o]!, fx[o + 1]!, insAt, len, at, size, rel, value);
    }
  }

  /**
   * Resolves one field of the instruction at `insAt` (`len` bytes) in node i (instruction number ins of a run,
   * or -1), or reports why it cannot.
   */
  fixup(i: number, ins: number, insAt: number, len: number, at: number, size: number, rel: boolean, value: Expr): void {
    const { prog, out } = this;
    const origin = prog.origin;
    let v = evaluateAt(prog, this.p.soff, value);
    if (v === undefined) {
      for (const l of labelsOf(value)) if (l.boundIn !== prog && !this.undefinedRefs.has(l)) this.undefinedRefs.set(l, { node: i, ins });
      if (rel) return;
      v = 0;
    }
    if (rel) v -= origin + insAt + len;
    const lo = size === 1 ? -128 : size === 2 ? -32768 : -(2 ** 31);
    const hi = rel ? (size === 1 ? 127 : size === 2 ? 32767 : 2 ** 31 - 1) : size === 1 ? 255 : size === 2 ? 65535 : 2 ** 32 - 1;
    if (v < lo || v > hi) {
      const code = rel && size === 1 ? "ASM_SHORT_BRANCH_RANGE" : "ASM_FIXUP_RANGE";
      const near = this.nearestLabel(i);
      const { src, what } = describeNode(prog, i, ins);
      const names =
        labelsOf(value)
          .map((l) => l.name)
          .join(", ") || String(value);
      const message = rel
        ? `${what} at 0x${(origin + insAt).toString(16)} to ${names} at 0x${(v + origin + insAt + len).toString(16)}: distance ${v} does not fit rel${size * 8} (${lo}..${hi})`
        : `${what} at 0x${(origin + insAt).toString(16)}: value ${v} of ${names} does not fit ${size * 8} bits`;
      this.errors.push(diag(code, message, { node: i, offset: insAt, ...(near ? { label: near } : {}), ...(src ? { source: src } : {}) }));
      return;
    }
    for (let b = 0; b < size; b++) out[insAt + at + b] = (v >>> (8 * b)) & 0xff;
  }

  private nearestLabel(i: number): string | undefined {
    const nodes = this.prog.nodes;
    for (let j = i; j >= 0; j--) {
      const nd = nodes[j]!;
      if (typeof nd !== "number" && nd.k === "label" && !nd.label.local) return nd.label.name;
    }
    return undefined;
  }
}

/** What node i (instruction ins of a run, or -1) is, and where it was recorded, for messages. */
function describeNode(prog: Program, i: number, ins: number): { src?: string; what: string } {
  if (ins >= 0) {
    const { src, row } = prog.instructions.nth(ins);
    return src ? { src, what: row.mnemonic } : { what: row.mnemonic };
  }
  const nd = prog.nodes[i]!;
  if (typeof nd === "number") return { what: "instruction" };
  const what = nd.k === "fixed" ? (nd.row ? nd.row.mnemonic : "data") : nd.k === "branch" ? nd.long.row.mnemonic : nd.k;
  return nd.src ? { src: nd.src, what } : { what };
}

export function layoutProgram(prog: Program, options: AssembleOptions): AssembleResult {
  const nodes = prog.nodes;
  const errors: Diagnostic[] = [...prog.errors];
  const origin = prog.origin;
  const p = new Placement(prog);
  p.relax();
  // Report only what the final layout breaks.
  if (p.orgErrors) {
    p.place();
    for (let j = 0; j < p.m; j++) {
      if (!p.orgBad[j]) continue;
      const i = p.node[j]!;
      const node = nodes[i] as Extract<Node, { k: "org" }>;
      errors.push(
        diag("ASM_ORG_BACKWARDS", `org(0x${node.offset.toString(16)}) moves backwards: the program is already at 0x${p.soff[j]!.toString(16)}`, {
          node: i,
          ...(node.src ? { source: node.src } : {}),
        }),
      );
    }
  }
  const w = new Writer(prog, p, errors);
  w.writeCode();
  w.writeFixups();
  // Branches whose target is unknown were never shrunk; report the labels they use.
  for (let k = 0; k < p.branches.length; k++) {
    const j = p.branches[k]!;
    if (p.tgt[j]! >= 0) continue;
    for (const l of labelsOf(prog.specialTarget[j]!)) if (l.boundIn !== prog && !w.undefinedRefs.has(l)) w.undefinedRefs.set(l, { node: p.node[j]!, ins: -1 });
  }
  if (!options.allowUndefined) {
    for (const [l, { node: i, ins }] of w.undefinedRefs) {
      const { src } = describeNode(prog, i, ins);
      errors.push(diag("ASM_UNDEFINED_LABEL", `label '${l.name}' is used but never defined`, { node: i, label: l.name, ...(src ? { source: src } : {}) }));
    }
  }
  if (errors.length) return { ok: false, errors };

  const { m, kind, soff } = p;
  const total = p.total;
  const globals: { name: string; offset: number }[] = [];
  for (let j = 0; j < m; j++) {
    if (kind[j] !== SPECIAL_LABEL) continue;
    const label = (nodes[p.node[j]!] as LabelNode).label;
    if (!label.local) globals.push({ name: label.name, offset: soff[j]! });
  }
  const symbols: AsmSymbol[] = globals.map((s, k) => {
    const end = k + 1 < globals.length ? globals[k + 1]!.offset : total; // no read past the end: this runs per assemble()
    return { name: s.name, offset: s.offset, address: origin + s.offset, size: end - s.offset };
  });
  const result = { ok: true as const, bytes: w.out, origin, symbols } as unknown as Extract<AssembleResult, { ok: true }>;
  // Label values and one object per node are only needed by listings and reports: built on first use.
  let values: Map<Label, number> | undefined;
  Object.defineProperty(result, "labels", {
    enumerable: true,
    get: () => {
      if (!values) {
        values = new Map();
        for (let j = 0; j < m; j++) if (kind[j] === SPECIAL_LABEL) values.set((nodes[p.node[j]!] as LabelNode).label, origin + soff[j]!);
      }
      return values;
    },
  });
  let placed: Placed[] | undefined;
  Object.defineProperty(result, "placed", {
    enumerable: true,
    get: () => (placed ??= placeAll(prog, p, w.segOut)),
  });
  return result;
}

/** Every node with its offset and size (for listings and reports); a run of instructions gives one each. */
function placeAll(prog: Program, p: Placement, segOut: Int32Array): Placed[] {
  const nodes = prog.nodes;
  const n = nodes.length;
  const { node: specials, soff, ssize, short } = p;
  const recorded = prog.instructions;
  const out: Placed[] = [];
  const next = { at: 0 };
  let j = 0,
    cur = segOut[0]!,
    q = 0;
  for (let i = 0; i < n; i++) {
    const slot = nodes[i]!;
    if (j < specials.length && specials[j] === i) {
      const node = slot as Node;
      const b = node.k === "branch" ? (short[j] ? node.short : node.long) : undefined;
      const ins = b && node.k === "branch" ? { row: b.row, ops: [prog.specialTarget[j]!], bits: node.bits, prefixText: node.prefixText } : undefined;
      out.push({ index: i, node, offset: soff[j]!, size: ssize[j]!, ...(ins ? { ins } : {}), ...(node.src ? { src: node.src } : {}) });
      j++;
      cur = segOut[j]!;
      continue;
    }
    if (typeof slot === "number") {
      // The run's instructions follow one another up to where the next node's code starts (or the code ends).
      const end = i + 1 < n ? codeStartOf(prog, i + 1, j) : prog.code.len;
      for (let start = slot; start < end && q < recorded.count; q++) {
        const { row, ops, bits, prefixText, length: size, src } = recorded.read(next.at, q, next);
        const ins: InsInfo = { row, ops, bits, prefixText };
        out.push({ index: i, node: { k: "fixed", start, size }, offset: cur, size, ins, ...(src ? { src } : {}) });
        cur += size;
        start += size;
      }
      continue;
    }
    const node = slot as FixedNode;
    const ins = insOf(node);
    out.push({ index: i, node, offset: cur, size: node.size, ...(ins ? { ins } : {}), ...(node.src ? { src: node.src } : {}) });
    cur += node.size;
  }
  return out;
}

/** Where node i's bytes start in the code buffer; j is the number of specials before it. */
function codeStartOf(prog: Program, i: number, j: number): number {
  const nd = prog.nodes[i]!;
  if (typeof nd === "number") return nd;
  if (nd.k === "fixed") return nd.start;
  return prog.specialCodeAt.data[j]!;
}
