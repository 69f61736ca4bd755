// Layout: gives every recorded node its offset, relaxes label-relative branches (all start long and
// shrink while they fit, DynASM-style, to a fixed point), then writes the bytes and resolves fixups.
// After writing, every node's written size must equal its computed size; a difference is a phase error.

import { diag, type Diagnostic } from "../diagnostics.ts";
import type { Assembler } from "./assembler.ts";
import type { Fixup } from "./encoder.ts";
import type { InsInfo, Node } from "./nodes.ts";
import type { Label, LabelExpr } from "./operands.ts";

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
  [], [0x90], [0x66, 0x90], [0x0f, 0x1f, 0x00], [0x0f, 0x1f, 0x40, 0x00], [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00], [0x0f, 0x1f, 0x80, 0, 0, 0, 0], [0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0],
  [0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0],
];

/** Padding of `n` bytes made of whole NOP instructions. */
export function nopPadding(n: number, bits: 16 | 32): number[] {
  const out: number[] = [];
  if (bits === 16) return new Array<number>(n).fill(0x90);
  while (out.length < n) out.push(...NOPS32[Math.min(9, n - out.length)]!);
  return out;
}

interface State {
  offsets: Int32Array;
  sizes: Int32Array;
  values: Map<Label, number>;
}

export function layoutProgram(a: Assembler, options: AssembleOptions): AssembleResult {
  const nodes = a.nodes;
  const errors: Diagnostic[] = [...a.errors];
  const origin = a.origin;
  const n = nodes.length;
  const short = new Uint8Array(n); // branch nodes currently in their short form
  const pinned = new Uint8Array(n); // branches that must stay long (shrinking them broke another branch)
  const st: State = { offsets: new Int32Array(n + 1), sizes: new Int32Array(n), values: new Map() };
  const orgErrors = new Set<number>();

  const place = (): void => {
    let cur = 0;
    st.values.clear();
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      st.offsets[i] = cur;
      let size = 0;
      switch (node.k) {
        case "fixed": size = node.bytes.length; break;
        case "branch": size = short[i] ? node.short.bytes.length : node.long.bytes.length; break;
        case "label": st.values.set(node.label, origin + cur); break;
        case "align": size = (node.n - ((origin + cur) % node.n)) % node.n; break;
        case "org":
          if (node.offset < cur) orgErrors.add(i);
          else size = node.offset - cur;
          break;
      }
      st.sizes[i] = size;
      cur += size;
    }
    st.offsets[n] = cur;
  };
  const evaluate = (e: LabelExpr): number | undefined => {
    let v = e.constant;
    for (const l of e.plus) {
      const x = st.values.get(l);
      if (x === undefined) return undefined;
      v += x;
    }
    for (const l of e.minus) {
      const x = st.values.get(l);
      if (x === undefined) return undefined;
      v -= x;
    }
    return v;
  };
  const shortFits = (i: number): boolean => {
    const node = nodes[i] as Extract<Node, { k: "branch" }>;
    const t = evaluate(node.target);
    if (t === undefined) return false;
    const d = t - (origin + st.offsets[i]! + node.short.bytes.length);
    return d >= -128 && d <= 127;
  };

  // Relaxation, in three steps repeated until stable:
  // 1. shrink every branch that fits with the current (upper-bound) offsets, until nothing changes;
  // 2. branches that fit only if another one shrinks too (a forward jump over a backward jump across it)
  //    are shrunk together: tentatively shrink all remaining long ones, then grow back, round by round, those
  //    that do not fit. This ends at the same least fixed point GNU as reaches;
  // 3. make sure no short branch was pushed out of range by alignment or org, pinning any such one long.
  const branches: number[] = [];
  for (let i = 0; i < n; i++) if (nodes[i]!.k === "branch") branches.push(i);
  for (let round = 0; round < 4 * branches.length + 10; round++) {
    for (let changed = true; changed; ) {
      place();
      changed = false;
      for (const i of branches) {
        if (!short[i] && !pinned[i] && shortFits(i)) {
          short[i] = 1;
          changed = true;
        }
      }
    }
    const tentative = branches.filter((i) => !short[i] && !pinned[i]);
    for (const i of tentative) short[i] = 1;
    for (let grew = tentative.length > 0; grew; ) {
      place();
      grew = false;
      for (const i of tentative) {
        if (short[i] && !shortFits(i)) {
          short[i] = 0;
          grew = true;
        }
      }
    }
    place();
    let pinnedAny = false;
    for (const i of branches) {
      if (short[i] && !shortFits(i)) {
        short[i] = 0;
        pinned[i] = 1;
        pinnedAny = true;
      }
    }
    if (!pinnedAny) break;
  }
  place();
  for (const i of orgErrors) {
    const node = nodes[i] as Extract<Node, { k: "org" }>;
    errors.push(diag("ASM_ORG_BACKWARDS", `org(0x${node.offset.toString(16)}) moves backwards: the program is already at 0x${st.offsets[i]!.toString(16)}`, { node: i, ...(node.src ? { source: node.src } : {}) }));
  }

  // Encode.
  const total = st.offsets[n]!;
  const out = new Uint8Array(total);
  const placed: Placed[] = [];
  const undefinedRefs = new Map<Label, number>();
  const labelName = (e: LabelExpr): string => e.plus.concat(e.minus).map((l) => l.name).join(", ") || String(e.constant);
  const nearestLabel = (i: number): string | undefined => {
    for (let j = i; j >= 0; j--) {
      const nd = nodes[j]!;
      if (nd.k === "label" && !nd.label.local) return nd.label.name;
    }
    return undefined;
  };
  const writeFixups = (i: number, at: number, len: number, fixups: readonly Fixup[], src: string | undefined, what: string): void => {
    for (const f of fixups) {
      let v = evaluate(f.value);
      if (v === undefined) {
        for (const l of [...f.value.plus, ...f.value.minus]) if (!st.values.has(l) && !undefinedRefs.has(l)) undefinedRefs.set(l, i);
        v = 0;
        if (f.rel) continue;
      }
      if (f.rel) v -= origin + at + len;
      const [lo, hi] = f.rel
        ? f.size === 1 ? [-128, 127] : f.size === 2 ? [-32768, 32767] : [-(2 ** 31), 2 ** 31 - 1]
        : f.size === 1 ? [-128, 255] : f.size === 2 ? [-32768, 65535] : [-(2 ** 31), 2 ** 32 - 1];
      if (v < lo || v > hi) {
        const code = f.rel && f.size === 1 ? "ASM_SHORT_BRANCH_RANGE" : "ASM_FIXUP_RANGE";
        const near = nearestLabel(i);
        const message = f.rel
          ? `${what} at 0x${(origin + at).toString(16)} to ${labelName(f.value)} at 0x${(v + origin + at + len).toString(16)}: distance ${v} does not fit rel${f.size * 8} (${lo}..${hi})`
          : `${what} at 0x${(origin + at).toString(16)}: value ${v} of ${labelName(f.value)} does not fit ${f.size * 8} bits`;
        errors.push(diag(code, message, { node: i, offset: at, ...(near ? { label: near } : {}), ...(src ? { source: src } : {}) }));
        continue;
      }
      for (let b = 0; b < f.size; b++) out[at + f.at + b] = (v >>> (8 * b)) & 0xff;
    }
  };
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    const at = st.offsets[i]!;
    let written = 0;
    let ins: InsInfo | undefined;
    switch (node.k) {
      case "fixed":
        out.set(node.bytes, at);
        written = node.bytes.length;
        ins = node.ins;
        writeFixups(i, at, written, node.fixups, node.src, ins ? ins.row.mnemonic : "data");
        break;
      case "branch": {
        const form = short[i] ? node.short : node.long;
        ins = short[i] ? node.shortIns : node.longIns;
        out.set(form.bytes, at);
        written = form.bytes.length;
        writeFixups(i, at, written, form.fixups, node.src, ins.row.mnemonic);
        break;
      }
      case "label": break;
      case "align": {
        const pad = node.fill === "nop" ? nopPadding(st.sizes[i]!, node.bits) : new Array<number>(st.sizes[i]!).fill(node.fill);
        out.set(pad, at);
        written = pad.length;
        break;
      }
      case "org":
        out.fill(node.fill, at, at + st.sizes[i]!);
        written = st.sizes[i]!;
        break;
    }
    if (written !== st.sizes[i]) {
      errors.push(diag("ASM_PHASE", `node ${i} wrote ${written} bytes but layout reserved ${st.sizes[i]} (assembler bug)`, { node: i }));
    }
    placed.push({ index: i, node, offset: at, size: written, ...(ins ? { ins } : {}), ...(node.src ? { src: node.src } : {}) });
  }
  // Branches whose target is unknown were never shrunk; report the labels they use.
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (node.k === "branch") for (const l of [...node.target.plus, ...node.target.minus]) if (!st.values.has(l) && !undefinedRefs.has(l)) undefinedRefs.set(l, i);
  }
  if (!options.allowUndefined) {
    for (const [l, i] of undefinedRefs) {
      const src = nodes[i]!.src;
      errors.push(diag("ASM_UNDEFINED_LABEL", `label '${l.name}' is used but never defined`, { node: i, label: l.name, ...(src ? { source: src } : {}) }));
    }
  }
  if (errors.length) return { ok: false, errors };

  const globals = nodes
    .map((nd, i) => (nd.k === "label" && !nd.label.local ? { name: nd.label.name, offset: st.offsets[i]! } : undefined))
    .filter((s): s is { name: string; offset: number } => s !== undefined);
  const symbols: AsmSymbol[] = globals.map((s, j) => {
    const end = j + 1 < globals.length ? globals[j + 1]!.offset : total;
    return { name: s.name, offset: s.offset, address: origin + s.offset, size: end - s.offset };
  });
  return { ok: true, bytes: out, origin, symbols, placed, labels: new Map(st.values) };
}
