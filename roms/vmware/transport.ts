// The one hypercall transport of the vmware backend and the small pieces every body builds on: issuing a
// hypercall (`vmcall`, EAX = number, arguments in EBX, ECX, EDX, ESI, EDI; everything but the result is
// preserved), moving VMI's regparm arguments (EAX, EDX, ECX, then the stack) into those registers while
// keeping regparm's callee-saved EBX/ESI/EDI, and the queue flush (VMIFlush, one hypercall).

import { dword, eax, ebx, ecx, edi, edx, esi, esp, type Assembler, type Reg32 } from "../../src/asm/index.ts";
import type { Body, SharedRoutine } from "../../src/image/program.ts";
import { sharedAddress } from "../../src/layout/shared-area.ts";
import { FLUSH_ROUTINE } from "../shared/paravirt.ts";
import { hc, type HypercallName } from "./hypercalls.ts";

/** mov eax, number; vmcall. */
export function hypercall(a: Assembler, name: HypercallName): void {
  a.mov(eax, hc(name));
  a.vmcall();
}

/** Where a transport argument comes from: a VMI register, or the caller's n-th stack argument (1 = [esp+4] at entry). */
export type ArgSource = Reg32 | { stack: number };

const TRANSPORT_REGS: readonly Reg32[] = [ebx, ecx, edx, esi, edi];
const CALLEE_SAVED = new Set<Reg32>([ebx, esi, edi]);

/**
 * A body that passes its arguments to hypercall `name` and returns its result: `args[i]` fills the i-th
 * transport register. Callee-saved registers the transport needs are pushed and popped around it. `before`
 * runs first (e.g. the queue flush, which preserves EAX, ECX and EDX).
 */
export function viaHypercall(name: HypercallName, args: readonly ArgSource[] = [], before?: (a: Assembler) => void): Body {
  return (a) => {
    before?.(a);
    emitHypercallWith(a, name, args);
    a.ret();
  };
}

/** The moves, the hypercall and the pops of viaHypercall, without the return. */
export function emitHypercallWith(a: Assembler, name: HypercallName, args: readonly ArgSource[]): void {
  const moves = args.map((src, i) => {
    const dst = TRANSPORT_REGS[i];
    if (!dst) throw new Error(`hypercall ${name} is given ${args.length} arguments; the transport has ${TRANSPORT_REGS.length} registers`);
    return { src, dst };
  });
  const saved = moves.map((m) => m.dst).filter((r) => CALLEE_SAVED.has(r));
  for (const r of saved) a.push(r);
  moveArgs(a, moves, 4 * saved.length);
  hypercall(a, name);
  for (const r of [...saved].reverse()) a.pop(r);
}

/**
 * Parallel move of the sources into the targets (registers first, resolving the one cycle the calls need:
 * EDX ↔ ECX), then stack arguments. `pushed` = bytes pushed since entry.
 */
function moveArgs(a: Assembler, moves: ReadonlyArray<{ src: ArgSource; dst: Reg32 }>, pushed: number): void {
  const regMoves: Array<[Reg32, Reg32]> = [];
  for (const { src, dst } of moves) if (!("stack" in src) && src !== dst) regMoves.push([dst, src]);
  // Emit moves whose destination no pending move still reads; a remaining pair that reads each other is a swap.
  let pending = regMoves;
  for (let first = pending[0]; first !== undefined; first = pending[0]) {
    const ready = pending.find(([dst]) => !pending.some(([, src]) => src === dst));
    if (ready) {
      const [dst, src] = ready;
      a.mov(dst, src);
      pending = pending.filter((m) => m !== ready);
      continue;
    }
    const [dst, src] = first;
    const back = pending.findIndex(([d, s]) => d === src && s === dst);
    if (back < 0) throw new Error("argument moves form a cycle longer than a swap");
    a.xchg(dst, src);
    pending = pending.filter((_, i) => i !== 0 && i !== back);
  }
  for (const { src, dst } of moves) if ("stack" in src) a.mov(dst, dword(esp, pushed + 4 * src.stack));
}

/**
 * VMIFlush: hands the update queue to the hypervisor in one hypercall (FlushQueue, EBX = entries), which
 * applies the entries and sets queueCount to 0. An empty queue costs no hypercall. Preserves every register
 * but the flags (VMIEnqueue and the bodies that flush before their own hypercall rely on EAX, ECX, EDX).
 */
export const flushRoutine: SharedRoutine = {
  name: FLUSH_ROUTINE,
  emit(a, ctx) {
    const count = dword(sharedAddress(ctx.layout.virtualTop, "queueCount"));
    const empty = a.newLabel();
    a.cmp(count, 0);
    a.je(empty);
    a.push(eax);
    a.push(ebx);
    a.mov(ebx, count);
    hypercall(a, "FlushQueue");
    a.pop(ebx);
    a.pop(eax);
    a.label(empty);
    a.ret();
  },
};
