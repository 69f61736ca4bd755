// After the last test: checks that span the whole run, then the END line and the exit status.

import { eax, ecx, edi } from "../src/asm/index.ts";
import type { GuestAsm } from "./emitter.ts";
import type { BackendExpectations } from "./expect/types.ts";
import { EXIT, MEM, SHARED_PAGES } from "./memory.ts";

export function emitFinalChecks(g: GuestAsm, e: BackendExpectations): void {
  const a = g.a;
  if (e.sharedAreaUntouched) {
    const clean = a.newLabel();
    a.mov(edi, MEM.sharedBacking);
    a.mov(ecx, (SHARED_PAGES * 0x1000) / 4);
    a.xor(eax, eax);
    a.cld();
    a.repe().scasd();
    a.je(clean);
    a.sub(edi, 4 + MEM.sharedBacking);
    g.printKeyHex("GUEST: FAIL test=final call=- path=- got=", edi);
    g.print(" want=0x00000000 what=the shared area was written at this offset\n");
    a.inc(g.v("fail_count"));
    a.label(clean);
  }
  const fail = a.newLabel();
  a.cmp(g.v("fail_count"), 0);
  a.jne(fail);
  g.print("GUEST: END result=pass\n");
  a.push(EXIT.pass);
  a.call(g.rt.exit);
  a.label(fail);
  g.printKeyDec("GUEST: END result=fail fails=", g.v("fail_count"));
  g.print("\n");
  a.push(EXIT.fail);
  a.call(g.rt.exit);
}
