// Instruction text as objdump spells it, from iced-x86's GAS formatter: the readers' listings must compare
// line for line with the builder's .lst, which follows objdump.

import type * as IcedModule from "iced-x86";
import type { Iced } from "./iced.ts";

/** A GAS formatter set to objdump's spelling (test/support/iced.ts says which options, and how far they agree). */
export function objdumpFormatter(x: Iced): IcedModule.Formatter {
  const f = new x.Formatter(x.FormatterSyntax.Gas);
  f.uppercaseHex = false;
  f.spaceAfterOperandSeparator = false;
  f.branchLeadingZeros = false;
  f.showBranchSize = false;
  f.smallHexNumbersInDecimal = false;
  f.showZeroDisplacements = true;
  f.firstOperandCharIndex = 7; // objdump pads the mnemonic to 6 columns and a space
  return f;
}

// Where iced-x86's GAS text differs from objdump's on code vmirom emits (the builder's listing follows
// objdump): debug registers, the port operand, string-I/O implicit operands, descriptor-table suffixes.
/** objdump writes a scale of 1 (`(%eax,%edx,1)`); iced leaves it out (its alwaysShowScale also marks base-only forms). */
const INDEX_WITHOUT_SCALE = /\((%\w+)?,(%\w+)\)/g;

const DEBUG_REGISTER = /%dr([0-7])/g;
const IO_SPELLING: Array<[RegExp, string]> = [
  [/^((?:rep )?in\s+)%dx,/, "$1(%dx),"],
  [/^((?:rep )?out\s+%(?:e?ax|al)),%dx$/, "$1,(%dx)"],
  [/^((?:rep )?ins[bwl]\s+)%dx,\(%edi\)$/, "$1(%dx),%es:(%edi)"],
  [/^((?:rep )?outs[bwl]\s+)\(%esi\),%dx$/, "$1%ds:(%esi),(%dx)"],
];
const DT_SUFFIX = /^([ls][gi]dt)(\s+)/;

export function objdumpSpelling(text: string, bits: 16 | 32): string {
  let t = text;
  // Each rewrite runs only on text that could match it (a debug register; an I/O mnemonic, which the anchored
  // patterns need at the start; an indexed operand; a descriptor-table mnemonic): most instructions need none.
  const first = t.charCodeAt(0);
  if (t.includes("%dr")) t = t.replace(DEBUG_REGISTER, "%db$1");
  if (first === 0x69 /* i */ || first === 0x6f /* o */ || first === 0x72 /* r */) {
    for (const [re, to] of IO_SPELLING) t = t.replace(re, to);
  }
  if (t.includes(",%")) t = t.replace(INDEX_WITHOUT_SCALE, (_m, base: string | undefined, index: string) => `(${base ?? ""},${index},1)`);
  // objdump names the 32-bit operand size of lgdt/sgdt/lidt/sidt; keep the operand column aligned.
  if (bits === 32 && (first === 0x6c /* l */ || first === 0x73) /* s */)
    t = t.replace(DT_SUFFIX, (_m, op: string, space: string) => `${op}l${space.length > 1 ? space.slice(1) : " "}`);
  return t;
}

/** An Intel formatter set to `objdump -M intel`'s spelling: DWORD PTR [eax+0x4], hexadecimal as 0x…. */
export function objdumpIntelFormatter(x: Iced): IcedModule.Formatter {
  const f = new x.Formatter(x.FormatterSyntax.Intel);
  f.uppercaseHex = false;
  f.spaceAfterOperandSeparator = false;
  f.branchLeadingZeros = false;
  f.showBranchSize = false;
  f.smallHexNumbersInDecimal = false;
  f.showZeroDisplacements = true;
  f.firstOperandCharIndex = 7;
  f.uppercaseKeywords = true;
  f.memorySizeOptions = x.MemorySizeOptions.Always;
  f.hexPrefix = "0x";
  f.hexSuffix = "";
  return f;
}

// Where iced-x86's Intel text differs from `objdump -M intel`'s on code vmirom emits: branch targets in bare
// hex, the descriptor-table and flags mnemonics of 32-bit code, invlpg's operand size, string I/O's segments.
const INTEL_SPELLING: Array<[RegExp, string]> = [
  [/^([ls][gi]dt) +FWORD PTR /, "$1d  "],
  [/^(pushf|popf|iret|pusha|popa)d$/, "$1"],
  [/^(imul +)(\w+),(0x[0-9a-f]+)$/, "$1$2,$2,$3"],
  [/^invlpg (\[)/, "invlpg BYTE PTR $1"],
  [/^(rep )?ins[bwd] (\w+ PTR )\[edi\],dx$/, "$1ins $2es:[edi],dx"],
  [/^(rep )?outs[bwd] dx,(\w+ PTR )\[esi\]$/, "$1outs dx,$2ds:[esi]"],
];
const INTEL_ABSOLUTE = /(\w+ PTR )?\[(0x[0-9a-f]+)\]/;
const INTEL_INDEX_WITHOUT_SCALE = /\[(e?[a-z]{2})\+(e?[a-z]{2})(?=[\]+-])/;

/** The opcode byte after any prefixes. */
function opcodeAt(bytes: Uint8Array, at: number): number | undefined {
  let p = at;
  while (p < bytes.length && [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf2, 0xf3].includes(bytes[p]!)) p++;
  return bytes[p];
}

/**
 * `branch`: a near relative jump, branch or call (objdump writes its target in bare hex); the bytes tell the
 * forms objdump spells apart: mov's moffs (A0–A3: no size, ds:addr) and the shift-by-one (D0/D1: `,1`).
 */
export function objdumpIntelSpelling(text: string, bits: 16 | 32, branch: boolean, bytes: Uint8Array, at: number): string {
  if (branch) return text.replace(/0x([0-9a-f]+)$/, "$1");
  if (text === "ret far") return "retf";
  if (bits !== 32) return text;
  const op = opcodeAt(bytes, at);
  const moffs = op !== undefined && op >= 0xa0 && op <= 0xa3;
  let t = text;
  for (const [re, to] of INTEL_SPELLING) if (re.test(t)) t = t.replace(re, to);
  if (op === 0xd0 || op === 0xd1) t = t.replace(/,0x1$/, ",1");
  // objdump writes an absolute address with its segment (ds:0x…), and without the size for mov's moffs form.
  if (t.includes("[0x")) t = t.replace(INTEL_ABSOLUTE, (_m, size: string | undefined, addr: string) => `${moffs ? "" : (size ?? "")}ds:${addr}`);
  return t.replace(INTEL_INDEX_WITHOUT_SCALE, "[$1+$2*1");
}
