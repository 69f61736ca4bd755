// Encoding: writes one instruction's bytes (prefixes, opcode, ModRM/SIB and displacement, immediates) into a
// byte buffer, with fixups for the fields whose values are only known after layout (labels).
// Hot: the row's and form's tables are read with `!` (indices in bounds by construction), not checked.

import type { DiagnosticCode } from "../diagnostics.ts";
import { ByteSink } from "./buffers.ts";
import type { Form } from "./forms.ts";
import { constantOf, type AnyOperand, type Bits, type Expr, type FarPtr, type Gpr, type MemAny, type Register, type SegReg } from "./operands.ts";
import type { Row } from "./rows.ts";

export interface Fixup {
  /** Byte position inside the instruction. */
  at: number;
  size: 1 | 2 | 4;
  value: Expr;
  /** PC-relative: value - (address of the instruction end). */
  rel: boolean;
}

export interface Encoded {
  bytes: number[];
  fixups: Fixup[];
}

const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
// 16-bit ModRM r/m numbers for base/index pairs, keyed by "base,index" register codes.
const RM16: Record<string, number> = { "3,6": 0, "3,7": 1, "5,6": 2, "5,7": 3, "6,": 4, "7,": 5, "5,": 6, "3,": 7 };

export class EncodeError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The segment override a memory operand needs, or undefined when it names the default segment (ss for
 * a base of esp/ebp or bp, ds otherwise): GNU as drops such redundant prefixes, and so do we.
 */
export function overrideOf(m: MemAny): SegReg | undefined {
  if (!m.seg) return undefined;
  const stackBase = m.base !== undefined && (m.base.size === 32 ? m.base.code === 4 || m.base.code === 5 : m.base.code === 5);
  const dflt = stackBase ? 2 : 3;
  return m.seg.code === dflt ? undefined : m.seg;
}

function addrSizeOf(m: MemAny, bits: Bits): 16 | 32 {
  const r = m.base ?? m.index;
  if (r) return r.size === 16 ? 16 : 32;
  return bits;
}

/** Writes `size` bytes of v little-endian at buf[p]; returns the position after them. */
function putLe(buf: Uint8Array, p: number, v: number, size: number): number {
  buf[p] = v & 0xff;
  if (size > 1) {
    buf[p + 1] = (v >>> 8) & 0xff;
    if (size > 2) {
      buf[p + 2] = (v >>> 16) & 0xff;
      buf[p + 3] = (v >>> 24) & 0xff;
    }
  }
  return p + size;
}

/** A displacement field: the constant, or zero and a fixup when it refers to labels. */
function putDisp(buf: Uint8Array, p: number, start: number, dispExpr: Expr | undefined, disp: number, size: 1 | 2 | 4): number {
  if (dispExpr !== undefined) {
    addFixup(p - start, size, dispExpr, false);
    return putLe(buf, p, 0, size);
  }
  return putLe(buf, p, disp, size);
}

/**
 * ModRM (+SIB, displacement) for a memory operand at buf[p]; `reg` is the ModRM reg field and `start` the
 * instruction's first byte (fixup positions are relative to it). Returns the position after it.
 */
function encodeMem(buf: Uint8Array, p: number, start: number, reg: number, m: MemAny, bits: Bits): number {
  const asize = addrSizeOf(m, bits);
  const d = m.disp;
  const dc = typeof d === "number" ? d : constantOf(d);
  const dispExpr = dc === undefined ? d : undefined;
  const disp = dc ?? 0;
  if (asize === 16) {
    if (m.scale !== 1 && m.index) throw new EncodeError("ASM_INVALID_ADDRESS", "16-bit addressing has no scale");
    if (!m.base && !m.index) {
      buf[p++] = (reg << 3) | 6;
      return putDisp(buf, p, start, dispExpr, disp, 2);
    }
    let b = m.base?.code,
      x = m.index?.code;
    if (b !== undefined && x !== undefined && (b === 6 || b === 7)) [b, x] = [x, b]; // [si+bx] = [bx+si]
    if (b === undefined) [b, x] = [x, undefined];
    const rm = RM16[`${b},${x ?? ""}`];
    if (rm === undefined || m.base?.size === 32) throw new EncodeError("ASM_INVALID_ADDRESS", "invalid 16-bit addressing form (use bx/bp with si/di)");
    const modv = dispExpr ? 2 : disp === 0 && rm !== 6 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    buf[p++] = (modv << 6) | (reg << 3) | rm;
    if (modv === 1) return putDisp(buf, p, start, dispExpr, disp, 1);
    if (modv === 2) return putDisp(buf, p, start, dispExpr, disp, 2);
    return p;
  }
  const base = m.base,
    index = m.index;
  if (index && index.code === 4) throw new EncodeError("ASM_INVALID_ADDRESS", "esp cannot be an index register");
  if (base && index && base.size !== index.size) throw new EncodeError("ASM_INVALID_ADDRESS", "base and index differ in size");
  if (!base && !index) {
    buf[p++] = (reg << 3) | 5;
    return putDisp(buf, p, start, dispExpr, disp, 4);
  }
  // Without an index the scale means nothing; GNU as writes 0 there.
  const ss = !index || m.scale === 1 ? 0 : m.scale === 2 ? 1 : m.scale === 4 ? 2 : 3;
  if (!base) {
    buf[p++] = (reg << 3) | 4;
    buf[p++] = (ss << 6) | (index!.code << 3) | 5; // no base: there is an index (both absent returned above)
    return putDisp(buf, p, start, dispExpr, disp, 4);
  }
  const modv = dispExpr ? 2 : disp === 0 && base.code !== 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
  if (index || base.code === 4) {
    buf[p++] = (modv << 6) | (reg << 3) | 4;
    buf[p++] = (ss << 6) | ((index ? index.code : 4) << 3) | base.code;
  } else {
    buf[p++] = (modv << 6) | (reg << 3) | base.code;
  }
  if (modv === 1) return putDisp(buf, p, start, dispExpr, disp, 1);
  if (modv === 2) return putDisp(buf, p, start, dispExpr, disp, 4);
  return p;
}

export interface Prefixes {
  lock?: boolean;
  rep?: 0xf2 | 0xf3;
}

/**
 * Fixups of the instruction last encoded by encodeOps (positions relative to its start): a reusable scratch
 * area, so that encoding allocates nothing. Read it before encoding the next instruction.
 */
export interface FixupScratch {
  count: number;
  readonly at: number[];
  readonly size: (1 | 2 | 4)[];
  readonly rel: boolean[];
  readonly value: Expr[];
}
export const lastFixups: FixupScratch = { count: 0, at: [0, 0, 0], size: [1, 1, 1], rel: [false, false, false], value: [0, 0, 0] };

function addFixup(at: number, size: 1 | 2 | 4, value: Expr, rel: boolean): void {
  const f = lastFixups;
  const k = f.count++;
  f.at[k] = at;
  f.size[k] = size;
  f.value[k] = value;
  f.rel[k] = rel;
}

/**
 * Writes one instruction (n operands x, y, z) into `out`; its fixups are left in `lastFixups`.
 * Operands are passed one by one so that recording an instruction allocates no array.
 */
export function encodeOps(
  out: ByteSink,
  row: Row,
  n: number,
  x: AnyOperand | undefined,
  y: AnyOperand | undefined,
  z: AnyOperand | undefined,
  bits: Bits,
  prefixes?: Prefixes,
): void {
  out.reserve(16);
  lastFixups.count = 0;
  // Bytes go straight into the buffer through a local position (stored back once at the end).
  const buf = out.buf;
  const start = out.len;
  let p = start;
  let memOp: MemAny | undefined;
  if (n > 0 && typeof x === "object" && (x as MemAny).kind === "mem") memOp = x as MemAny;
  else if (n > 1 && typeof y === "object" && (y as MemAny).kind === "mem") memOp = y as MemAny;
  else if (n > 2 && typeof z === "object" && (z as MemAny).kind === "mem") memOp = z as MemAny;
  // Prefix order as GNU as writes them: segment, address size, operand size, rep, lock.
  if (memOp) p = putMemPrefixes(buf, p, memOp, bits);
  if (row.opsize !== 0 && row.opsize !== bits) buf[p++] = 0x66;
  if (prefixes) {
    if (prefixes.rep) buf[p++] = prefixes.rep;
    if (prefixes.lock) buf[p++] = 0xf0;
  }
  const opcode = row.opcode;
  const last = opcode.length - 1;
  for (let i = 0; i < last; i++) buf[p++] = opcode[i]!;
  buf[p++] = row.plusIdx >= 0 ? opcode[last]! + (pick(row.plusIdx, x, y, z) as Gpr).code : opcode[last]!;
  if (row.rmIdx >= 0) {
    const regIdx = row.regIdx;
    const regField = regIdx >= 0 ? (pick(regIdx, x, y, z) as Register).code : (row.modrm as number);
    const rmOp = pick(row.rmIdx, x, y, z);
    if (rmOp === memOp) p = encodeMem(buf, p, start, regField, memOp, bits);
    else buf[p++] = 0xc0 | (regField << 3) | (rmOp as Register).code;
  }
  // moffs operands carry their address as an immediate-like displacement.
  if (row.moffsIdx >= 0) {
    const m = pick(row.moffsIdx, x, y, z) as MemAny;
    const size = addrSizeOf(m, bits) === 16 ? 2 : 4;
    const c = constantOf(m.disp);
    if (c === undefined) addFixup(p - start, size, m.disp, false);
    p = putLe(buf, p, c ?? 0, size);
  }
  // Immediates, in operand order: size 1/2/4, 0 for a code-size field (cd), -1 for a far pointer (cp).
  const immIdx = row.immIdx,
    immSize = row.immSize;
  for (let j = 0; j < immSize.length; j++) {
    const o = pick(immIdx[j]!, x, y, z);
    let size = immSize[j]!;
    if (size < 0) {
      const f = o as FarPtr;
      const fsize = bits === 16 ? 2 : 4;
      const c = constantOf(f.offset);
      if (c === undefined) addFixup(p - start, fsize, f.offset, false);
      p = putLe(buf, p, c ?? 0, fsize);
      p = putLe(buf, p, f.selector, 2);
      continue;
    }
    if (size === 0) size = bits === 16 ? 2 : 4;
    p = putImm(buf, p, start, o, size as 1 | 2 | 4, row.relative);
  }
  out.len = p;
}

/** One immediate field at buf[p] (a fixup when it is PC-relative or a label's value); the position after it. */
function putImm(buf: Uint8Array, p: number, start: number, o: AnyOperand | undefined, size: 1 | 2 | 4, relative: boolean): number {
  if (relative) {
    addFixup(p - start, size, o as Expr, true);
    return putLe(buf, p, 0, size);
  }
  const c = typeof o === "number" ? o : constantOf(o as Expr);
  if (c === undefined) addFixup(p - start, size, o as Expr, false);
  return putLe(buf, p, c ?? 0, size);
}

/** The segment-override and address-size prefixes a memory operand needs; the position after them. */
function putMemPrefixes(buf: Uint8Array, p: number, m: MemAny, bits: Bits): number {
  if (m.seg) {
    const segOverride = overrideOf(m);
    if (segOverride) buf[p++] = SEG_PREFIX[segOverride.code]!;
  }
  if (addrSizeOf(m, bits) !== bits) buf[p++] = 0x67;
  return p;
}

/**
 * Writes one instruction of a compiled form into `out` (its fixups left in `lastFixups`): the fixed head, the
 * ModRM byte or memory operand, the immediates. Prefixes and generic forms go through encodeOps.
 */
export function encodeForm(
  out: ByteSink,
  f: Form,
  x: AnyOperand | undefined,
  y: AnyOperand | undefined,
  z: AnyOperand | undefined,
  bits: Bits,
  prefixes?: Prefixes,
): void {
  const row = f.row;
  if (f.generic || prefixes !== undefined) return encodeOps(out, row, f.n, x, y, z, bits, prefixes);
  if (out.len + 16 > out.buf.length) out.reserve(16);
  lastFixups.count = 0;
  const buf = out.buf;
  const start = out.len;
  let p = start;
  const memIdx = f.memIdx;
  let m: MemAny | undefined;
  if (memIdx >= 0) {
    m = (memIdx === 0 ? x : memIdx === 1 ? y : z) as MemAny;
    p = putMemPrefixes(buf, p, m, bits);
  }
  let head = bits === 32 ? f.head32 : f.head16;
  const headEnd = p + (bits === 32 ? f.headLen32 : f.headLen16);
  while (p < headEnd) {
    buf[p++] = head & 0xff;
    head >>>= 8;
  }
  const modrm = f.modrm;
  if (modrm >= 0) buf[p++] = modrm;
  else if (modrm === -2) p = encodeMem(buf, p, start, f.memReg, m!, bits); // -2: the form has a memory operand
  const immSize = row.immSize;
  if (immSize.length !== 0) {
    const immIdx = row.immIdx;
    for (let j = 0; j < immSize.length; j++) {
      const k = immIdx[j]!;
      const o = k === 0 ? x : k === 1 ? y : z;
      const size = immSize[j]!;
      p = putImm(buf, p, start, o, (size === 0 ? (bits === 16 ? 2 : 4) : size) as 1 | 2 | 4, row.relative);
    }
  }
  out.len = p;
}

/** Operand i of a row's own operand indices (each below the instruction's operand count). */
function pick(i: number, x: AnyOperand | undefined, y: AnyOperand | undefined, z: AnyOperand | undefined): AnyOperand {
  return (i === 0 ? x : i === 1 ? y : z)!;
}

/** The fixups encodeOps left in lastFixups, as objects (or undefined when there are none). */
export function takeFixups(): Fixup[] | undefined {
  const f = lastFixups;
  if (f.count === 0) return undefined;
  const list: Fixup[] = [];
  for (let k = 0; k < f.count; k++) list.push({ at: f.at[k]!, size: f.size[k]!, value: f.value[k]!, rel: f.rel[k]! });
  return list;
}

const scratch = new ByteSink();
/** Bytes and fixups of one instruction (allocating; the Assembler records with encodeOps). */
export function encode(row: Row, ops: readonly AnyOperand[], bits: Bits, prefixes?: Prefixes): Encoded {
  scratch.len = 0;
  encodeOps(scratch, row, ops.length, ops[0], ops[1], ops[2], bits, prefixes);
  const fixups = takeFixups() ?? [];
  return { bytes: Array.from(scratch.buf.subarray(0, scratch.len)), fixups };
}
