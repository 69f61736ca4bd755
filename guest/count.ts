// Instruction counting with the trap flag: from the call into the ROM to its return, every instruction
// raises #DB and the handler (traps.ts) counts those executed at ROM addresses. Start and end touch no
// general register and keep the flags apart from TF, so they can bracket a call with live arguments and
// results in EAX/EDX/ECX.

import { dword, eax, esp } from "../src/asm/index.ts";
import type { GuestAsm } from "./emitter.ts";

export const TF = 0x100;

export function emitCountStart(g: GuestAsm): void {
  const a = g.a;
  a.mov(g.v("count"), 0);
  a.mov(g.v("prev_eip"), 0);
  a.push(eax);
  a.mov(eax, g.v("hc_seq"));
  a.mov(g.v("hc_mark"), eax);
  a.pop(eax);
  a.mov(g.v("counting"), 1);
  a.pushf();
  a.or(dword(esp, 0), TF);
  a.popf();
}

/**
 * Stops counting and prints `GUEST: COUNT call=.. path=.. instructions=N hypercalls=N tf=kept|lost`
 * plus the fixed `extra` text. "tf=lost" means the call itself cleared TF (iret, sysexit, a popf of a
 * constructed value, a fault): the count then stops where TF went.
 */
export function emitCountEnd(g: GuestAsm, call: string, path: string, extra: string): void {
  const a = g.a;
  a.pushf();
  a.push(eax);
  a.mov(eax, dword(esp, 4));
  a.and(eax, TF);
  a.mov(g.v("tf_after"), eax);
  a.pop(eax);
  a.and(dword(esp, 0), ~TF >>> 0);
  a.popf();
  a.mov(g.v("counting"), 0);
  a.pushf();
  a.push(eax);
  a.mov(eax, g.v("hc_seq"));
  a.sub(eax, g.v("hc_mark"));
  a.mov(g.v("hc_delta"), eax);
  a.pop(eax);
  // EFLAGS stays saved over the report: a call's flag results must survive it.
  g.print(`GUEST: COUNT call=${call} path=${path} instructions=`);
  g.printDec(g.v("count"));
  g.printKeyDec(" hypercalls=", g.v("hc_delta"));
  const kept = a.newLabel(),
    done = a.newLabel();
  a.cmp(g.v("tf_after"), 0);
  a.jne(kept);
  g.print(" tf=lost");
  a.jmp(done);
  a.label(kept);
  g.print(" tf=kept");
  a.label(done);
  g.print(`${extra}\n`);
  a.popf();
}
