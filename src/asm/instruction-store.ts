// The instructions of a program's runs, kept flat in one integer stream. The listing shows every instruction
// with its operands, so they are kept; but a JS object per instruction, alive for the whole program, costs more
// than encoding it. Per instruction: an info word (its form — the row and the registers its operand classes fix —
// code size, length, whether it has a prefix), then the operands the form does not fix — one word for a register
// or a small immediate, two for a memory operand with a constant displacement or a 32-bit immediate; anything
// else (labels, label expressions, far pointers, a label displacement) is kept as the object itself, by index.
// `read` decodes the stream `add` wrote, so its indices (and the decoding tables') are in bounds: `!`, no checks.

import { IntList, objectArray } from "./buffers.ts";
import { FORMS, OPERAND_FIXED, OPERAND_INT, OPERAND_MEM, OPERAND_OBJECT, type Form } from "./forms.ts";
import { REGISTERS, type AnyOperand, type Bits, type MemAny, type MemSize, type Register } from "./operands.ts";
import type { Row } from "./rows.ts";

// Info word: form id in bits 0-19, 16-bit code in bit 20, the length in bits 21-24, a prefix text in bit 25 (the
// text is kept aside: prefixes are rare).
const FORM_MASK = 0xfffff,
  BITS16 = 1 << 20,
  LEN_SHIFT = 21,
  HAS_PREFIX = 1 << 25;

// Operand word 0: a tag in the low 3 bits, then the tag's fields. SMALL, REG and MEM_SHORT take one word; the
// others two. MEM_SHORT is a memory operand whose displacement fits 11 bits (most do): size code in bits 3-5,
// 1 + base and 1 + index register ids in 6-10 and 11-15, scale code in 16-17, segment (1 + its number) in 18-20,
// the displacement in 21-31. Fewer words are fewer fresh pages to touch, which is what a long program pays for.
const REG = 1,
  SMALL = 2,
  INT = 3,
  UINT = 4,
  MEM = 5,
  OBJ = 6,
  MEM_SHORT = 7;
// Memory sizes and scales by their code.
const SIZES: readonly MemSize[] = [0, 8, 16, 32, 48, 64];
const SCALES = [1, 2, 4, 8] as const;

/** One instruction read back from the store. */
export interface StoredInstruction {
  readonly row: Row;
  readonly ops: AnyOperand[];
  readonly bits: Bits;
  readonly prefixText: string;
  readonly length: number;
  readonly src: string | undefined;
}

export class InstructionStore {
  /** The stream: per instruction, its info word and operand words. */
  readonly list = new IntList();
  /** Operands that do not pack, referred to by index. */
  readonly objects: AnyOperand[] = objectArray();
  /** Source line of each instruction (only when the program captures them). */
  readonly src: (string | undefined)[] = objectArray();
  /** Prefix texts ("lock ", "rep "...) of the instructions that have one, by instruction number. */
  readonly prefixTexts = new Map<number, string>();
  count = 0;

  /** Appends an instruction of form f, `length` bytes long, with its operands. */
  add(f: Form, bits: Bits, length: number, prefixText: string, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): void {
    if (f.id > FORM_MASK) throw new Error(`instruction store: more than ${FORM_MASK + 1} instruction forms`);
    const list = this.list;
    list.reserve(7);
    const d = list.data;
    const at = list.length;
    let k = at + 1;
    let info = f.id | (bits === 16 ? BITS16 : 0) | (length << LEN_SHIFT);
    if (prefixText !== "") {
      info |= HAS_PREFIX;
      this.prefixTexts.set(this.count, prefixText);
    }
    // The form's operand classes say what each operand is: only the ones it does not fix are stored.
    const n = f.n,
      kinds = f.kinds;
    if (n > 0 && kinds[0] !== OPERAND_FIXED) k = this.putKind(d, k, x!, kinds[0]!);
    if (n > 1 && kinds[1] !== OPERAND_FIXED) k = this.putKind(d, k, y!, kinds[1]!);
    if (n > 2 && kinds[2] !== OPERAND_FIXED) k = this.putKind(d, k, z!, kinds[2]!);
    d[at] = info;
    list.length = k;
    this.count++;
  }

  /** Writes one operand of a known kind at d[k]; returns the position after it. */
  private putKind(d: Int32Array, k: number, o: AnyOperand, kind: number): number {
    if (kind === OPERAND_INT) {
      // An integer class: within [-2^31, 2^32).
      const v = o as number;
      if (v >= -0x10000000 && v < 0x10000000) {
        d[k] = SMALL | (v << 3);
        return k + 1;
      }
      d[k] = v <= 0x7fffffff ? INT : UINT;
      d[k + 1] = v | 0;
      return k + 2;
    }
    if (kind === OPERAND_MEM) return this.putMem(d, k, o as MemAny);
    if (kind === OPERAND_OBJECT) return this.putObject(d, k, o);
    return this.put(d, k, o);
  }

  /** Writes a memory operand at d[k] (packed when its fields allow); returns the position after it. */
  private putMem(d: Int32Array, k: number, m: MemAny): number {
    const disp = m.disp,
      z = m.size,
      sc = m.scale;
    const sizeCode = z === 32 ? 3 : z === 8 ? 1 : z === 16 ? 2 : z === 0 ? 0 : z === 48 ? 4 : z === 64 ? 5 : -1;
    const scaleCode = sc === 1 ? 0 : sc === 2 ? 1 : sc === 4 ? 2 : sc === 8 ? 3 : -1;
    if (typeof disp === "number" && (disp === (disp | 0) || (Number.isInteger(disp) && disp > 0 && disp <= 0xffffffff)) && sizeCode >= 0 && scaleCode >= 0) {
      const b = regCode(m.base),
        x = regCode(m.index),
        s = regCode(m.seg);
      if (b >= 0 && b < 32 && x >= 0 && x < 32 && disp >= -0x400 && disp < 0x400) {
        const seg = s === 0 ? 0 : s - SEG_BASE; // 1..6 for the six segment registers
        if (seg >= 0 && seg <= 6) {
          d[k] = MEM_SHORT | (sizeCode << 3) | (b << 6) | (x << 11) | (scaleCode << 16) | (seg << 18) | (disp << 21);
          return k + 1;
        }
      }
      if (b >= 0 && x >= 0 && s >= 0) {
        d[k] = MEM | (sizeCode << 3) | (b << 6) | (x << 12) | (scaleCode << 18) | (s << 20) | (disp > 0x7fffffff ? 1 << 26 : 0);
        d[k + 1] = disp | 0;
        return k + 2;
      }
    }
    return this.putObject(d, k, m);
  }

  private putObject(d: Int32Array, k: number, o: AnyOperand): number {
    d[k] = OBJ;
    d[k + 1] = this.objects.length;
    this.objects.push(o);
    return k + 2;
  }

  /** Writes one operand at d[k]; returns the position after it. */
  private put(d: Int32Array, k: number, o: AnyOperand): number {
    if (typeof o === "number") {
      if (o >= -0x10000000 && o < 0x10000000 && o === (o | 0)) {
        d[k] = SMALL | (o << 3);
        return k + 1;
      }
      if (o === (o | 0)) {
        d[k] = INT;
        d[k + 1] = o;
        return k + 2;
      }
      if (Number.isInteger(o) && o > 0 && o <= 0xffffffff) {
        d[k] = UINT;
        d[k + 1] = o | 0;
        return k + 2;
      }
    } else {
      const kind = (o as { kind: string }).kind;
      if (kind === "gpr" || kind === "sreg" || kind === "creg" || kind === "dreg") {
        const r = o as Register;
        if (REGISTERS[r.id] === r) {
          d[k] = REG | (r.id << 3);
          return k + 1;
        }
      } else if (kind === "mem") return this.putMem(d, k, o as MemAny);
    }
    return this.putObject(d, k, o);
  }

  /** Reads the instruction whose info word is at position k; `next` receives the position after it. */
  read(k: number, index: number, next: { at: number }): StoredInstruction {
    const d = this.list.data;
    const info = d[k++]!;
    const form = FORMS[info & FORM_MASK]!;
    const ops: AnyOperand[] = [];
    for (let i = 0; i < form.n; i++) {
      const fixed = form.regs[i];
      if (fixed !== undefined) {
        ops.push(fixed);
        continue;
      }
      const w0 = d[k]!,
        w1 = d[k + 1]!;
      switch (w0 & 7) {
        case REG:
          ops.push(REGISTERS[w0 >>> 3]!);
          k += 1;
          continue;
        case SMALL:
          ops.push(w0 >> 3);
          k += 1;
          continue;
        case INT:
          ops.push(w1);
          break;
        case UINT:
          ops.push(w1 >>> 0);
          break;
        case MEM:
          // The same fields in the same order as the DSL's memory constructors.
          ops.push({
            kind: "mem",
            size: SIZES[(w0 >>> 3) & 7]!,
            base: regOf((w0 >>> 6) & 63),
            index: regOf((w0 >>> 12) & 63),
            scale: SCALES[(w0 >>> 18) & 3]!,
            disp: w0 & (1 << 26) ? w1 >>> 0 : w1,
            seg: regOf((w0 >>> 20) & 63),
          } as MemAny);
          break;
        case MEM_SHORT: {
          const seg = (w0 >>> 18) & 7;
          ops.push({
            kind: "mem",
            size: SIZES[(w0 >>> 3) & 7]!,
            base: regOf((w0 >>> 6) & 31),
            index: regOf((w0 >>> 11) & 31),
            scale: SCALES[(w0 >>> 16) & 3]!,
            disp: w0 >> 21,
            seg: seg === 0 ? undefined : regOf(seg + SEG_BASE),
          } as MemAny);
          k += 1;
          continue;
        }
        default:
          ops.push(this.objects[w1]!);
      }
      k += 2;
    }
    next.at = k;
    const prefixText = info & HAS_PREFIX ? this.prefixTexts.get(index)! : "";
    return { row: form.row, ops, bits: info & BITS16 ? 16 : 32, prefixText, length: (info >>> LEN_SHIFT) & 15, src: this.src[index] };
  }

  /** Instruction number `index` (for messages: walks the stream). */
  nth(index: number): StoredInstruction {
    const next = { at: 0 };
    for (let i = 0; i < index; i++) this.read(next.at, i, next);
    return this.read(next.at, index, next);
  }
}

/** 1 + the register's id, 0 for none (a memory operand's base, index or segment), -1 for an unknown object. */
function regCode(r: Register | undefined): number {
  if (r === undefined) return 0;
  return REGISTERS[r.id] === r ? r.id + 1 : -1;
}
/** regCode(es) - 1: a segment register's code in a MEM_SHORT word is regCode - SEG_BASE (es = 1 ... gs = 6). */
const SEG_BASE = REGISTERS.findIndex((r) => r.kind === "sreg");
if (SEG_BASE < 0 || REGISTERS.slice(SEG_BASE, SEG_BASE + 6).some((r, i) => r.kind !== "sreg" || r.code !== i))
  throw new Error("instruction store: the segment registers are not six in a row");

function regOf<R extends Register>(k: number): R | undefined {
  return k === 0 ? undefined : (REGISTERS[k - 1] as R);
}
