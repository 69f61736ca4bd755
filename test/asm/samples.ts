// Representative operands for each operand token of the opcode table: registers, every addressing form
// (disp0/8/32, negative displacements, SIB, index without base, absolute, segment override), and
// immediates at the imm8/imm16/imm32 boundaries.
import {
  ah,
  al,
  ax,
  bh,
  bp,
  bx,
  cl,
  cr0,
  cr2,
  cr3,
  cr4,
  cs,
  cx,
  di,
  dr0,
  dr3,
  dr7,
  ds,
  dx,
  eax,
  ebp,
  ebx,
  ecx,
  edi,
  edx,
  es,
  esi,
  esp,
  far,
  fs,
  fword,
  gs,
  mem,
  si,
  sp,
  ss,
  byte,
  word,
  dword,
  qword,
  type Expr,
  type MemSize,
} from "../../src/asm/index.ts";
import type { AnyOperand } from "../../src/asm/operands.ts";
import type { Row } from "../../src/asm/rows.ts";

type Sized = (size: MemSize) => AnyOperand[];
const mems: Sized = (size) => {
  const mk = size === 8 ? byte : size === 16 ? word : size === 32 ? dword : size === 64 ? qword : size === 48 ? fword : mem;
  return [
    mk(eax),
    mk(ebx, 0x10),
    mk(ecx, -0x10),
    mk(edx, 0x12345678),
    mk(esi, -0x1000),
    mk(esp),
    mk(esp, 8),
    mk(ebp),
    mk(ebp, -4),
    mk({ base: eax, index: ecx, scale: 4 }),
    mk({ base: ebx, index: esi, scale: 8, disp: 0x7f }),
    mk({ index: edi, scale: 2, disp: 0x100 }),
    mk(0x1234),
    mk({ base: edi, seg: fs, disp: 0x80 }),
    mk({ base: esp, index: ebp, scale: 1, disp: -0x81 }),
    mk({ seg: gs, disp: 0x10 }),
  ];
};
const mems16: Sized = (size) => {
  const mk = size === 8 ? byte : size === 16 ? word : size === 32 ? dword : mem;
  return [mk({ base: bx, index: si }), mk({ base: bp, index: di, disp: 4 }), mk(si), mk(bp), mk(bx, 0x1234), mk(0x1234)];
};

const R8 = [al, cl, bh, ah],
  R16 = [ax, cx, si, sp, bp],
  R32 = [eax, ecx, edx, ebx, esp, ebp, esi, edi];
const IMM8 = [0, 1, 0x7f, -0x80, 0xff, -1, 0x80];
const IMM16 = [0x1234, 0xffff, -1, 0x80, -0x8000, 2];
const IMM32 = [0x12345678, 0x80, -0x81, 0xffffffff, -1, 0x7f, 0x10000];

export function samplesFor(tok: string, bits: 16 | 32): AnyOperand[] {
  const m = bits === 16 ? mems16 : mems;
  switch (tok) {
    case "r8":
      return R8;
    case "r16":
      return R16;
    case "r32":
      return R32;
    case "rm8":
      return [...R8, ...m(8)];
    case "rm16":
      return [...R16, ...m(16)];
    case "rm32":
      return [...R32, ...m(32)];
    case "m":
      return m(0);
    case "m8":
      return m(8);
    case "m16":
      return m(16);
    case "m32":
      return m(32);
    case "m64":
      return m(64);
    case "mfar":
      return m(48);
    case "moffs8":
      return [byte(0x1234), byte({ seg: es, disp: 0x10 })];
    case "moffs16":
      return [word(0x1234)];
    case "moffs32":
      return [dword(0x12345678), dword({ seg: fs, disp: 4 })];
    case "imm8":
      return IMM8;
    case "imm16":
      return IMM16;
    case "imm32":
      return IMM32;
    case "one":
      return [1];
    case "three":
      return [3];
    case "AL":
      return [al];
    case "AX":
      return [ax];
    case "EAX":
      return [eax];
    case "CL":
      return [cl];
    case "DX":
      return [dx];
    case "sreg":
      return [es, ss, ds, fs, gs];
    case "ES":
      return [es];
    case "CS":
      return [cs];
    case "SS":
      return [ss];
    case "DS":
      return [ds];
    case "FS":
      return [fs];
    case "GS":
      return [gs];
    case "creg":
      return [cr0, cr2, cr3, cr4];
    case "dreg":
      return [dr0, dr3, dr7];
    case "ptr":
      return [far(0x08, 0x12345678), far(0x10, 0)];
    default:
      return []; // rel8/rel32 are tested with labels
  }
}

/** Up to `limit` operand combinations for a row, spread over the cartesian product. */
export function combos(row: Row, bits: 16 | 32, limit = 48): AnyOperand[][] {
  const lists = row.toks.map((t) => samplesFor(t, bits));
  if (lists.some((l) => l.length === 0)) return [];
  const total = lists.reduce((n, l) => n * l.length, 1);
  const out: AnyOperand[][] = [];
  const step = Math.max(1, Math.floor(total / limit));
  for (let k = 0; k < total && out.length < limit; k += step) {
    let x = k;
    out.push(
      lists.map((l) => {
        const v = l[x % l.length]!;
        x = Math.floor(x / l.length);
        return v;
      }),
    );
  }
  // Also pair the i-th sample of every list, so short lists are all covered.
  const longest = Math.max(...lists.map((l) => l.length), 0);
  for (let i = 0; i < longest; i++) out.push(lists.map((l) => l[i % l.length]!));
  return out;
}

export type { Expr };
