// Small body builders every backend needs: calls that do nothing, calls that answer zero, and calls that
// run a few native instructions and return. Backends compose their call tables from these and their own.

import { eax, edx, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";

/** Nothing to do: return to the caller (regparm callers pop their own stack arguments). */
export const justReturn: Body = (a) => a.ret();

/** EAX = 0. */
export const returnZero: Body = (a) => {
  a.xor(eax, eax);
  a.ret();
};

/** EDX:EAX = 0. */
export const returnZero64: Body = (a) => {
  a.xor(eax, eax);
  a.xor(edx, edx);
  a.ret();
};

/** Runs `emit` (native instructions), then returns. */
export function thenReturn(emit: (a: Assembler) => void): Body {
  return (a) => {
    emit(a);
    a.ret();
  };
}
