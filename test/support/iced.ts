// iced-x86 (WebAssembly) as an independent decoder. Formatter options make its GAS output equal objdump's
// on ordinary code (uppercaseHex, spaceAfterOperandSeparator, branchLeadingZeros, showBranchSize and
// smallHexNumbersInDecimal off, showZeroDisplacements on: no difference over 500,001 instructions measured
// against binutils 2.40; on random bytes they still disagree, so compare only code we emit).
import { createRequire } from "node:module";
import { normalizeText, type Decoded } from "./tools.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iced = require("iced-x86") as typeof import("iced-x86");

export function icedDecode(bytes: Uint8Array, bits: 16 | 32 = 32, origin = 0): Decoded[] {
  const decoder = new iced.Decoder(bits, bytes, iced.DecoderOptions.None);
  decoder.ip = BigInt(origin);
  const fmt = new iced.Formatter(iced.FormatterSyntax.Gas);
  fmt.uppercaseHex = false;
  fmt.spaceAfterOperandSeparator = false;
  fmt.branchLeadingZeros = false;
  fmt.showBranchSize = false;
  fmt.smallHexNumbersInDecimal = false;
  fmt.showZeroDisplacements = true;
  const out: Decoded[] = [];
  const instr = new iced.Instruction();
  while (decoder.canDecode) {
    decoder.decodeOut(instr);
    out.push({ offset: Number(instr.ip) - origin, length: instr.length, text: fmt.format(instr) });
  }
  instr.free();
  fmt.free();
  decoder.free();
  return out;
}

/**
 * iced's GAS formatter differs from objdump in spelling only (measured, see the top of this file): it omits a scale of 1, implicit
 * %ds:/%es: on string operands, the parentheses of (%dx), spells debug registers %drN, objdump's lgdtl suffix, the
 * destination of imul $i,%r,%r a (useless) segment override on lea,
 * it shows the count of D0/D1 shifts by one, and
 * suffixes push/pop/call/jmp of a 32-bit memory operand, and keeps %ds: after notrack. Fold those.
 */
export function icedSpelling(t: string): string {
  return normalizeText(t)
    .replace(/,1\)/g, ")")
    .replace(/%(ds|es):\(/g, "(")
    .replace(/\(%dx\)/g, "%dx")
    .replace(/%dr([0-7])/g, "%db$1")
    .replace(/^(lgdt|sgdt|lidt|sidt)l /, "$1 ")
    .replace(/^imul (\$[^,]+),(%\w+),\2$/, "imul $1,$2")
    .replace(/^lea %[a-z]s:/, "lea ")
    .replace(/^(rol|ror|rcl|rcr|shl|sar|shr)([bwl]?) \$0x1,/, "$1$2 ")
    .replace(/^(notrack )?(push|pop|call|jmp)l /, "$1$2 ")
    .replace(/^notrack (\S+) \*%ds:/, "notrack $1 *");
}
