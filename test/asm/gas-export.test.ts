// GNU as export (formatGas): an assembled program written back out as AT&T source must assemble and link
// with GNU as and ld into the same bytes, with label references kept as labels. The ROM-level form of this
// test (every image in build/roms) is test/image/outputs.test.ts.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Assembler, ax, byte, cs, diff, ds, dword, eax, ebx, ecx, far, formatGas, plus, seg, es, word, bx, si } from "../../src/asm/index.ts";
import { tableCorpus } from "./corpus.ts";
import { requireTools, withTempDir } from "../support/tools.ts";

/** `as --32` then `ld -Ttext=<origin> --oformat=binary`: the recipe the .S files name. */
function gasLink(source: string, origin = 0): Uint8Array {
  return withTempDir((dir) => {
    const s = join(dir, "x.S"),
      o = join(dir, "x.o"),
      b = join(dir, "x.bin");
    writeFileSync(s, source);
    execFileSync("as", ["--32", "-o", o, s], { stdio: ["ignore", "pipe", "pipe"] });
    execFileSync("ld", ["-m", "elf_i386", "-e", "0", `-Ttext=0x${origin.toString(16)}`, "--oformat=binary", "-o", b, o], { stdio: ["ignore", "pipe", "pipe"] });
    return new Uint8Array(readFileSync(b));
  });
}

function assembled(a: Assembler) {
  const r = a.assemble();
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r;
}

/** A program with every kind of node: labels (global, local, anonymous), relaxed and fixed-size branches,
 * label immediates/displacements/data, 16-bit code, far jumps, alignment (fill and NOP), org, strings. */
function mixed(origin = 0): Assembler {
  const a = new Assembler({ origin });
  const table = a.newLabel("table"),
    end = a.newLabel("end"),
    far16 = a.newLabel("far16"),
    anon = a.newLabel();
  a.label("start");
  a.mov(eax, table);
  a.mov(ebx, dword(plus(table, 4)));
  a.mov(eax, dword({ base: ebx, index: ecx, scale: 4, disp: plus(table, -8) }));
  a.add(eax, diff(end, table));
  a.push(table);
  a.mov(seg(es, byte(table)), 7);
  a.label(".loop");
  a.dec(eax);
  a.jne(a.newLabel(".loop"));
  a.jmp(anon, "long");
  a.jmp(anon, "short");
  a.je(end);
  a.call(far16);
  a.label(anon);
  a.lock().add(dword(eax), 1);
  a.rep().stosd();
  a.ret();
  a.align(16, 0xcc);
  a.label(table);
  a.dd(table, end, diff(end, table), plus(end, 3));
  a.dw(0x1234, table);
  a.db(1, 2, 'a"b\\\n', end);
  a.asciz("GPL v2\x01");
  a.fill(5, 0x90);
  a.bytes([1, 2, 3]);
  a.label(end);
  a.align(8, "nop");
  a.bits(16);
  a.label(far16);
  a.mov(ax, cs);
  a.mov(ds, ax);
  a.mov(ax, word({ base: bx, index: si, disp: table }));
  a.jmp(end);
  a.jmp(end, "long");
  a.align(4, "nop");
  a.retf();
  a.bits(32);
  a.org(0x100, 0xcc);
  a.label("at100");
  a.jmp(far(0x08, table));
  a.jmp(a.newLabel("start"));
  return a;
}

describe.runIf(requireTools("as", "ld"))("GNU as export", () => {
  it("assembles and links back into the same bytes, labels kept symbolic", () => {
    const r = assembled(mixed());
    const s = formatGas(r);
    expect(Buffer.from(gasLink(s)).toString("hex")).toBe(Buffer.from(r.bytes).toString("hex"));
    expect(s).toContain("mov    $table,%eax");
    expect(s).toContain("mov    table+0x4,%ebx");
    expect(s).toContain("table-0x8(%ebx,%ecx,4)");
    expect(s).toContain("add    $end-table,%eax");
    expect(s).toMatch(/\{disp32\} jmp +\.L\.\d+/);
    expect(s).toMatch(/\{disp16\} jmp +end/);
    expect(s).toContain("ljmp   $0x8,$table");
    expect(s).toContain(".long table,end,end-table,end+0x3");
    expect(s).toMatch(/^\.Lstart\.loop:$/m);
    expect(s).toContain("\t.code16\n");
    expect(s).toContain(".org 0x100, 0xcc");
  });

  it("at another origin (not a multiple of the alignment), linked there", () => {
    const r = assembled(mixed(0x44));
    expect(Buffer.from(gasLink(formatGas(r), 0x44)).equals(Buffer.from(r.bytes))).toBe(true);
  });

  it("writes data constants from the final bytes (a checksum patched after layout)", () => {
    const a = new Assembler();
    a.label("sum");
    a.db(0);
    a.dw(0);
    a.asciz("ab");
    const r = assembled(a);
    r.bytes.set([0x5a, 0x34, 0x12, 0x41], 0);
    const s = formatGas(r);
    expect(Buffer.from(gasLink(s)).toString("hex")).toBe("5a341241" + "6200");
  });

  it("a failure is seen: the same source with one byte changed does not match", () => {
    const r = assembled(mixed());
    const s = formatGas(r).replace(".word 0x1234", ".word 0x1235");
    expect(Buffer.from(gasLink(s)).equals(Buffer.from(r.bytes))).toBe(false);
  });

  for (const bits of [32, 16] as const) {
    it(`every table row written by formatGas, ${bits}-bit code`, () => {
      const a = new Assembler({ bits, captureSource: false });
      for (const it of tableCorpus(bits)) a.ins(it.mnemonic, it.ops);
      const r = assembled(a);
      expect(Buffer.from(gasLink(formatGas(r))).equals(Buffer.from(r.bytes))).toBe(true);
    });
  }
});
