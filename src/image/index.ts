// Public surface of the image machinery: build a ROM from a backend program and a layout.
export { buildImage, type BuiltImage } from "./build.ts";
export type { Body, BodyContext, HypervisorName, RomProgram, SharedRoutine } from "./program.ts";
export { stableJson, sha256Hex } from "./manifest.ts";
export { MAX_BODY_SIZE, OUT_OF_LINE_STUB_SIZE } from "./plan.ts";
export { paddedSize, byteSum, ROM_BLOCK } from "./checksum.ts";
export { renderGas, headerSymbols } from "./gas.ts";
export type { LaidOutImage } from "./laid-out.ts";
export { renderElf } from "./elf.ts";
