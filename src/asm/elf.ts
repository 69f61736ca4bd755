// ELF32 i386 with DWARF line information, written by hand (pure: bytes out). It holds an assembled program as
// one executable .text section at its origin, a symbol table, and the smallest DWARF 4 that objdump, addr2line
// and gdb use: a compile unit (.debug_info/.debug_abbrev) whose line program (.debug_line) maps each address to
// the TypeScript file and line that recorded it, and an address range table (.debug_aranges).
// Nothing here is specific to option ROMs; no timestamps, and file names are kept as given (repo-relative).

import type { AssembleResult } from "./layout.ts";

type Ok = Extract<AssembleResult, { ok: true }>;

export interface ElfSymbol {
  name: string;
  /** Address (origin + offset). */
  value: number;
  size: number;
  /** Code (gdb breaks on it) or data. */
  kind: "func" | "object";
}

/** One row of the line table: from `address` on, the bytes come from `file`:`line`. */
export interface LineRow {
  address: number;
  file: string;
  line: number;
}

export interface ElfInput {
  bytes: Uint8Array;
  /** Address of the first byte (the section's address). */
  address: number;
  symbols: readonly ElfSymbol[];
  /** Sorted by address. */
  lines: readonly LineRow[];
  /** The compile unit's name (DW_AT_name). */
  name: string;
  producer?: string;
}

// ELF constants.
const ET_EXEC = 2,
  EM_386 = 3,
  PT_LOAD = 1,
  PF_R = 4,
  PF_X = 1;
const SHT_PROGBITS = 1,
  SHT_SYMTAB = 2,
  SHT_STRTAB = 3;
const SHF_ALLOC = 2,
  SHF_EXECINSTR = 4;
const STB_LOCAL = 0,
  STB_GLOBAL = 1,
  STT_OBJECT = 1,
  STT_FUNC = 2,
  STT_SECTION = 3;
// DWARF constants.
const DW_TAG_compile_unit = 0x11,
  DW_CHILDREN_no = 0;
const DW_AT_name = 0x03,
  DW_AT_stmt_list = 0x10,
  DW_AT_low_pc = 0x11,
  DW_AT_high_pc = 0x12,
  DW_AT_language = 0x13,
  DW_AT_producer = 0x25;
const DW_FORM_addr = 0x01,
  DW_FORM_data2 = 0x05,
  DW_FORM_data4 = 0x06,
  DW_FORM_string = 0x08,
  DW_FORM_sec_offset = 0x17;
const DW_LANG_Mips_Assembler = 0x8001;
const DW_LNS_copy = 1,
  DW_LNS_advance_pc = 2,
  DW_LNS_advance_line = 3,
  DW_LNS_set_file = 4;
const DW_LNE_end_sequence = 1,
  DW_LNE_set_address = 2;
// Line program parameters (those GNU as uses).
const LINE_BASE = -5,
  LINE_RANGE = 14,
  OPCODE_BASE = 13;

/** A growable little-endian byte buffer. */
class Out {
  private buf = new Uint8Array(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  uleb(v: number): this {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v) b |= 0x80;
      this.u8(b);
    } while (v);
    return this;
  }
  sleb(v: number): this {
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return this.u8(b);
      this.u8(b | 0x80);
    }
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.room(bytes.length + 1);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this.u8(0);
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  align(n: number): this {
    while (this.len % n) this.u8(0);
    return this;
  }
  put32(at: number, v: number): void {
    for (let i = 0; i < 4; i++) this.buf[at + i] = (v >>> (8 * i)) & 0xff;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A string table: offsets by name, the empty string at 0. */
class StrTab {
  readonly out = new Out().u8(0);
  private readonly at = new Map<string, number>([["", 0]]);
  add(s: string): number {
    let o = this.at.get(s);
    if (o === undefined) {
      o = this.out.len;
      this.out.str(s);
      this.at.set(s, o);
    }
    return o;
  }
}

/** DWARF 4 line program for one sequence covering [address, address + size). */
function debugLine(input: ElfInput): Uint8Array {
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  for (const r of input.lines) {
    if (!fileIndex.has(r.file)) {
      files.push(r.file);
      fileIndex.set(r.file, files.length); // DWARF 4 file numbers start at 1
    }
  }
  const o = new Out();
  o.u32(0); // unit_length, patched
  o.u16(4);
  const headerLengthAt = o.len;
  o.u32(0); // header_length, patched
  const afterHeaderLength = o.len;
  o.u8(1); // minimum_instruction_length
  o.u8(1); // maximum_operations_per_instruction
  o.u8(1); // default_is_stmt
  o.u8(LINE_BASE & 0xff);
  o.u8(LINE_RANGE);
  o.u8(OPCODE_BASE);
  for (const n of [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]) o.u8(n); // standard_opcode_lengths
  o.u8(0); // no include_directories: names are relative to the repository root
  for (const f of files) o.str(f).uleb(0).uleb(0).uleb(0);
  o.u8(0);
  o.put32(headerLengthAt, o.len - afterHeaderLength);

  o.u8(0).uleb(5).u8(DW_LNE_set_address).u32(input.address);
  let address = input.address,
    line = 1,
    file = 1;
  for (const r of input.lines) {
    const f = fileIndex.get(r.file)!;
    if (f !== file) {
      o.u8(DW_LNS_set_file).uleb(f);
      file = f;
    }
    const dl = r.line - line,
      da = r.address - address;
    const special = dl - LINE_BASE + LINE_RANGE * da + OPCODE_BASE;
    if (dl >= LINE_BASE && dl < LINE_BASE + LINE_RANGE && da >= 0 && special <= 255) o.u8(special);
    else {
      if (dl) o.u8(DW_LNS_advance_line).sleb(dl);
      if (da) o.u8(DW_LNS_advance_pc).uleb(da);
      o.u8(DW_LNS_copy);
    }
    address = r.address;
    line = r.line;
  }
  const end = input.address + input.bytes.length;
  if (end > address) o.u8(DW_LNS_advance_pc).uleb(end - address);
  o.u8(0).uleb(1).u8(DW_LNE_end_sequence);
  o.put32(0, o.len - 4);
  return o.done();
}

function debugAbbrev(): Uint8Array {
  const o = new Out();
  o.uleb(1).uleb(DW_TAG_compile_unit).u8(DW_CHILDREN_no);
  for (const [at, form] of [
    [DW_AT_producer, DW_FORM_string],
    [DW_AT_language, DW_FORM_data2],
    [DW_AT_name, DW_FORM_string],
    [DW_AT_stmt_list, DW_FORM_sec_offset],
    [DW_AT_low_pc, DW_FORM_addr],
    [DW_AT_high_pc, DW_FORM_data4],
  ] as const)
    o.uleb(at).uleb(form);
  o.uleb(0).uleb(0).uleb(0);
  return o.done();
}

function debugInfo(input: ElfInput): Uint8Array {
  const o = new Out();
  o.u32(0).u16(4).u32(0).u8(4); // unit_length (patched), version, debug_abbrev_offset, address_size
  o.uleb(1)
    .str(input.producer ?? "vmirom")
    .u16(DW_LANG_Mips_Assembler)
    .str(input.name)
    .u32(0)
    .u32(input.address)
    .u32(input.bytes.length);
  o.put32(0, o.len - 4);
  return o.done();
}

function debugAranges(input: ElfInput): Uint8Array {
  const o = new Out();
  o.u32(0).u16(2).u32(0).u8(4).u8(0).align(8);
  o.u32(input.address).u32(input.bytes.length).u32(0).u32(0);
  o.put32(0, o.len - 4);
  return o.done();
}

/** The ELF file. */
export function encodeElf(input: ElfInput): Uint8Array {
  const shstr = new StrTab(),
    str = new StrTab();
  // Symbols: the null symbol and .text's section symbol (local), then the program's (global), by address.
  const syms = new Out();
  syms.u32(0).u32(0).u32(0).u8(0).u8(0).u16(0);
  syms
    .u32(0)
    .u32(input.address)
    .u32(0)
    .u8((STB_LOCAL << 4) | STT_SECTION)
    .u8(0)
    .u16(1);
  const sorted = [...input.symbols].sort((x, y) => x.value - y.value || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const s of sorted) {
    syms
      .u32(str.add(s.name))
      .u32(s.value)
      .u32(s.size)
      .u8((STB_GLOBAL << 4) | (s.kind === "func" ? STT_FUNC : STT_OBJECT))
      .u8(0)
      .u16(1);
  }
  type Section = { name: string; type: number; flags: number; addr: number; data: Uint8Array; link: number; info: number; align: number; entsize: number };
  // Last: its data is the section names, known once every section is listed.
  const shstrtab: Section = { name: ".shstrtab", type: SHT_STRTAB, flags: 0, addr: 0, data: new Uint8Array(0), link: 0, info: 0, align: 1, entsize: 0 };
  const sections: Section[] = [
    { name: ".text", type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, addr: input.address, data: input.bytes, link: 0, info: 0, align: 16, entsize: 0 },
    { name: ".symtab", type: SHT_SYMTAB, flags: 0, addr: 0, data: syms.done(), link: 3, info: 2, align: 4, entsize: 16 },
    { name: ".strtab", type: SHT_STRTAB, flags: 0, addr: 0, data: str.out.done(), link: 0, info: 0, align: 1, entsize: 0 },
    { name: ".debug_info", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugInfo(input), link: 0, info: 0, align: 1, entsize: 0 },
    { name: ".debug_abbrev", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugAbbrev(), link: 0, info: 0, align: 1, entsize: 0 },
    { name: ".debug_line", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugLine(input), link: 0, info: 0, align: 1, entsize: 0 },
    { name: ".debug_aranges", type: SHT_PROGBITS, flags: 0, addr: 0, data: debugAranges(input), link: 0, info: 0, align: 1, entsize: 0 },
    shstrtab,
  ];
  const names = sections.map((s) => shstr.add(s.name));
  shstrtab.data = shstr.out.done();

  const EHSIZE = 52,
    PHSIZE = 32,
    SHSIZE = 40;
  const o = new Out();
  o.u8(0x7f).u8(0x45).u8(0x4c).u8(0x46).u8(1).u8(1).u8(1);
  while (o.len < 16) o.u8(0);
  o.u16(ET_EXEC).u16(EM_386).u32(1).u32(input.address).u32(EHSIZE);
  const shoffAt = o.len;
  o.u32(0)
    .u32(0)
    .u16(EHSIZE)
    .u16(PHSIZE)
    .u16(1)
    .u16(SHSIZE)
    .u16(sections.length + 1)
    .u16(sections.length);
  // One loadable segment: the program at its address (file offset and address agree modulo 16).
  const phAt = o.len;
  for (let i = 0; i < PHSIZE; i++) o.u8(0);
  const offsets: number[] = [];
  for (const s of sections) {
    o.align(Math.max(s.align, 1));
    if (s.type === SHT_PROGBITS && s.flags & SHF_ALLOC) while (o.len % 16 !== input.address % 16) o.u8(0);
    offsets.push(o.len);
    o.bytes(s.data);
  }
  o.align(4);
  const shoff = o.len;
  for (let i = 0; i < SHSIZE; i++) o.u8(0);
  sections.forEach((s, i) => {
    o.u32(names[i]!).u32(s.type).u32(s.flags).u32(s.addr).u32(offsets[i]!).u32(s.data.length).u32(s.link).u32(s.info).u32(s.align).u32(s.entsize);
  });
  o.put32(shoffAt, shoff);
  const text = offsets[0]!;
  const ph = [PT_LOAD, text, input.address, input.address, input.bytes.length, input.bytes.length, PF_R | PF_X, 16];
  ph.forEach((v, i) => o.put32(phAt + 4 * i, v));
  return o.done();
}

/** Line rows of an assembled program: each node with a recorded source line ("file:line"), same-line runs merged. */
export function programLines(r: Ok): LineRow[] {
  const rows: LineRow[] = [];
  let last = "";
  for (const p of r.placed) {
    if (p.size === 0 || !p.src) continue;
    if (p.src === last) continue;
    const colon = p.src.lastIndexOf(":");
    const line = Number(p.src.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(line) || line <= 0) continue;
    rows.push({ address: r.origin + p.offset, file: p.src.slice(0, colon), line });
    last = p.src;
  }
  return rows;
}

/**
 * Symbols of an assembled program: its global labels plus `extra` (name → offset, size), each a function when
 * the first byte at its offset is an instruction. Label sizes run to the next symbol.
 */
export function programSymbols(r: Ok, extra: readonly { name: string; offset: number; size: number }[] = []): ElfSymbol[] {
  const code = new Set<number>();
  const data = new Set<number>();
  for (const p of r.placed) {
    if (p.size === 0 || code.has(p.offset) || data.has(p.offset)) continue;
    (p.ins ? code : data).add(p.offset);
  }
  // Each symbol's next start, from the sorted starts in one pass (a search per symbol is quadratic).
  const starts = [...new Set([...r.symbols.map((s) => s.offset), ...extra.map((s) => s.offset)])].sort((x, y) => x - y);
  const next = new Map<number, number>();
  starts.forEach((s, i) => next.set(s, starts[i + 1] ?? r.bytes.length));
  const nextStart = (offset: number): number => next.get(offset)!;
  const all = [...r.symbols.map((s) => ({ name: s.name, offset: s.offset, size: nextStart(s.offset) - s.offset })), ...extra];
  return all.map((s) => ({ name: s.name, value: r.origin + s.offset, size: s.size, kind: code.has(s.offset) ? ("func" as const) : ("object" as const) }));
}
