// Public surface of the assembler: the DSL, operands, and the results of assembling.
export * from "./operands.ts";
export { Assembler, type AssemblerOptions } from "./assembler.ts";
export type { BranchSize, Mnemonic, Mnemonics } from "./signatures.ts";
export type { AssembleOptions, AssembleResult, AsmSymbol, Placed } from "./layout.ts";
export { formatListing, formatInstruction } from "./listing.ts";
export { formatGas, gasSymbol, type GasOptions } from "./gas.ts";
export { encodeElf, programLines, programSymbols, type ElfInput, type ElfSymbol, type LineRow } from "./elf.ts";
export { setStackPositions, type StackPositions } from "./source.ts";
