// Builds test programs from the opcode table and turns them into per-instruction records: our bytes, our
// AT&T text, the row chosen. Shared by the GNU as cross-check, the decode-back test and the property test.
import { Assembler, formatInstruction, type Expr } from "../../src/asm/index.ts";
import type { AnyOperand } from "../../src/asm/operands.ts";
import { ROWS, type Row } from "../../src/asm/rows.ts";
import { combos } from "./samples.ts";

export interface Emitted {
  offset: number;
  bytes: Uint8Array;
  text: string;
  row: Row;
  call: string;
}

export function describeCall(mnemonic: string, ops: readonly AnyOperand[]): string {
  const show = (o: AnyOperand): string => {
    if (typeof o === "number") return `0x${o.toString(16)}`;
    if (typeof o === "object" && o && "kind" in o) {
      if (o.kind === "gpr" || o.kind === "sreg" || o.kind === "creg" || o.kind === "dreg") return o.name;
      return JSON.stringify(o, (_k, v) => (typeof v === "object" && v && "name" in v && "code" in v ? v.name : v));
    }
    return String(o);
  };
  return `${mnemonic}(${ops.map(show).join(", ")})`;
}

/** Records `items` into one program and returns what each became. Throws on DSL errors. */
export function emitAll(items: readonly { mnemonic: string; ops: readonly AnyOperand[] }[], bits: 16 | 32 = 32): Emitted[] {
  const a = new Assembler({ bits, captureSource: false });
  const calls: string[] = [];
  for (const it of items) {
    const before = a.errors.length;
    a.ins(it.mnemonic, it.ops);
    if (a.errors.length !== before) throw new Error(`${describeCall(it.mnemonic, it.ops)}: ${a.errors[before]!.message}`);
    calls.push(describeCall(it.mnemonic, it.ops));
  }
  const r = a.assemble();
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  const value = (e: Expr): number => (typeof e === "number" ? e : 0);
  return r.placed
    .filter((p) => p.ins)
    .map((p, i) => {
      const bytes = r.bytes.subarray(p.offset, p.offset + p.size);
      return { offset: p.offset, bytes, text: formatInstruction(p.ins!, bytes, value), row: p.ins!.row, call: calls[i]! };
    });
}

/** Every non-branch row of the table with its representative operand combinations. */
export function tableCorpus(bits: 16 | 32 = 32): { mnemonic: string; ops: AnyOperand[] }[] {
  const out: { mnemonic: string; ops: AnyOperand[] }[] = [];
  for (const row of ROWS) {
    if (row.relative) continue;
    if (bits === 16 && /^(ins|outs|movs|cmps|stos|lods|scas)[bwd]$|^xlat$|^(call|jmp)$|^(lgdt|sgdt|lidt|sidt)$/.test(row.mnemonic)) continue;
    const list = row.toks.length === 0 ? [[]] : combos(row, bits);
    for (const ops of list) out.push({ mnemonic: row.mnemonic, ops });
  }
  return out;
}
