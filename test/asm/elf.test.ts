// encodeElf on a small program away from address 0, read back by binutils: the section holds the bytes at the
// program's origin, nm lists its labels there (functions where code starts), addr2line names the lines of
// this file that recorded each instruction, and the line program survives long jumps between lines and files.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Assembler, eax, encodeElf, programLines, programSymbols } from "../../src/asm/index.ts";
import { requireTools, withTempDir } from "../support/tools.ts";

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: "utf8" });
const FILE = "test/asm/elf.test.ts";
/** The line just above the one that called lineAbove(): where the DSL call it follows was recorded. */
const lineAbove = (): number => Number(/elf\.test\.ts:(\d+)/.exec(new Error().stack!.split("\n")[2]!)![1]) - 1;

function program() {
  const a = new Assembler({ origin: 0x12340 });
  a.label("entry");
  a.mov(eax, 1);
  const l1 = lineAbove();
  a.ret();
  a.align(16, 0xcc);
  a.label("table");
  a.dd(1, 2, 3);
  const l2 = lineAbove();
  a.label("far_code");
  a.times(300, () => a.nop());
  const l3 = lineAbove();
  a.inc(eax);
  const l4 = lineAbove();
  a.ret();
  const r = a.assemble();
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return { r, lines: [l1, l2, l3, l4] };
}

describe.runIf(requireTools("nm", "addr2line", "objcopy", "readelf"))("ELF with DWARF lines", () => {
  it("binutils read the bytes, symbols and lines back at the program's origin", () => {
    const { r, lines } = program();
    const elf = encodeElf({
      bytes: r.bytes,
      address: r.origin,
      symbols: programSymbols(r, [{ name: "extra", offset: 4, size: 1 }]),
      lines: programLines(r),
      name: "t",
    });
    withTempDir((dir) => {
      const f = join(dir, "t.elf"),
        b = join(dir, "t.bin");
      writeFileSync(f, elf);
      run("objcopy", ["-O", "binary", "-j", ".text", f, b]);
      expect(Buffer.from(readFileSync(b)).equals(Buffer.from(r.bytes))).toBe(true);
      expect(run("nm", ["-n", f]).trim().split("\n")).toEqual(["00012340 T entry", "00012344 T extra", "00012350 T table", "0001235c T far_code"]);
      // Code symbols are functions, data symbols objects, with their sizes.
      const types = run("readelf", ["-sW", f])
        .split("\n")
        .filter((l) => /GLOBAL/.test(l))
        .map((l) => l.trim().split(/\s+/).slice(1, 4).concat(l.trim().split(/\s+/).slice(-1)).join(" "));
      expect(types).toEqual(["00012340 4 FUNC entry", "00012344 1 OBJECT extra", "00012350 12 OBJECT table", "0001235c 302 FUNC far_code"]);
      expect(run("readelf", ["-h", f])).toMatch(/Type:\s+EXEC/);
      const sym = (name: string) => r.symbols.find((s) => s.name === name)!.address;
      const inc = sym("far_code") + 300;
      const at = run("addr2line", ["-e", f, ...[sym("entry"), sym("table"), sym("far_code") + 10, inc].map((v) => `0x${v.toString(16)}`)])
        .trim()
        .split("\n");
      expect(at).toEqual(lines.map((l) => `${FILE}:${l}`));
    });
  });
});
