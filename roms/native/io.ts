// Port I/O: EDX = port, EAX = value; the string forms take ESI/EDI, ECX and the direction flag like the
// instructions (rep). api3 spells the dword forms INL/OUTL/INSL/OUTSL, api13 IN/OUT/INS/OUTS.

import { al, ax, dx, eax, type Assembler } from "../../src/asm/index.ts";
import type { Body } from "../../src/image/program.ts";
import { thenReturn } from "../shared/bodies.ts";

const POST_PORT = 0x80; // the classic I/O delay: a write to the POST diagnostic port

const repeated = (op: (a: Assembler) => void): Body => thenReturn((a) => op(a.rep()));

const inDword = thenReturn((a) => a.in(eax, dx));
const outDword = thenReturn((a) => a.out(dx, eax));
const insDword = repeated((a) => a.insd());
const outsDword = repeated((a) => a.outsd());

export const ioCalls = {
  INL: inDword,
  IN: inDword,
  INB: thenReturn((a) => a.in(al, dx)),
  INW: thenReturn((a) => a.in(ax, dx)),
  OUTL: outDword,
  OUT: outDword,
  OUTB: thenReturn((a) => a.out(dx, al)),
  OUTW: thenReturn((a) => a.out(dx, ax)),
  INSL: insDword,
  INS: insDword,
  INSB: repeated((a) => a.insb()),
  INSW: repeated((a) => a.insw()),
  OUTSL: outsDword,
  OUTS: outsDword,
  OUTSB: repeated((a) => a.outsb()),
  OUTSW: repeated((a) => a.outsw()),
  IODelay: thenReturn((a) => a.out(POST_PORT, al)),
} satisfies Record<string, Body>;
