// iced-x86 (WebAssembly) as an independent decoder. Formatter options make its GAS output equal objdump's
// on ordinary code (see shared/real-tools.md).
import { createRequire } from "node:module";
import type { Decoded } from "./tools.ts";

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
