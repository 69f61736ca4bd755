// What a fixed area (call slot, jump point) holds, from its first bytes, and where its code leaves it: the
// checker (src/check/stubs.ts, bodies.ts) and the readers (src/inspect/disassemble.ts, model.ts) classify
// slots and find the code they reach by these rules, the ROM format's (VMware's ROM and vmirom's builder
// write exactly these shapes).

import type { DecodedInstruction } from "./x86-decoder.ts";

const UD2_0 = 0x0f;
const UD2_1 = 0x0b;
const JMP_REL32 = 0xe9;
/** Bytes of an out-of-line stub: e9 rel32, 0f 0b. */
export const OUT_OF_LINE_SIZE = 7;

/**
 * absent: `ud2` (the backend leaves the call out); outOfLine: `jmp rel32; ud2` (the body is elsewhere, at
 * `target`); code: anything else, which is inline code or malformed — decoding tells which.
 */
export type SlotShape = { kind: "absent"; used: 2 } | { kind: "outOfLine"; used: typeof OUT_OF_LINE_SIZE; target: number } | { kind: "code" };

/** The shape of the `size` bytes at `offset` (the caller has checked they lie inside the image). */
export function slotShape(bytes: Uint8Array, offset: number, size: number): SlotShape {
  const b0 = bytes[offset];
  if (size >= 2 && b0 === UD2_0 && bytes[offset + 1] === UD2_1) return { kind: "absent", used: 2 };
  if (size >= OUT_OF_LINE_SIZE && isOutOfLineJump(bytes, offset)) {
    const rel = bytes[offset + 1]! | (bytes[offset + 2]! << 8) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 24);
    return { kind: "outOfLine", used: OUT_OF_LINE_SIZE, target: offset + 5 + rel };
  }
  return { kind: "code" };
}

/** `jmp rel32; ud2` at `offset`. */
export function isOutOfLineJump(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === JMP_REL32 && bytes[offset + 5] === UD2_0 && bytes[offset + 6] === UD2_1;
}

/**
 * A branch or call of an area's code whose target lies outside the area: a call reaches a routine; a jump,
 * conditional or not, the call's cold part or a shared routine (code-owners.ts decides which).
 */
export interface AreaExit {
  /** Offset of the branch or call. */
  from: number;
  /** Offset of the instruction after it (a call to it is the call/pop idiom, not an exit to a routine). */
  next: number;
  target: number;
  flow: "call" | "jump" | "branch";
}

/** The exits of the code of the area [start, end), in instruction order. */
export function areaExits(code: Iterable<DecodedInstruction>, start: number, end: number): AreaExit[] {
  const out: AreaExit[] = [];
  for (const ins of code) {
    const t = ins.target;
    if (t === undefined || (t >= start && t < end)) continue;
    if (ins.flow === "call" || ins.flow === "jump" || ins.flow === "branch")
      out.push({ from: ins.offset, next: ins.offset + ins.length, target: t, flow: ins.flow });
  }
  return out;
}
