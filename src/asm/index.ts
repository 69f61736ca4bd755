// Public surface of the assembler: the DSL, operands, and the results of assembling.
export * from "./operands.ts";
export { Assembler, type AssemblerOptions, type Mnemonics } from "./assembler.ts";
export { far, type FarPtr, type Bits } from "./encoder.ts";
export type { AssembleOptions, AssembleResult, AsmSymbol, Placed } from "./layout.ts";
export { formatListing, formatInstruction } from "./listing.ts";
export { setStackPositions, type StackPositions } from "./source.ts";
