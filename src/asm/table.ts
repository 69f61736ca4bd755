// The one opcode table that drives the encoder, in Intel-manual notation.
//
// A row is [mnemonic, operands, opcode, flags?, att?]:
// - operands (Intel order, destination first): r8 r16 r32, r/m8 r/m16 r/m32, m (any memory), m8 m16 m32 m64,
//   m16:32 (far pointer in memory), imm8 imm16 imm32, rel8 rel32 (rel32 is rel16 in 16-bit code), ptr16:32,
//   moffs8 moffs16 moffs32, the fixed registers AL AX EAX CL DX, the constants 1 and 3, Sreg, CR0-CR7, DR0-DR7, ES CS SS DS FS GS.
// - opcode: hex bytes, /r, /0../7, ib iw id (immediates), cb cd (relative), cp (far pointer), +rb +rw +rd.
// - flags: sx (imm8 is sign-extended to the operand size), o16/o32 (force the operand size),
//   nos (no operand-size prefix although an operand is 16-bit, e.g. mov ds, ax), rev (a disassembler shows
//   the operands the other way round: xchg and test are symmetric and decode to their canonical form).
// - att: the AT&T mnemonic objdump prints, when it differs from the Intel one (movzx → movzb/movzw...).
//
// Where several rows match, the first one wins; rows are ordered so that the choice is the one GNU as makes
// (accumulator short forms, imm8 forms, +rd register forms, store direction for reg,reg).
//
// The table is the one list of instructions: the DSL's methods and their TypeScript signatures are derived from
// its rows (signatures.ts), so rows keep their mnemonic and operands as literal types (`as const`).

export type RowSpec<M extends string = string, O extends string = string> = readonly [mnemonic: M, operands: O, opcode: string, flags?: string, att?: string];

/** Condition codes in encoding order, with their aliases. The first name is the one objdump prints. */
export const CONDITIONS = [
  ["o"],
  ["no"],
  ["b", "c", "nae"],
  ["ae", "nb", "nc"],
  ["e", "z"],
  ["ne", "nz"],
  ["be", "na"],
  ["a", "nbe"],
  ["s"],
  ["ns"],
  ["p", "pe"],
  ["np", "po"],
  ["l", "nge"],
  ["ge", "nl"],
  ["le", "ng"],
  ["g", "nle"],
] as const;
/** Every condition-code name, aliases included. */
export type Condition = (typeof CONDITIONS)[number][number];

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, "0");

function alu<M extends string>(m: M, n: number) {
  const b = n * 8;
  return [
    [m, "AL, imm8", `${hex(b + 4)} ib`],
    [m, "r/m16, imm8", `83 /${n} ib`, "sx"],
    [m, "r/m32, imm8", `83 /${n} ib`, "sx"],
    [m, "AX, imm16", `${hex(b + 5)} iw`],
    [m, "EAX, imm32", `${hex(b + 5)} id`],
    [m, "r/m8, imm8", `80 /${n} ib`],
    [m, "r/m16, imm16", `81 /${n} iw`],
    [m, "r/m32, imm32", `81 /${n} id`],
    [m, "r/m8, r8", `${hex(b)} /r`],
    [m, "r/m16, r16", `${hex(b + 1)} /r`],
    [m, "r/m32, r32", `${hex(b + 1)} /r`],
    [m, "r8, r/m8", `${hex(b + 2)} /r`],
    [m, "r16, r/m16", `${hex(b + 3)} /r`],
    [m, "r32, r/m32", `${hex(b + 3)} /r`],
  ] as const;
}

function unary<M extends string>(m: M, op8: string, op: string, n: number) {
  return [
    [m, "r/m8", `${op8} /${n}`],
    [m, "r/m16", `${op} /${n}`],
    [m, "r/m32", `${op} /${n}`],
  ] as const;
}

function shift<M extends string>(m: M, n: number, att: string = m) {
  return [
    [m, "r/m8, 1", `D0 /${n}`, "", att],
    [m, "r/m16, 1", `D1 /${n}`, "", att],
    [m, "r/m32, 1", `D1 /${n}`, "", att],
    [m, "r/m8, CL", `D2 /${n}`, "", att],
    [m, "r/m16, CL", `D3 /${n}`, "", att],
    [m, "r/m32, CL", `D3 /${n}`, "", att],
    [m, "r/m8, imm8", `C0 /${n} ib`, "", att],
    [m, "r/m16, imm8", `C1 /${n} ib`, "", att],
    [m, "r/m32, imm8", `C1 /${n} ib`, "", att],
  ] as const;
}

function bitTest<M extends string>(m: M, reg: number, n: number) {
  return [
    [m, "r/m16, r16", `0F ${hex(reg)} /r`],
    [m, "r/m32, r32", `0F ${hex(reg)} /r`],
    [m, "r/m16, imm8", `0F BA /${n} ib`],
    [m, "r/m32, imm8", `0F BA /${n} ib`],
  ] as const;
}

function twoRegRm<M extends string>(m: M, opcode: string) {
  return [
    [m, "r16, r/m16", `${opcode} /r`],
    [m, "r32, r/m32", `${opcode} /r`],
  ] as const;
}

function stringOp<B extends string>(base: B, op8: number, att: string) {
  return [
    [`${base}b`, "", hex(op8), "", `${att}b`],
    [`${base}w`, "", hex(op8 + 1), "o16", `${att}w`],
    [`${base}d`, "", hex(op8 + 1), "o32", `${att}l`],
  ] as const;
}

type ConditionRow = RowSpec<`j${Condition}`, "rel8" | "rel32"> | RowSpec<`set${Condition}`, "r/m8"> | RowSpec<`cmov${Condition}`, "r16, r/m16" | "r32, r/m32">;

function conditionRows(): ConditionRow[] {
  const rows: ConditionRow[] = [];
  CONDITIONS.forEach((names, cc) => {
    for (const c of names) {
      const first = names[0];
      rows.push([`j${c}`, "rel8", `${hex(0x70 + cc)} cb`, "", `j${first}`]);
      rows.push([`j${c}`, "rel32", `0F ${hex(0x80 + cc)} cd`, "", `j${first}`]);
      rows.push([`set${c}`, "r/m8", `0F ${hex(0x90 + cc)} /0`, "", `set${first}`]);
      rows.push([`cmov${c}`, "r16, r/m16", `0F ${hex(0x40 + cc)} /r`, "", `cmov${first}`]);
      rows.push([`cmov${c}`, "r32, r/m32", `0F ${hex(0x40 + cc)} /r`, "", `cmov${first}`]);
    }
  });
  return rows;
}

export const TABLE = [
  // --- data movement
  ["mov", "AL, moffs8", "A0"],
  ["mov", "AX, moffs16", "A1"],
  ["mov", "EAX, moffs32", "A1"],
  ["mov", "moffs8, AL", "A2"],
  ["mov", "moffs16, AX", "A3"],
  ["mov", "moffs32, EAX", "A3"],
  ["mov", "r/m8, r8", "88 /r"],
  ["mov", "r/m16, r16", "89 /r"],
  ["mov", "r/m32, r32", "89 /r"],
  ["mov", "r8, r/m8", "8A /r"],
  ["mov", "r16, r/m16", "8B /r"],
  ["mov", "r32, r/m32", "8B /r"],
  ["mov", "r16, Sreg", "8C /r"],
  ["mov", "r32, Sreg", "8C /r"],
  ["mov", "m16, Sreg", "8C /r", "nos"],
  ["mov", "Sreg, r/m16", "8E /r", "nos"],
  ["mov", "Sreg, r32", "8E /r", "nos"],
  ["mov", "r8, imm8", "B0+rb ib"],
  ["mov", "r16, imm16", "B8+rw iw"],
  ["mov", "r32, imm32", "B8+rd id"],
  ["mov", "r/m8, imm8", "C6 /0 ib"],
  ["mov", "r/m16, imm16", "C7 /0 iw"],
  ["mov", "r/m32, imm32", "C7 /0 id"],
  ["mov", "r32, CR0-CR7", "0F 20 /r", "nos"],
  ["mov", "CR0-CR7, r32", "0F 22 /r", "nos"],
  ["mov", "r32, DR0-DR7", "0F 21 /r", "nos"],
  ["mov", "DR0-DR7, r32", "0F 23 /r", "nos"],
  ["movzx", "r16, r/m8", "0F B6 /r", "", "movzb"],
  ["movzx", "r32, r/m8", "0F B6 /r", "", "movzb"],
  ["movzx", "r32, r/m16", "0F B7 /r", "", "movzw"],
  ["movsx", "r16, r/m8", "0F BE /r", "", "movsb"],
  ["movsx", "r32, r/m8", "0F BE /r", "", "movsb"],
  ["movsx", "r32, r/m16", "0F BF /r", "", "movsw"],
  ["lea", "r16, m", "8D /r"],
  ["lea", "r32, m", "8D /r"],
  ["xchg", "AX, r16", "90+rw", "rev"],
  ["xchg", "r16, AX", "90+rw"],
  ["xchg", "EAX, r32", "90+rd", "rev"],
  ["xchg", "r32, EAX", "90+rd"],
  ["xchg", "r/m8, r8", "86 /r"],
  ["xchg", "r8, r/m8", "86 /r", "rev"],
  ["xchg", "r/m16, r16", "87 /r"],
  ["xchg", "r16, r/m16", "87 /r", "rev"],
  ["xchg", "r/m32, r32", "87 /r"],
  ["xchg", "r32, r/m32", "87 /r", "rev"],
  ["cmpxchg", "r/m8, r8", "0F B0 /r"],
  ["cmpxchg", "r/m16, r16", "0F B1 /r"],
  ["cmpxchg", "r/m32, r32", "0F B1 /r"],
  ["cmpxchg8b", "m64", "0F C7 /1"],
  ["xadd", "r/m8, r8", "0F C0 /r"],
  ["xadd", "r/m16, r16", "0F C1 /r"],
  ["xadd", "r/m32, r32", "0F C1 /r"],
  ["bswap", "r32", "0F C8+rd"],
  ["cbw", "", "98", "o16", "cbtw"],
  ["cwde", "", "98", "o32", "cwtl"],
  ["cwd", "", "99", "o16", "cwtd"],
  ["cdq", "", "99", "o32", "cltd"],

  // --- arithmetic and logic
  ...alu("add", 0),
  ...alu("or", 1),
  ...alu("adc", 2),
  ...alu("sbb", 3),
  ...alu("and", 4),
  ...alu("sub", 5),
  ...alu("xor", 6),
  ...alu("cmp", 7),
  ["test", "AL, imm8", "A8 ib"],
  ["test", "AX, imm16", "A9 iw"],
  ["test", "EAX, imm32", "A9 id"],
  ["test", "r/m8, imm8", "F6 /0 ib"],
  ["test", "r/m16, imm16", "F7 /0 iw"],
  ["test", "r/m32, imm32", "F7 /0 id"],
  ["test", "r/m8, r8", "84 /r"],
  ["test", "r/m16, r16", "85 /r"],
  ["test", "r/m32, r32", "85 /r"],
  ["test", "r8, m8", "84 /r", "rev"],
  ["test", "r16, m16", "85 /r", "rev"],
  ["test", "r32, m32", "85 /r", "rev"],
  ["inc", "r16", "40+rw"],
  ["inc", "r32", "40+rd"],
  ...unary("inc", "FE", "FF", 0),
  ["dec", "r16", "48+rw"],
  ["dec", "r32", "48+rd"],
  ...unary("dec", "FE", "FF", 1),
  ...unary("not", "F6", "F7", 2),
  ...unary("neg", "F6", "F7", 3),
  ...unary("mul", "F6", "F7", 4),
  ...unary("imul", "F6", "F7", 5),
  ...unary("div", "F6", "F7", 6),
  ...unary("idiv", "F6", "F7", 7),
  ...twoRegRm("imul", "0F AF"),
  ["imul", "r16, r/m16, imm8", "6B /r ib", "sx"],
  ["imul", "r32, r/m32, imm8", "6B /r ib", "sx"],
  ["imul", "r16, r/m16, imm16", "69 /r iw"],
  ["imul", "r32, r/m32, imm32", "69 /r id"],
  ...shift("rol", 0),
  ...shift("ror", 1),
  ...shift("rcl", 2),
  ...shift("rcr", 3),
  ...shift("shl", 4),
  ...shift("sal", 4, "shl"),
  ...shift("shr", 5),
  ...shift("sar", 7),
  ["shld", "r/m16, r16, imm8", "0F A4 /r ib"],
  ["shld", "r/m32, r32, imm8", "0F A4 /r ib"],
  ["shld", "r/m16, r16, CL", "0F A5 /r"],
  ["shld", "r/m32, r32, CL", "0F A5 /r"],
  ["shrd", "r/m16, r16, imm8", "0F AC /r ib"],
  ["shrd", "r/m32, r32, imm8", "0F AC /r ib"],
  ["shrd", "r/m16, r16, CL", "0F AD /r"],
  ["shrd", "r/m32, r32, CL", "0F AD /r"],
  ...bitTest("bt", 0xa3, 4),
  ...bitTest("bts", 0xab, 5),
  ...bitTest("btr", 0xb3, 6),
  ...bitTest("btc", 0xbb, 7),
  ...twoRegRm("bsf", "0F BC"),
  ...twoRegRm("bsr", "0F BD"),

  // --- stack
  ["push", "r16", "50+rw"],
  ["push", "r32", "50+rd"],
  ["push", "r/m16", "FF /6"],
  ["push", "r/m32", "FF /6"],
  ["push", "imm8", "6A ib", "sx"],
  ["push", "imm32", "68 id", "o32"],
  ["push", "ES", "06"],
  ["push", "CS", "0E"],
  ["push", "SS", "16"],
  ["push", "DS", "1E"],
  ["push", "FS", "0F A0"],
  ["push", "GS", "0F A8"],
  ["pop", "r16", "58+rw"],
  ["pop", "r32", "58+rd"],
  ["pop", "r/m16", "8F /0"],
  ["pop", "r/m32", "8F /0"],
  ["pop", "ES", "07"],
  ["pop", "SS", "17"],
  ["pop", "DS", "1F"],
  ["pop", "FS", "0F A1"],
  ["pop", "GS", "0F A9"],
  ["pusha", "", "60"],
  ["popa", "", "61"],
  ["pushf", "", "9C"],
  ["popf", "", "9D"],
  ["enter", "imm16, imm8", "C8 iw ib"],
  ["leave", "", "C9"],

  // --- control transfer
  ["call", "rel32", "E8 cd"],
  ["call", "r/m16", "FF /2"],
  ["call", "r/m32", "FF /2"],
  ["call", "ptr16:32", "9A cp", "", "lcall"],
  ["call", "m16:32", "FF /3", "", "lcall"],
  ["jmp", "rel8", "EB cb"],
  ["jmp", "rel32", "E9 cd"],
  ["jmp", "r/m16", "FF /4"],
  ["jmp", "r/m32", "FF /4"],
  ["jmp", "ptr16:32", "EA cp", "", "ljmp"],
  ["jmp", "m16:32", "FF /5", "", "ljmp"],
  ...conditionRows(),
  ["jecxz", "rel8", "E3 cb"],
  ["loop", "rel8", "E2 cb"],
  ["loope", "rel8", "E1 cb"],
  ["loopz", "rel8", "E1 cb", "", "loope"],
  ["loopne", "rel8", "E0 cb"],
  ["loopnz", "rel8", "E0 cb", "", "loopne"],
  ["ret", "", "C3"],
  ["ret", "imm16", "C2 iw"],
  ["retf", "", "CB", "", "lret"],
  ["retf", "imm16", "CA iw", "", "lret"],
  ["iret", "", "CF"],
  ["int3", "", "CC"],
  ["int", "3", "CC", "", "int3"],
  ["int", "imm8", "CD ib"],
  ["into", "", "CE"],

  // --- flags and processor control
  ["cli", "", "FA"],
  ["sti", "", "FB"],
  ["cld", "", "FC"],
  ["std", "", "FD"],
  ["clc", "", "F8"],
  ["stc", "", "F9"],
  ["cmc", "", "F5"],
  ["sahf", "", "9E"],
  ["lahf", "", "9F"],
  ["hlt", "", "F4"],
  ["nop", "", "90"],
  ["nop", "r/m16", "0F 1F /0", "", "nop"],
  ["nop", "r/m32", "0F 1F /0", "", "nop"],
  ["pause", "", "F3 90"],
  ["ud2", "", "0F 0B"],
  ["cpuid", "", "0F A2"],
  ["rdtsc", "", "0F 31"],
  ["rdmsr", "", "0F 32"],
  ["wrmsr", "", "0F 30"],
  ["rdpmc", "", "0F 33"],
  ["lgdt", "m", "0F 01 /2"],
  ["sgdt", "m", "0F 01 /0"],
  ["lidt", "m", "0F 01 /3"],
  ["sidt", "m", "0F 01 /1"],
  ["lldt", "r/m16", "0F 00 /2", "nos"],
  ["sldt", "r16", "0F 00 /0"],
  ["sldt", "r32", "0F 00 /0"],
  ["sldt", "m16", "0F 00 /0", "nos"],
  ["ltr", "r/m16", "0F 00 /3", "nos"],
  ["str", "r16", "0F 00 /1"],
  ["str", "r32", "0F 00 /1"],
  ["str", "m16", "0F 00 /1", "nos"],
  ["lmsw", "r/m16", "0F 01 /6", "nos"],
  ["smsw", "r16", "0F 01 /4"],
  ["smsw", "r32", "0F 01 /4"],
  ["smsw", "m16", "0F 01 /4", "nos"],
  ["verr", "r/m16", "0F 00 /4", "nos"],
  ["verw", "r/m16", "0F 00 /5", "nos"],
  ["lar", "r16, r/m16", "0F 02 /r"],
  ["lar", "r32, r32", "0F 02 /r"],
  ["lar", "r32, m16", "0F 02 /r"],
  ["lsl", "r16, r/m16", "0F 03 /r"],
  ["lsl", "r32, r32", "0F 03 /r"],
  ["lsl", "r32, m16", "0F 03 /r"],
  ["clts", "", "0F 06"],
  ["invlpg", "m", "0F 01 /7"],
  ["invd", "", "0F 08"],
  ["wbinvd", "", "0F 09"],
  ["lfence", "", "0F AE E8"],
  ["mfence", "", "0F AE F0"],
  ["sfence", "", "0F AE F8"],
  ["sysenter", "", "0F 34"],
  ["sysexit", "", "0F 35"],
  ["vmcall", "", "0F 01 C1"],
  ["vmmcall", "", "0F 01 D9"],

  // --- port I/O and strings
  ["in", "AL, imm8", "E4 ib"],
  ["in", "AX, imm8", "E5 ib"],
  ["in", "EAX, imm8", "E5 ib"],
  ["in", "AL, DX", "EC"],
  ["in", "AX, DX", "ED"],
  ["in", "EAX, DX", "ED"],
  ["out", "imm8, AL", "E6 ib"],
  ["out", "imm8, AX", "E7 ib"],
  ["out", "imm8, EAX", "E7 ib"],
  ["out", "DX, AL", "EE"],
  ["out", "DX, AX", "EF"],
  ["out", "DX, EAX", "EF"],
  ...stringOp("ins", 0x6c, "ins"),
  ...stringOp("outs", 0x6e, "outs"),
  ...stringOp("movs", 0xa4, "movs"),
  ...stringOp("cmps", 0xa6, "cmps"),
  ...stringOp("stos", 0xaa, "stos"),
  ...stringOp("lods", 0xac, "lods"),
  ...stringOp("scas", 0xae, "scas"),
  ["xlat", "", "D7"],
] as const satisfies readonly RowSpec[];
