// Re-exports for tests that record deliberately wrong (untyped) instructions.
export * from "../../src/asm/index.ts";
export type { AnyOperand as AnyOp } from "../../src/asm/operands.ts";
