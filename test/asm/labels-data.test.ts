// Labels as immediates, displacements and data; label differences; local labels; directives; symbols;
// a mixed 16/32-bit program cross-checked with GNU as; the listing's shape.
import { describe, expect, it } from "vitest";
import { Assembler, diff, dword, eax, ebx, ecx, ax, plus, formatListing, far, cs, ds, fs } from "../../src/asm/index.ts";
import { gasAssemble, requireTools } from "../support/tools.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function program(origin = 0) {
  const a = new Assembler({ origin });
  const table = a.newLabel("table");
  const end = a.newLabel("end");
  a.label("start");
  a.mov(eax, table); // absolute address as an immediate
  a.mov(ebx, dword(plus(table, 4))); // label + constant as a displacement
  a.mov(eax, dword({ base: ebx, disp: table })); // label as displacement with a base
  a.add(eax, diff(end, table)); // label difference as an immediate
  a.push(table);
  a.label(".loop");
  a.dec(eax);
  a.jne(a.newLabel(".loop"));
  a.ret();
  a.align(16, 0xcc);
  a.label(table);
  a.dd(table, end, diff(end, table));
  a.dw(0x1234);
  a.db(1, 2, "ab");
  a.asciz("GPL v2");
  a.label(end);
  a.bits(16);
  a.label("real_mode");
  a.mov(ax, cs);
  a.mov(ds, ax);
  a.xor(ax, ax);
  a.retf();
  a.bits(32);
  a.org(0x80, 0xcc);
  a.label("at80");
  a.jmp(far(0x08, table));
  return a;
}

const GAS = `
start:
mov $table, %eax
mov table+4, %ebx
mov table(%ebx), %eax
add $(end - table), %eax
push $table
.Lloop:
dec %eax
jne .Lloop
ret
.balign 16, 0xcc
table:
.long table, end, end - table
.word 0x1234
.byte 1, 2
.ascii "ab"
.asciz "GPL v2"
end:
.code16
real_mode:
mov %cs, %ax
mov %ax, %ds
xor %ax, %ax
lret
.code32
.org 0x80, 0xcc
at80:
ljmp $0x08, $table
`;

describe("labels, data and directives", () => {
  it.runIf(requireTools("as", "objcopy"))("bytes equal GNU as for a mixed program", () => {
    const r = program().assemble();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(hex(r.bytes)).toBe(hex(gasAssemble(GAS)));
  });

  it("origin moves label values, not the layout", () => {
    const r0 = program(0).assemble(),
      r1 = program(0xc0000).assemble();
    expect(r0.ok && r1.ok).toBe(true);
    if (!r0.ok || !r1.ok) return;
    expect(r1.bytes.length).toBe(r0.bytes.length);
    const t0 = r0.symbols.find((s) => s.name === "table")!,
      t1 = r1.symbols.find((s) => s.name === "table")!;
    expect(t1.offset).toBe(t0.offset);
    expect(t1.address).toBe(0xc0000 + t0.offset);
    expect(new DataView(r1.bytes.buffer).getUint32(t1.offset, true)).toBe(0xc0000 + t1.offset);
    // The label difference is position-independent.
    expect(new DataView(r1.bytes.buffer).getUint32(t1.offset + 8, true)).toBe(new DataView(r0.bytes.buffer).getUint32(t0.offset + 8, true));
  });

  it("symbols have offsets and sizes up to the next symbol; local labels are not symbols", () => {
    const r = program().assemble();
    if (!r.ok) throw new Error("assembly failed");
    const names = r.symbols.map((s) => s.name);
    expect(names).toEqual(["start", "table", "end", "real_mode", "at80"]);
    const start = r.symbols[0]!;
    expect(start.size).toBe(r.symbols[1]!.offset);
    expect(r.symbols.at(-1)!.offset + r.symbols.at(-1)!.size).toBe(r.bytes.length);
    expect(r.symbols.find((s) => s.name === "at80")!.offset).toBe(0x80);
  });

  it("the listing has objdump-style lines, symbol headers and source lines", () => {
    const r = program().assemble();
    if (!r.ok) throw new Error("assembly failed");
    const text = formatListing(r);
    expect(text).toMatch(/^00000000 <start>:\n {7}0:\tb8 20 00 00 00 {7}\tmov {4}\$0x20,%eax\t# test\/asm\/labels-data\.test\.ts:\d+$/m);
    expect(text).toMatch(/^00000020 <table>:$/m);
    expect(text).toMatch(/\.long 0x20,0x39,0x19/);
    expect(text).toMatch(/\.asciz "GPL v2"/);
    expect(text).toMatch(/mov {4}%ax,%ds\t/);
    expect(text).toMatch(/\tlret\t#/);
    expect(text).toMatch(/^00000080 <at80>:\n {6}80:\tea 20 00 00 00 08 00 \tljmp {3}\$0x8,\$0x20/m);
  });
});

describe("recording keeps no object per instruction", () => {
  it("consecutive instructions share one run node and still list one line each, with their operands", () => {
    const a = new Assembler({ captureSource: false });
    const top = a.label("top");
    let count = 0;
    for (let i = 0; i < 300; i++) {
      a.mov(eax, dword({ base: ebx, index: ecx, scale: 4, disp: i * 4 - 600, seg: fs }));
      a.add(eax, i);
      a.mov(dword(0xfffffff0), 0x80000000 + i);
      count += 3;
      if (i % 7 === 0) a.jne(top);
      if (i % 11 === 0) {
        a.call(top);
        count++;
      }
    }
    a.ret();
    count++;
    const r = a.assemble();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(a.nodeCount).toBeLessThan(count / 2); // consecutive instructions share a node
    const ins = r.placed.filter((p) => p.node.k === "fixed" && p.ins);
    expect(ins.length).toBe(count);
    // Operands come back from their packed form exactly as recorded.
    const first = ins[0]!.ins!;
    expect(first.ops).toEqual([eax, dword({ base: ebx, index: ecx, scale: 4, disp: -600, seg: fs })]);
    expect(ins[2]!.ins!.ops).toEqual([dword(0xfffffff0), 0x80000000]);
    expect(ins.find((p) => p.ins!.row.mnemonic === "call")!.ins!.ops[0]).toBe(top);
    const text = formatListing(r);
    expect(text).toMatch(/\tmov {4}%fs:-0x258\(%ebx,%ecx,4\),%eax/);
    expect(text).toMatch(/\tmovl {3}\$0x8000012b,0xfffffff0/);
    expect(text).toMatch(/\tcall {3}0x0/);
  });
});
