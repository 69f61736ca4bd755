// Output to the debug port (0x402, where SeaBIOS logs too: every guest line starts with "GUEST:")
// and the way out through isa-debug-exit. Arguments are passed on the stack and popped by the
// callee, so a call site needs no free register; the routines preserve every register and EFLAGS.

import { al, bl, dword, dx, eax, ebx, ecx, edx, esi, esp } from "../src/asm/index.ts";
import type { GuestAsm } from "./emitter.ts";
import { DEBUG_PORT, EXIT_PORT } from "./memory.ts";

// pushfd + pushad = 36 bytes, then the return address: the argument is at [esp + 40].
const ARG = 40;

export function emitConsole(g: GuestAsm): void {
  const a = g.a;

  // print_str(ptr): the NUL-terminated string at ptr.
  a.label(g.rt.printStr);
  a.pushf();
  a.pusha();
  a.mov(esi, dword(esp, ARG));
  a.mov(dx, DEBUG_PORT);
  const strLoop = a.newLabel(),
    strDone = a.newLabel();
  a.cld();
  a.label(strLoop);
  a.lodsb();
  a.test(al, al);
  a.je(strDone);
  a.out(dx, al);
  a.jmp(strLoop);
  a.label(strDone);
  a.popa();
  a.popf();
  a.ret(4);

  // print_hex(value): "0x" and eight lowercase hex digits.
  a.label(g.rt.printHex);
  a.pushf();
  a.pusha();
  a.mov(ebx, dword(esp, ARG));
  a.mov(dx, DEBUG_PORT);
  a.mov(al, "0".charCodeAt(0));
  a.out(dx, al);
  a.mov(al, "x".charCodeAt(0));
  a.out(dx, al);
  a.mov(ecx, 8);
  const hexLoop = a.newLabel(),
    digit = a.newLabel();
  a.label(hexLoop);
  a.rol(ebx, 4);
  a.mov(al, bl);
  a.and(al, 0xf);
  a.add(al, "0".charCodeAt(0));
  a.cmp(al, "9".charCodeAt(0));
  a.jbe(digit);
  a.add(al, "a".charCodeAt(0) - "9".charCodeAt(0) - 1);
  a.label(digit);
  a.out(dx, al);
  a.loop(hexLoop);
  a.popa();
  a.popf();
  a.ret(4);

  // print_dec(value): unsigned decimal.
  a.label(g.rt.printDec);
  a.pushf();
  a.pusha();
  a.mov(eax, dword(esp, ARG));
  a.mov(ebx, 10);
  a.xor(ecx, ecx);
  const divLoop = a.newLabel(),
    outLoop = a.newLabel();
  a.label(divLoop);
  a.xor(edx, edx);
  a.div(ebx);
  a.push(edx);
  a.inc(ecx);
  a.test(eax, eax);
  a.jne(divLoop);
  a.mov(dx, DEBUG_PORT);
  a.label(outLoop);
  a.pop(eax);
  a.add(al, "0".charCodeAt(0));
  a.out(dx, al);
  a.loop(outLoop);
  a.popa();
  a.popf();
  a.ret(4);

  // exit(code): the isa-debug-exit value; qemu ends with status (code << 1) | 1. Never returns.
  a.label(g.rt.exit);
  a.mov(eax, dword(esp, 4));
  a.out(EXIT_PORT, al);
  const stop = a.newLabel();
  a.label(stop);
  a.cli();
  a.hlt();
  a.jmp(stop);
}
