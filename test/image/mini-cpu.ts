// A tiny 32-bit x86 interpreter for running small ROM routines in tests (GetRelocationInfo): it decodes
// with iced-x86 (not vmirom's assembler) and executes the handful of integer instructions such routines
// use; anything else throws, so an unexpected instruction fails the test instead of being skipped.
// The ROM is mapped read-only at a chosen linear address; the stack is a separate writable area.

import { createRequire } from "node:module";
import type * as IcedModule from "iced-x86";

const iced = createRequire(import.meta.url)("iced-x86") as typeof IcedModule;
const { Mnemonic: M, OpKind, Register: R } = iced;

export type Reg = "eax" | "ecx" | "edx" | "ebx" | "esp" | "ebp" | "esi" | "edi";
export type Regs = Record<Reg, number>;

const REG_OF = new Map<number, Reg>([
  [R.EAX, "eax"],
  [R.ECX, "ecx"],
  [R.EDX, "edx"],
  [R.EBX, "ebx"],
  [R.ESP, "esp"],
  [R.EBP, "ebp"],
  [R.ESI, "esi"],
  [R.EDI, "edi"],
]);

export interface RunResult {
  regs: Regs;
  steps: number;
}

/** Memory the routine may touch: the ROM (read-only) and the stack (read-write). */
class Memory {
  private readonly stack = new Map<number, number>();
  constructor(
    private readonly rom: Uint8Array,
    private readonly base: number,
  ) {}
  read(addr: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.byte((addr + i) >>> 0);
    return v >>> 0;
  }
  write(addr: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const a = (addr + i) >>> 0;
      if (a >= this.base && a < this.base + this.rom.length) throw new Error(`write to the ROM at 0x${a.toString(16)}`);
      this.stack.set(a, (value >>> (8 * i)) & 0xff);
    }
  }
  private byte(a: number): number {
    if (a >= this.base && a < this.base + this.rom.length) return this.rom[a - this.base]!;
    const v = this.stack.get(a);
    if (v === undefined) throw new Error(`read of unmapped or unwritten memory at 0x${a.toString(16)}`);
    return v;
  }
}

/**
 * Calls the routine at ROM offset `entry` with the ROM mapped at `base` and returns the registers when it
 * returns to the caller. A sentinel return address detects the final `ret`. `cr0` is what `mov r32, cr0` reads
 * (default: protected mode with paging on); `cr4` what `mov r32, cr4` reads (absent: reading CR4 throws).
 */
export function callRoutine(rom: Uint8Array, base: number, entry: number, regsIn: Regs, maxSteps = 1000, cr0 = 0x80000011, cr4?: number): RunResult {
  const mem = new Memory(rom, base);
  const regs: Regs = { ...regsIn };
  const RETURN_TO = 0xdead0000;
  regs.esp = (regs.esp - 4) >>> 0;
  mem.write(regs.esp, 4, RETURN_TO);
  let eip = (base + entry) >>> 0;
  let zf = false;
  let cf = false;
  let sf = false;
  const decoder = new iced.Decoder(32, rom, iced.DecoderOptions.None);
  const ins = new iced.Instruction();
  try {
    for (let steps = 1; steps <= maxSteps; steps++) {
      if (eip === RETURN_TO) return { regs, steps };
      const off = eip - base;
      if (off < 0 || off >= rom.length) throw new Error(`execution left the ROM at 0x${eip.toString(16)}`);
      decoder.position = off;
      decoder.ip = BigInt(eip);
      decoder.decodeOut(ins);
      if (ins.isInvalid) throw new Error(`invalid instruction at 0x${eip.toString(16)}`);
      const next = (eip + ins.length) >>> 0;
      const reg = (i: number): Reg => {
        const r = REG_OF.get(ins.opRegister(i));
        if (!r) throw new Error(`unsupported register operand at 0x${eip.toString(16)}`);
        return r;
      };
      const address = (): number => {
        let a = Number(BigInt.asUintN(32, ins.memoryDisplacement));
        if (ins.memoryBase !== R.None) a += regs[REG_OF.get(ins.memoryBase)!];
        if (ins.memoryIndex !== R.None) a += regs[REG_OF.get(ins.memoryIndex)!] * ins.memoryIndexScale;
        return a >>> 0;
      };
      const value = (i: number): number => {
        const k = ins.opKind(i);
        if (k === OpKind.Register) return regs[reg(i)];
        if (k === OpKind.Memory) return mem.read(address(), ins.memorySize === iced.MemorySize.UInt8 ? 1 : ins.memorySize === iced.MemorySize.UInt16 ? 2 : 4);
        if (k === OpKind.Immediate8to32 || k === OpKind.Immediate32 || k === OpKind.Immediate8) return Number(BigInt.asUintN(32, ins.immediate(i)));
        throw new Error(`unsupported operand kind ${k} at 0x${eip.toString(16)}`);
      };
      const arith = (result: number, a: number, b: number, sub: boolean): number => {
        const r = result >>> 0;
        zf = r === 0;
        sf = r >= 0x80000000;
        cf = sub ? a >>> 0 < b >>> 0 : result > 0xffffffff;
        return r;
      };
      eip = next;
      switch (ins.mnemonic) {
        case M.Mov:
          if (ins.opKind(1) === OpKind.Register && ins.opRegister(1) === R.CR0) regs[reg(0)] = cr0 >>> 0;
          else if (ins.opKind(1) === OpKind.Register && ins.opRegister(1) === R.CR4 && cr4 !== undefined) regs[reg(0)] = cr4 >>> 0;
          else regs[reg(0)] = value(1);
          break;
        case M.Movzx:
          regs[reg(0)] = value(1);
          break;
        case M.Xor:
        case M.And:
        case M.Or: {
          const x = value(0),
            y = value(1);
          const r = (ins.mnemonic === M.Xor ? x ^ y : ins.mnemonic === M.And ? x & y : x | y) >>> 0;
          zf = r === 0;
          sf = r >= 0x80000000;
          cf = false;
          regs[reg(0)] = r;
          break;
        }
        case M.Add:
          regs[reg(0)] = arith(value(0) + value(1), value(0), value(1), false);
          break;
        case M.Sub:
          regs[reg(0)] = arith(value(0) - value(1), value(0), value(1), true);
          break;
        case M.Cmp:
          arith(value(0) - value(1), value(0), value(1), true);
          break;
        case M.Test: {
          const r = (value(0) & value(1)) >>> 0;
          zf = r === 0;
          sf = r >= 0x80000000;
          cf = false;
          break;
        }
        case M.Push:
          regs.esp = (regs.esp - 4) >>> 0;
          mem.write(regs.esp, 4, value(0));
          break;
        case M.Pop:
          regs[reg(0)] = mem.read(regs.esp, 4);
          regs.esp = (regs.esp + 4) >>> 0;
          break;
        case M.Call:
          regs.esp = (regs.esp - 4) >>> 0;
          mem.write(regs.esp, 4, next);
          eip = Number(ins.nearBranchTarget);
          break;
        case M.Ret:
          eip = mem.read(regs.esp, 4);
          regs.esp = (regs.esp + 4) >>> 0;
          break;
        case M.Jmp:
          eip = Number(ins.nearBranchTarget);
          break;
        case M.Jae:
          if (!cf) eip = Number(ins.nearBranchTarget);
          break;
        case M.Jb:
          if (cf) eip = Number(ins.nearBranchTarget);
          break;
        case M.Je:
          if (zf) eip = Number(ins.nearBranchTarget);
          break;
        case M.Jne:
          if (!zf) eip = Number(ins.nearBranchTarget);
          break;
        case M.Js:
          if (sf) eip = Number(ins.nearBranchTarget);
          break;
        case M.Jns:
          if (!sf) eip = Number(ins.nearBranchTarget);
          break;
        default:
          throw new Error(`unsupported instruction ${iced.Mnemonic[ins.mnemonic]} at 0x${(next - ins.length).toString(16)}`);
      }
    }
    throw new Error(`no return after ${maxSteps} steps`);
  } finally {
    ins.free();
    decoder.free();
  }
}
