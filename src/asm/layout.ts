// Layout: gives every recorded node its offset, relaxes label-relative branches (all start long and
// shrink while they fit, DynASM-style, to a fixed point), then writes the bytes and resolves fixups.
// After writing, every node's written size must equal its computed size; a difference is a phase error.

import { diag, type Diagnostic } from "../diagnostics.ts";
import type { Assembler } from "./assembler.ts";
import { FIXUP_STRIDE } from "./int-list.ts";
import { insOf, type InsInfo, type Node } from "./nodes.ts";
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

export function layoutProgram(a: Assembler, options: AssembleOptions): AssembleResult {
  const nodes = a.nodes;
  const code = a.code.buf;
  const codeLen = a.code.len;
  const errors: Diagnostic[] = [...a.errors];
  const origin = a.origin;
  // Only labels, branches, align and org ("specials", listed by the assembler as it records) change position
  // during relaxation. The fixed nodes between two specials are one contiguous run of the code buffer and move
  // as one block, so layout never visits them one by one.
  const specials = a.specials.data;
  const m = a.specials.length;
  const gap = new Int32Array(m + 1); // code bytes before special j (since the previous one); gap[m] = the tail
  for (let j = 0, prev = 0; j <= m; j++) {
    const at = j < m ? a.specialCodeAt.data[j]! : codeLen;
    gap[j] = at - prev;
    prev = at;
  }
  const soff = new Int32Array(m); // offset of each special
  const ssize = new Int32Array(m); // size of each special
  const short = new Uint8Array(m); // branch specials currently in their short form
  const pinned = new Uint8Array(m); // branches that must stay long (shrinking them broke another branch)
  const orgErrors = new Set<number>();
  let total = 0;
  // What placement needs of each special, in flat arrays: kind (0 label, 1 branch, 2 align, 3 org), the
  // branch's short and long sizes, the alignment or the org offset.
  const kind = new Uint8Array(m), shortLen = new Uint8Array(m), longLen = new Uint8Array(m), param = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const node = nodes[specials[j]!] as Node;
    if (node.k === "branch") {
      kind[j] = 1;
      shortLen[j] = node.short.bytes.length;
      longLen[j] = node.long.bytes.length;
    } else if (node.k === "align") {
      kind[j] = 2;
      param[j] = node.n;
    } else if (node.k === "org") {
      kind[j] = 3;
      param[j] = node.offset;
    }
  }

  const place = (): void => {
    let cur = 0;
    for (let j = 0; j < m; j++) {
      cur += gap[j]!;
      soff[j] = cur;
      const k = kind[j]!;
      let size = 0;
      if (k === 1) size = short[j] ? shortLen[j]! : longLen[j]!;
      else if (k === 2) size = (param[j]! - ((origin + cur) % param[j]!)) % param[j]!;
      else if (k === 3) {
        if (param[j]! < cur) orgErrors.add(specials[j]!);
        else size = param[j]! - cur;
      }
      ssize[j] = size;
      cur += size;
    }
    total = cur + gap[m]!;
  };
  // A label's value is its special's current offset, when this program bound it.
  const labelValue = (l: Label): number | undefined => (l.boundIn === a ? origin + soff[l.special]! : undefined);
  const evaluate = (e: Expr): number | undefined => {
    if (typeof e === "number") return e;
    if (e instanceof Label) return labelValue(e);
    let v = e.constant;
    for (const l of e.plus) {
      const x = labelValue(l);
      if (x === undefined) return undefined;
      v += x;
    }
    for (const l of e.minus) {
      const x = labelValue(l);
      if (x === undefined) return undefined;
      v -= x;
    }
    return v;
  };
  const shortFits = (j: number): boolean => {
    const node = nodes[specials[j]!] as Extract<Node, { k: "branch" }>;
    const t = evaluate(node.target);
    if (t === undefined) return false;
    const d = t - (origin + soff[j]! + shortLen[j]!);
    return d >= -128 && d <= 127;
  };

  // Relaxation, in three steps repeated until stable:
  // 1. shrink every branch that fits with the current (upper-bound) offsets, until nothing changes;
  // 2. branches that fit only if another one shrinks too (a forward jump over a backward jump across it)
  //    are shrunk together: tentatively shrink all remaining long ones, then grow back, round by round, those
  //    that do not fit. This ends at the same least fixed point GNU as reaches;
  // 3. make sure no short branch was pushed out of range by alignment or org, pinning any such one long.
  const branches: number[] = [];
  for (let j = 0; j < m; j++) if (kind[j] === 1) branches.push(j);
  place();
  for (let round = 0; round < 4 * branches.length + 10; round++) {
    for (let changed = true; changed; ) {
      changed = false;
      for (const j of branches) {
        if (!short[j] && !pinned[j] && shortFits(j)) {
          short[j] = 1;
          changed = true;
        }
      }
      if (changed) place();
    }
    const tentative = branches.filter((j) => !short[j] && !pinned[j]);
    for (const j of tentative) short[j] = 1;
    for (let grew = tentative.length > 0; grew; ) {
      place();
      grew = false;
      for (const j of tentative) {
        if (short[j] && !shortFits(j)) {
          short[j] = 0;
          grew = true;
        }
      }
    }
    if (tentative.length) place();
    let pinnedAny = false;
    for (const j of branches) {
      if (short[j] && !shortFits(j)) {
        short[j] = 0;
        pinned[j] = 1;
        pinnedAny = true;
      }
    }
    if (!pinnedAny) break;
    place();
  }
  // Report only what the final layout breaks.
  if (orgErrors.size) {
    orgErrors.clear();
    place();
  }
  for (const i of orgErrors) {
    const node = nodes[i] as Extract<Node, { k: "org" }>;
    const j = a.specials.indexOf(i);
    errors.push(diag("ASM_ORG_BACKWARDS", `org(0x${node.offset.toString(16)}) moves backwards: the program is already at 0x${soff[j]!.toString(16)}`, { node: i, ...(node.src ? { source: node.src } : {}) }));
  }

  // Write: each run of fixed code in one copy, then each special.
  const out = new Uint8Array(total);
  const undefinedRefs = new Map<Label, number>();
  const labelName = (e: Expr): string => labelsOf(e).map((l) => l.name).join(", ") || String(e);
  const nearestLabel = (i: number): string | undefined => {
    for (let j = i; j >= 0; j--) {
      const nd = nodes[j]!;
      if (typeof nd !== "number" && nd.k === "label" && !nd.label.local) return nd.label.name;
    }
    return undefined;
  };
  const describe = (i: number): { src?: string; what: string } => {
    const nd = nodes[i]!;
    if (typeof nd === "number") return { what: "instruction" };
    const what = nd.k === "fixed" ? (nd.row ? nd.row.mnemonic : "data") : nd.k === "branch" ? nd.long.row.mnemonic : nd.k;
    return nd.src ? { src: nd.src, what } : { what };
  };
  /** Resolves one field of the instruction at `insAt` (`len` bytes) in node i. */
  const writeFixup = (i: number, insAt: number, len: number, at: number, size: number, rel: boolean, value: Expr): void => {
    let v = evaluate(value);
    if (v === undefined) {
      for (const l of labelsOf(value)) if (l.boundIn !== a && !undefinedRefs.has(l)) undefinedRefs.set(l, i);
      if (rel) return;
      v = 0;
    }
    if (rel) v -= origin + insAt + len;
    let lo: number, hi: number;
    if (rel) {
      lo = size === 1 ? -128 : size === 2 ? -32768 : -(2 ** 31);
      hi = size === 1 ? 127 : size === 2 ? 32767 : 2 ** 31 - 1;
    } else {
      lo = size === 1 ? -128 : size === 2 ? -32768 : -(2 ** 31);
      hi = size === 1 ? 255 : size === 2 ? 65535 : 2 ** 32 - 1;
    }
    if (v < lo || v > hi) {
      const code = rel && size === 1 ? "ASM_SHORT_BRANCH_RANGE" : "ASM_FIXUP_RANGE";
      const near = nearestLabel(i);
      const { src, what } = describe(i);
      const message = rel
        ? `${what} at 0x${(origin + insAt).toString(16)} to ${labelName(value)} at 0x${(v + origin + insAt + len).toString(16)}: distance ${v} does not fit rel${size * 8} (${lo}..${hi})`
        : `${what} at 0x${(origin + insAt).toString(16)}: value ${v} of ${labelName(value)} does not fit ${size * 8} bits`;
      errors.push(diag(code, message, { node: i, offset: insAt, ...(near ? { label: near } : {}), ...(src ? { source: src } : {}) }));
      return;
    }
    for (let b = 0; b < size; b++) out[insAt + at + b] = (v >>> (8 * b)) & 0xff;
  };
  // segStart[j]: output offset of the code run before special j (run j covers code [codeAt[j-1], codeAt[j])).
  const segOut = new Int32Array(m + 1);
  // Runs of code separated only by labels (size 0) are contiguous in the output too: copy them together.
  let pendingCode = 0, pendingOut = 0, pendingLen = 0;
  for (let j = 0, codePos = 0; j <= m; j++) {
    const outAt = j < m ? soff[j]! - gap[j]! : total - gap[m]!;
    segOut[j] = outAt;
    const g = gap[j]!;
    if (g) {
      if (pendingLen && pendingCode + pendingLen === codePos && pendingOut + pendingLen === outAt) pendingLen += g;
      else {
        if (pendingLen) out.set(code.subarray(pendingCode, pendingCode + pendingLen), pendingOut);
        pendingCode = codePos;
        pendingOut = outAt;
        pendingLen = g;
      }
    }
    codePos += g;
    if (j === m) break;
    if (kind[j] === 0) continue; // a label writes nothing
    const i = specials[j]!;
    const node = nodes[i] as Node;
    const at = soff[j]!, size = ssize[j]!;
    let written = 0;
    switch (node.k) {
      case "branch": {
        const form = short[j] ? node.short : node.long;
        out.set(form.bytes, at);
        written = form.bytes.length;
        writeFixup(i, at, written, form.relAt, form.relSize, true, node.target);
        break;
      }
      case "label": break;
      case "align": {
        const pad = node.fill === "nop" ? nopPadding(size, node.bits) : new Array<number>(size).fill(node.fill);
        out.set(pad, at);
        written = pad.length;
        break;
      }
      case "org":
        out.fill(node.fill, at, at + size);
        written = size;
        break;
      default: break;
    }
    if (written !== size) errors.push(diag("ASM_PHASE", `node ${i} wrote ${written} bytes but layout reserved ${size} (assembler bug)`, { node: i }));
  }
  if (pendingLen) out.set(code.subarray(pendingCode, pendingCode + pendingLen), pendingOut);
  // Fixups of fixed nodes: an instruction's offset is its run's output offset plus its place in the run.
  // Fixups were filed in recording order, so the run holding each (the number of specials recorded at or
  // before its code position) only moves forward.
  const codeAt = a.specialCodeAt.data;
  const fx = a.fixups.ints.data, fxValue = a.fixups.value;
  for (let k = 0, run = 0; k < fxValue.length; k++) {
    const o = k * FIXUP_STRIDE; // node, start, len, at, size, rel
    const start = fx[o + 1]!;
    while (run < m && codeAt[run]! <= start) run++;
    const runCodeStart = run === 0 ? 0 : codeAt[run - 1]!;
    writeFixup(fx[o]!, segOut[run]! + (start - runCodeStart), fx[o + 2]!, fx[o + 3]!, fx[o + 4]!, fx[o + 5] === 1, fxValue[k]!);
  }
  // Branches whose target is unknown were never shrunk; report the labels they use.
  for (const j of branches) {
    const node = nodes[specials[j]!] as Extract<Node, { k: "branch" }>;
    for (const l of labelsOf(node.target)) if (l.boundIn !== a && !undefinedRefs.has(l)) undefinedRefs.set(l, specials[j]!);
  }
  if (!options.allowUndefined) {
    for (const [l, i] of undefinedRefs) {
      const src = (nodes[i] as Node).src;
      errors.push(diag("ASM_UNDEFINED_LABEL", `label '${l.name}' is used but never defined`, { node: i, label: l.name, ...(src ? { source: src } : {}) }));
    }
  }
  if (errors.length) return { ok: false, errors };

  const globals: { name: string; offset: number }[] = [];
  for (let j = 0; j < m; j++) {
    if (kind[j] !== 0) continue;
    const label = (nodes[specials[j]!] as Extract<Node, { k: "label" }>).label;
    if (!label.local) globals.push({ name: label.name, offset: soff[j]! });
  }
  const symbols: AsmSymbol[] = globals.map((s, k) => {
    const end = k + 1 < globals.length ? globals[k + 1]!.offset : total;
    return { name: s.name, offset: s.offset, address: origin + s.offset, size: end - s.offset };
  });
  const result = { ok: true as const, bytes: out, origin, symbols } as unknown as Extract<AssembleResult, { ok: true }>;
  // Label values and one object per node are only needed by listings and reports: built on first use.
  let values: Map<Label, number> | undefined;
  Object.defineProperty(result, "labels", {
    enumerable: true,
    get: () => {
      if (!values) {
        values = new Map();
        for (let j = 0; j < m; j++) if (kind[j] === 0) values.set((nodes[specials[j]!] as Extract<Node, { k: "label" }>).label, origin + soff[j]!);
      }
      return values;
    },
  });
  let placed: Placed[] | undefined;
  Object.defineProperty(result, "placed", {
    enumerable: true,
    get: () => (placed ??= placeAll(nodes, codeLen, specials.subarray(0, m), soff, ssize, short, segOut)),
  });
  return result;
}

/** Every node with its offset and size (for listings and reports). */
function placeAll(
  nodes: readonly (Node | number)[], codeLen: number, specials: Int32Array, soff: Int32Array, ssize: Int32Array,
  short: Uint8Array, segOut: Int32Array,
): Placed[] {
  const n = nodes.length;
  // Compact nodes end where the next fixed node's code starts.
  const csize = new Int32Array(n);
  for (let i = n - 1, next = codeLen; i >= 0; i--) {
    const nd = nodes[i]!;
    if (typeof nd === "number") {
      csize[i] = next - nd;
      next = nd;
    } else if (nd.k === "fixed") next = nd.start;
  }
  const out: Placed[] = [];
  let j = 0, cur = segOut[0]!;
  for (let i = 0; i < n; i++) {
    const slot = nodes[i]!;
    if (j < specials.length && specials[j] === i) {
      const node = slot as Node;
      const b = node.k === "branch" ? (short[j] ? node.short : node.long) : undefined;
      const ins = b && node.k === "branch" ? { row: b.row, ops: node.ops, bits: node.bits, prefixText: node.prefixText } : undefined;
      out.push({ index: i, node, offset: soff[j]!, size: ssize[j]!, ...(ins ? { ins } : {}), ...(node.src ? { src: node.src } : {}) });
      j++;
      cur = segOut[j]!;
      continue;
    }
    const node: Extract<Node, { k: "fixed" }> = typeof slot === "number" ? { k: "fixed", start: slot, size: csize[i]! } : (slot as Extract<Node, { k: "fixed" }>);
    const ins = insOf(node);
    out.push({ index: i, node, offset: cur, size: node.size, ...(ins ? { ins } : {}), ...(node.src ? { src: node.src } : {}) });
    cur += node.size;
  }
  return out;
}
