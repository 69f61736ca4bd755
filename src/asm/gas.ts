// GNU as source of an assembled program: the recorded nodes written back out as AT&T text that `as --32`
// turns into the same bytes. Instructions come from the DSL's own operands (the same ones the listing reads
// from the instruction store), so label references stay symbolic; data keeps its labels and takes its
// constants from the final bytes (a caller may have patched them after layout, e.g. checksums).
//
// Branches the DSL relaxed are written plainly, so GNU as relaxes them again (and a byte comparison checks
// that both chose the same forms); branches whose size the program fixed get `{disp32}`/`{disp16}`.

import { constantOf, valueWith, type Expr, type Label } from "./operands.ts";
import { formatInstruction } from "./listing.ts";
import type { AssembleResult, Placed } from "./layout.ts";

type Ok = Extract<AssembleResult, { ok: true }>;

export interface GasOptions {
  /** Extra labels by offset (from the program start), written before the first node there. */
  labels?: ReadonlyMap<number, readonly string[]>;
  /** Append each node's TypeScript source line as a comment (default true). */
  source?: boolean;
  /** Comment lines for the top of the file (without the leading "# "). */
  preamble?: readonly string[];
}

const hex = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

/** A symbol name GNU as accepts as written, or the name in double quotes. */
export function gasSymbol(name: string): string {
  return /^[A-Za-z_.$][A-Za-z0-9_.$]*$/.test(name) ? name : `"${name.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * Names for a program's labels: global ones as they are, named local ones as GNU as locals (.L<name>), anonymous
 * ones numbered in the order they are bound in this program (their ids count labels made by the whole process,
 * so they would differ between building one ROM and building all).
 */
class LabelNames {
  private readonly anonymous = new Map<Label, string>();
  name(l: Label): string {
    if (!l.local) return gasSymbol(l.name);
    if (/^\.L\d+$/.test(l.name)) {
      let n = this.anonymous.get(l);
      if (n === undefined) this.anonymous.set(l, (n = `.L.${this.anonymous.size}`));
      return n;
    }
    return gasSymbol(`.L${l.name.startsWith(".") ? l.name.slice(1) : l.name}`);
  }
  /** A label expression in GNU as syntax: `a+b-c+0x4`. */
  expr(e: Expr): string {
    const c = constantOf(e);
    if (c !== undefined) return hex(c);
    if (typeof e === "object" && "kind" in e && e.kind === "expr") {
      let t = e.plus.map((l) => this.name(l)).join("+");
      for (const l of e.minus) t += `-${this.name(l)}`;
      if (e.constant) t += e.constant < 0 ? `-${hex(-e.constant)}` : `+${hex(e.constant)}`;
      return t.startsWith("-") ? `0${t}` : t;
    }
    return this.name(e as Label);
  }
}

function quote(text: string): string {
  return text.replace(/[\\"]/g, "\\$&").replace(/[^\x20-\x7e]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

function le(bytes: Uint8Array, at: number, unit: number): number {
  let v = 0;
  for (let i = unit - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

/** The directive for a data or padding node (bytes: the node's final bytes). */
function dataLine(p: Placed, bytes: Uint8Array, origin: number, names: LabelNames): string {
  const node = p.node;
  if (node.k === "align") {
    if (node.fill !== "nop" && origin % node.n === 0) return `.balign ${node.n}, ${hex(node.fill)}`;
    // GNU as pads code with NOPs of its own choice: keep the program's bytes.
    return bytes.length ? `.byte ${[...bytes].map(hex).join(",")}\t# align ${node.n}` : "";
  }
  if (node.k === "org") return `.org ${hex(node.offset)}, ${hex(node.fill)}`;
  if (node.k === "fixed" && node.data && "text" in node.data) {
    // The final bytes, in case a caller patched a string.
    const zero = node.data.zero && bytes[bytes.length - 1] === 0;
    return `${zero ? ".asciz" : ".ascii"} "${quote(String.fromCharCode(...(zero ? bytes.subarray(0, -1) : bytes)))}"`;
  }
  if (node.k === "fixed" && node.data && "unit" in node.data) {
    const { unit, values } = node.data;
    // fill(): no values, one repeated byte.
    if (values.length * unit !== bytes.length)
      return bytes.every((b) => b === bytes[0]) ? `.fill ${bytes.length}, 1, ${hex(bytes[0] ?? 0)}` : `.byte ${[...bytes].map(hex).join(",")}`;
    const words = values.map((v, i) => (constantOf(v) === undefined ? names.expr(v) : hex(le(bytes, i * unit, unit))));
    return `${unit === 1 ? ".byte" : unit === 2 ? ".word" : unit === 4 ? ".long" : ".quad"} ${words.join(",")}`;
  }
  return `.byte ${[...bytes].map(hex).join(",")}`;
}

/**
 * GNU as source of an assembled program. `as --32` and `ld -m elf_i386 -Ttext=<origin> --oformat=binary`
 * (or objcopy -O binary) give back `r.bytes`.
 */
export function formatGas(r: Ok, options: GasOptions = {}): string {
  const out: string[] = [];
  for (const line of options.preamble ?? []) out.push(line ? `# ${line}` : "#");
  let bits = 32;
  out.push("\t.text", "\t.code32");
  const numeric = (e: Expr): number => valueWith(r.labels, e);
  const extra = new Map(options.labels ?? []);
  const names = new LabelNames();
  const symbolic = (e: Expr): string => names.expr(e);
  // Anonymous labels are numbered where they are bound, before any use.
  for (const p of r.placed) if (p.node.k === "label") names.name(p.node.label);
  const source = options.source !== false;
  // The offset of the last .org written, while no byte has followed it (a second .org there says nothing).
  let orgAt = -1;
  for (const p of r.placed) {
    const here = extra.get(p.offset);
    if (here && (p.size > 0 || p.node.k === "label")) {
      for (const n of here) out.push(`${gasSymbol(n)}:`);
      extra.delete(p.offset);
    }
    const src = source && p.src ? `\t# ${p.src}` : "";
    if (p.node.k === "label") {
      out.push(`${names.name(p.node.label)}:`);
      continue;
    }
    const bytes = r.bytes.subarray(p.offset, p.offset + p.size);
    if (p.ins) {
      if (p.ins.bits !== bits) {
        bits = p.ins.bits;
        out.push(`\t.code${bits}`);
      }
      orgAt = -1;
      let text = formatInstruction(p.ins, bytes, numeric, symbolic);
      // A branch whose size the program fixed (not relaxed): GNU as must not relax it either.
      if (p.node.k === "fixed" && p.ins.row.relative && p.ins.row.toks[0] === "rel32" && p.ins.row.mnemonic !== "call") text = `{disp${bits}} ${text}`;
      out.push(`\t${text}${src}`);
      continue;
    }
    if (p.node.k === "org") {
      if (p.size === 0 && (p.node.offset === orgAt || p.offset === 0)) continue;
      orgAt = p.node.offset;
    } else if (p.size === 0 && p.node.k !== "align") continue;
    else if (p.size > 0) orgAt = -1;
    const line = dataLine(p, bytes, r.origin, names);
    if (line) out.push(`\t${line}${src}`);
  }
  for (const [, rest] of extra) for (const n of rest) out.push(`${gasSymbol(n)}:`);
  return out.join("\n") + "\n";
}
