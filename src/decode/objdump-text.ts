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

const SPELLING: Array<[RegExp, string]> = [
  [/%dr([0-7])/g, "%db$1"],
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
  if (t.includes("%dr")) t = t.replace(SPELLING[0]![0], SPELLING[0]![1]);
  if (first === 0x69 /* i */ || first === 0x6f /* o */ || first === 0x72 /* r */) {
    for (let i = 1; i < SPELLING.length; i++) t = t.replace(SPELLING[i]![0], SPELLING[i]![1]);
  }
  if (t.includes(",%")) t = t.replace(INDEX_WITHOUT_SCALE, (_m, base: string | undefined, index: string) => `(${base ?? ""},${index},1)`);
  // objdump names the 32-bit operand size of lgdt/sgdt/lidt/sidt; keep the operand column aligned.
  if (bits === 32 && (first === 0x6c /* l */ || first === 0x73 /* s */)) t = t.replace(DT_SUFFIX, (_m, op: string, space: string) => `${op}l${space.length > 1 ? space.slice(1) : " "}`);
  return t;
}
