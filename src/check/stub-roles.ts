// What a stub's code must do, followed through every path (inline code, its body, its cold part,
// tail jumps): Init and GetRelocationInfo return to their caller with `ret` on every path,
// GetRelocationInfo reaches the code that reads the relocation table, and a JUMP_REL answer
// (the guest jumps, nothing to return to) goes with code that never returns with `ret`.

import type { BodyAnalysis } from "./bodies.ts";
import type { NamedRegion } from "./image-regions.ts";
import { RELOC_HEADER_SIZE } from "./image-regions.ts";
import type { RelocEntry } from "./reloc-table.ts";
import type { Stub } from "./stubs.ts";
import { hex, report, type ViolationSink } from "./violation.ts";
import type { DecodedInstruction } from "../decode/x86-decoder.ts";

/** Far more than any stub's code; only a guard against pathological images. */
const MAX_WALK = 1 << 16;

interface Walk {
  /** Terminators reached, by offset. */
  ends: DecodedInstruction[];
  /** Every instruction reached. */
  reached: DecodedInstruction[];
}

/** Paths from a stub: through jumps and branches; into called routines only with `intoCalls`. */
function walk(stub: Stub, bodies: BodyAnalysis, inlineCode: Map<number, DecodedInstruction>, intoCalls: boolean): Walk {
  const result: Walk = { ends: [], reached: [] };
  const at = (o: number): DecodedInstruction | undefined => inlineCode.get(o) ?? bodies.decoded.get(o);
  const seen = new Set<number>();
  const stack: number[] = [];
  if (stub.kind === "inline") stack.push(stub.offset);
  else if (stub.kind === "outOfLine" && stub.target !== undefined) stack.push(stub.target);
  for (let off = stack.pop(); off !== undefined && seen.size < MAX_WALK; off = stack.pop()) {
    if (seen.has(off)) continue;
    seen.add(off);
    const ins = at(off);
    if (!ins) continue; // not explored: reported by the stub or body rules
    result.reached.push(ins);
    if (ins.target !== undefined && (ins.flow !== "call" || intoCalls)) stack.push(ins.target);
    if (ins.terminator) {
      if (ins.target === undefined) result.ends.push(ins);
    } else stack.push(off + ins.length);
  }
  return result;
}

export function checkStubRoles(
  stubs: Stub[],
  bodies: BodyAnalysis,
  relocTable: NamedRegion | undefined,
  relocs: Map<number, RelocEntry>,
  out: ViolationSink,
): void {
  const inlineCode = new Map<number, DecodedInstruction>();
  for (const s of stubs) if (s.kind === "inline") for (const i of s.code) inlineCode.set(i.offset, i);
  for (const stub of stubs) {
    if (stub.kind !== "inline" && stub.kind !== "outOfLine") continue;
    if (stub.role) {
      const paths = walk(stub, bodies, inlineCode, false);
      const bad = paths.ends.find((i) => i.mnemonic !== "Ret");
      if (bad) {
        report(
          out,
          `${stub.area}.return`,
          stub.region,
          bad.offset,
          "ret on every path",
          bad.mnemonic.toLowerCase(),
          `${stub.name} is called by the guest and must return to it with ret on every path`,
        );
      }
    }
    if (stub.role === "getRelocationInfo" && relocTable) {
      const first = relocTable.offset + RELOC_HEADER_SIZE;
      const end = relocTable.offset + relocTable.size;
      const reads = walk(stub, bodies, inlineCode, true).reached.some((i) => i.disp !== undefined && i.disp >= first && i.disp < end);
      if (!reads) {
        report(
          out,
          `${stub.area}.reloc-read`,
          stub.region,
          stub.offset,
          `code reading the relocation entries at ${hex(first)}..${hex(end)}`,
          "none reached",
          `${stub.region} does not reach the routine that reads the relocation table`,
        );
      }
    }
    const reloc = stub.number === undefined ? undefined : relocs.get(stub.number);
    if (reloc?.typeName === "JUMP_REL" && reloc.allowed) {
      const ret = walk(stub, bodies, inlineCode, false).ends.find((i) => i.mnemonic === "Ret");
      if (ret) {
        report(
          out,
          "reloc.form",
          stub.region,
          ret.offset,
          "iret, sysexit or a jump (the guest jumps here: JUMP_REL)",
          "ret",
          `the relocation of ${stub.region} says JUMP_REL, but its code returns with ret to a caller that never called it`,
        );
      }
    }
  }
}
