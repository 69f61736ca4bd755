// The one x86 decoder: iced-x86 (WebAssembly), used by the checker and by the readers (src/inspect), never
// vmirom's own assembler or its opcode table, so a bug in the encoder cannot hide itself here. Decoded
// instructions are turned into plain objects and cached per offset, so exploring code costs at most one
// decode per byte of the image whatever the bytes are.

import type * as IcedModule from "iced-x86";
import { iced } from "./iced.ts";
import { objdumpFormatter, objdumpIntelFormatter, objdumpIntelSpelling, objdumpSpelling } from "./objdump-text.ts";

/**
 * How control leaves an instruction.
 * - next: falls through (also int n, indirect calls, vmcall: they come back)
 * - jump: unconditional jmp of any kind (target set for a near relative one)
 * - branch: conditional (jcc, loop, jecxz): target and fall-through
 * - call: near relative call (target) that returns to the next instruction
 * - return: ret, ret imm16, retf, iret, sysexit
 * - trap: ud2 (and ud0/ud1)
 */
export type Flow = "next" | "jump" | "branch" | "call" | "return" | "trap";

export interface DecodedInstruction {
  offset: number;
  length: number;
  /** "truncated" when the instruction runs past the end of the image. */
  status: "ok" | "invalid" | "truncated";
  mnemonic: string;
  flow: Flow;
  /** Ends a path: nothing falls through to the next instruction. */
  terminator: boolean;
  /** Image offset a near relative jump/branch/call goes to (wrapped to the code size, like the CPU). */
  target?: number;
  /** A 32-bit memory displacement (`[ecx + eax*4 + 0xa9c]`): where GetRelocationInfo reads its table. */
  disp?: number;
  /** objdump's text of the instruction, when the decoder was asked for text (the readers' listings). */
  text?: string;
}

export interface DecoderOptions {
  /** Also spell each instruction as objdump does (`text`); the checker never needs it. */
  text?: boolean;
  /** The text's syntax: objdump's default (AT&T) or its `-M intel`. */
  syntax?: "att" | "intel";
}

export class X86Decoder {
  private readonly iced = iced();
  private readonly decoder: IcedModule.Decoder;
  private readonly instruction = new this.iced.Instruction();
  private readonly cache = new Map<number, DecodedInstruction>();
  private readonly formatter: IcedModule.Formatter | undefined;
  private readonly intel: boolean;

  constructor(
    private readonly bytes: Uint8Array,
    readonly bitness: 16 | 32,
    options: DecoderOptions = {},
  ) {
    this.decoder = new this.iced.Decoder(bitness, bytes, this.iced.DecoderOptions.None);
    this.intel = options.syntax === "intel";
    this.formatter = options.text ? (this.intel ? objdumpIntelFormatter(this.iced) : objdumpFormatter(this.iced)) : undefined;
  }

  /** The instruction starting at image offset `offset` (the ROM is addressed from its first byte). */
  at(offset: number): DecodedInstruction {
    const cached = this.cache.get(offset);
    if (cached) return cached;
    const decoded = this.decode(offset);
    this.cache.set(offset, decoded);
    return decoded;
  }

  free(): void {
    this.formatter?.free();
    this.instruction.free();
    this.decoder.free();
  }

  private decode(offset: number): DecodedInstruction {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      return { offset, length: 0, status: "truncated", mnemonic: "", flow: "next", terminator: false, target: undefined, disp: undefined, text: undefined };
    }
    const iced = this.iced;
    const d = this.decoder;
    const ins = this.instruction;
    d.position = offset;
    d.ip = BigInt(offset);
    d.decodeOut(ins);
    const length = ins.length;
    if (ins.isInvalid) {
      const status = d.lastError === iced.DecoderError.NoMoreBytes ? "truncated" : "invalid";
      return {
        offset,
        length: Math.max(1, length),
        status,
        mnemonic: "",
        flow: "next",
        terminator: false,
        target: undefined,
        disp: undefined,
        text: undefined,
      };
    }
    const mnemonic = iced.Mnemonic[ins.mnemonic] ?? "?";
    let flow: Flow = "next";
    let terminator = false;
    let target: number | undefined;
    switch (ins.flowControl) {
      case iced.FlowControl.UnconditionalBranch:
        flow = "jump";
        terminator = true;
        if (ins.isJmpShortOrNear) target = Number(ins.nearBranchTarget);
        break;
      case iced.FlowControl.IndirectBranch:
        flow = "jump";
        terminator = true;
        break;
      case iced.FlowControl.ConditionalBranch:
        flow = "branch";
        target = Number(ins.nearBranchTarget);
        break;
      case iced.FlowControl.Return:
        flow = "return";
        terminator = true;
        break;
      case iced.FlowControl.Exception:
        flow = "trap";
        terminator = true;
        break;
      case iced.FlowControl.Call:
        // Far calls, vmcall, sysenter: control comes back (or never leaves the guest's view).
        if (ins.isCallNear) {
          flow = "call";
          target = Number(ins.nearBranchTarget);
        }
        break;
    }
    // Only 4-byte displacements can name an image offset (and reading one costs a call into WebAssembly).
    const disp = ins.memoryDisplSize === 4 ? Number(ins.memoryDisplacement) >>> 0 : undefined;
    const text = !this.formatter
      ? undefined
      : this.intel
        ? objdumpIntelSpelling(this.formatter.format(ins), this.bitness, target !== undefined, this.bytes, offset)
        : objdumpSpelling(this.formatter.format(ins), this.bitness);
    // One object shape for every instruction keeps this hot path fast.
    return { offset, length, status: "ok", mnemonic, flow, terminator, target, disp, text };
  }
}
