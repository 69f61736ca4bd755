// What recording knows about each mnemonic of the opcode table, read off its rows once: whether layout relaxes
// it, which short spellings it has, and the caches that make recording it cheap (forms by operand classes,
// branch encodings and shared branch nodes).

import { encode, type Prefixes } from "./encode.ts";
import { FormCache } from "./form-cache.ts";
import type { BranchForm, BranchNode } from "./nodes.ts";
import type { Bits } from "./operands.ts";
import { MNEMONICS, rowsFor, type Row, type Tok } from "./rows.ts";
import type { AnyFunction } from "./source.ts";

/** What recording needs to know about a mnemonic, computed once. */
export interface MnemonicInfo {
  readonly name: string;
  readonly rows: readonly Row[];
  /** Label-relative jmp/jcc (it has a rel8 and a rel32 row): recorded with both forms for relaxation. */
  readonly jump: boolean;
  /** `r, imm` may stand for `r, r, imm` (imul: it has rows r, r/m, imm). */
  readonly shortImm: boolean;
  /** A constant-1 last operand may be left out (the shifts: they have rows r/m, 1). */
  readonly omitOne: boolean;
  /** One of the two short spellings applies. */
  readonly special: boolean;
  /** Forms chosen so far, by operand-class signature. */
  readonly cache: FormCache;
  /** Branch forms without prefixes: [rel8 16-bit, rel32 16-bit, rel8 32-bit, rel32 32-bit]. */
  readonly forms: (BranchForm | undefined)[];
  /** Branch nodes without prefix or source line, shared by all such branches: [16-bit, 32-bit]. */
  readonly branchNodes: (BranchNode | undefined)[];
  /** The DSL method installed for it (where a source line search can start). */
  method?: AnyFunction;
}
/** A mnemonic's facts, read off its rows (so that a new row needs nothing else). */
function mnemonicInfo(name: string): MnemonicInfo {
  const rows = rowsFor(name);
  if (!rows) throw new Error(`opcode table: no rows for mnemonic ${name}`);
  const has = (test: (toks: readonly Tok[]) => boolean): boolean => rows.some((r) => test(r.toks));
  const jump = has((t) => t.length === 1 && t[0] === "rel8") && has((t) => t.length === 1 && t[0] === "rel32");
  // Rows r16, rm16, imm… or r32, rm32, imm….
  const shortImm = has((t) => /^r(16|32),rm\1,imm[^,]*$/.test(t.join(",")));
  const omitOne = has((t) => t.length === 2 && t[1] === "one");
  return { name, rows, jump, shortImm, omitOne, special: shortImm || omitOne, cache: new FormCache(), forms: [], branchNodes: [] };
}
export const MNEMONIC_INFO = new Map<string, MnemonicInfo>(MNEMONICS.map((name) => [name, mnemonicInfo(name)]));

// Encodings of label-relative branches depend only on the row, the code size and prefixes (cached per
// mnemonic in MnemonicInfo.forms when there are none).
export function branchForm(mnemonic: string, tok: "rel8" | "rel32", bits: Bits, prefixes: Prefixes | undefined): BranchForm {
  const row = rowsFor(mnemonic)?.find((r) => r.toks[0] === tok);
  if (!row) throw new Error(`opcode table: no ${tok} row for ${mnemonic}`);
  const e = encode(row, [0], bits, prefixes);
  const [f] = e.fixups;
  if (!f) throw new Error(`${mnemonic} ${tok}: its encoding has no displacement to fix up`);
  return { row, bytes: Uint8Array.from(e.bytes), relAt: f.at, relSize: f.size };
}
