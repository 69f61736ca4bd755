// The debugging and export files written beside every ROM in build/roms, checked with the tools a user would
// point at them: <rom>.S assembled by GNU as and linked by ld gives the .rom byte for byte (the whole-image
// form of test/asm/gas-crosscheck.test.ts); <rom>.elf holds the .rom, nm lists every symbol the .lst names
// at the same address (header fields, slots, bodies, shared routines, GetRelocationInfo), objdump -d decodes
// every instruction of the .lst to the same bytes and text, and addr2line names the .lst's TypeScript line
// for every address the .lst gives one.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/manifest/types.ts";
import { ensureRoms, readManifestOf, REPO, romName } from "../guest/rom-files.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import { requireTools, withTempDir } from "../support/tools.ts";

const haveTools = requireTools("as", "ld", "objcopy", "objdump", "nm", "addr2line", "readelf");
const roms = haveTools ? ensureRoms() : [];

const sibling = (rom: string, ext: string): string => {
  const f = rom.replace(/\.rom$/, ext);
  if (!existsSync(f)) throw new Error(`${basename(f)} is missing beside ${basename(rom)}: run npm run build-rom`);
  return f;
};
const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26 });

interface LstLine {
  address: number;
  bytes: string;
  text: string;
  src?: string;
}

/** The .lst's lines with bytes (continuation lines folded into the line they continue) and its symbol headers. */
function readListing(file: string): { lines: LstLine[]; symbols: Map<string, number> } {
  const lines: LstLine[] = [];
  const symbols = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const h = /^([0-9a-f]{8}) <(.+)>:$/.exec(line);
    if (h) {
      symbols.set(h[2]!, parseInt(h[1]!, 16));
      continue;
    }
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} ?)+)\s*(?:\t([^\t]*)(?:\t# (.*))?)?$/.exec(line);
    if (!m) continue;
    if (m[3] === undefined) {
      const last = lines[lines.length - 1]!;
      last.bytes += ` ${m[2]!.trim()}`;
      continue;
    }
    lines.push({ address: parseInt(m[1]!, 16), bytes: m[2]!.trim(), text: m[3], ...(m[4] ? { src: m[4] } : {}) });
  }
  return { lines, symbols };
}

/** objdump's text with its symbolic branch targets (`a88 <x+0x28>`) written as the .lst writes them (0xa88). */
const normalize = (t: string): string =>
  t
    .replace(/\b([0-9a-f]+) <[^>]+>/g, "0x$1")
    .replace(/\s+/g, " ")
    .trim();

function objdump(elf: string, machine: string[]): Map<number, { bytes: string; text: string }> {
  const out = new Map<number, { bytes: string; text: string }>();
  for (const line of run("objdump", ["-d", "-w", ...machine, elf]).split("\n")) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t(.*)$/.exec(line);
    if (m) out.set(parseInt(m[1]!, 16), { bytes: m[2]!.trim(), text: normalize(m[3]!) });
  }
  return out;
}

describe.runIf(haveTools)("GNU as source and ELF beside every ROM", () => {
  it("finds ROMs (native api3 and api13 at least)", () => {
    expect(roms.map(romName)).toEqual(expect.arrayContaining(["native-api3", "native-api13"]));
  });

  for (const rom of roms) {
    const name = romName(rom);

    it(`${name}.S: as --32 and ld give the .rom byte for byte, branch targets and label values kept as labels`, () => {
      const source = sibling(rom, ".S");
      const image = readFileSync(rom);
      const linked = withTempDir((dir) => {
        const o = join(dir, `${name}.o`),
          b = join(dir, `${name}.bin`);
        run("as", ["--32", "-o", o, source]);
        run("ld", ["-m", "elf_i386", "-e", "0", "-Ttext=0", "--oformat=binary", "-o", b, o]);
        return readFileSync(b);
      });
      expect(linked.length).toBe(image.length);
      const first = linked.findIndex((v, i) => v !== image[i]);
      expect(first, `first difference at 0x${first.toString(16)}`).toBe(-1);
      const text = readFileSync(source, "utf8");
      // No branch or call to a bare number: every target the DSL gave as a label is a label here too.
      expect(text.split("\n").filter((l) => /^\t(\{disp\d+\} )?(j[a-z]+|call|loop[a-z]*)\s+0x/.test(l))).toEqual([]);
      expect(text).toMatch(/^\tjmp +init16\t/m);
      expect(text).toMatch(/^\t\.word reloc_table\t/m);
      expect(text).not.toContain(REPO);
    });

    it(`${name}.elf: ELF32 i386 holding the .rom, a symbol for every name the .lst shows, at the manifest's offsets`, () => {
      const elf = sibling(rom, ".elf");
      const header = run("readelf", ["-h", elf]);
      expect(header).toMatch(/Class:\s+ELF32/);
      expect(header).toMatch(/Machine:\s+Intel 80386/);
      const text = withTempDir((dir) => {
        const b = join(dir, "text.bin");
        run("objcopy", ["-O", "binary", "-j", ".text", elf, b]);
        return readFileSync(b);
      });
      expect(text.equals(readFileSync(rom))).toBe(true);
      expect(readFileSync(elf).includes(REPO)).toBe(false);

      const nm = new Map<string, { address: number; type: string }>();
      for (const line of run("nm", ["-n", elf]).trim().split("\n")) {
        const [address, type, sym] = line.split(" ");
        nm.set(sym!, { address: parseInt(address!, 16), type: type! });
      }
      // objdump -t agrees with nm.
      const table = run("objdump", ["-t", elf]);
      expect(table).toMatch(/^000000a0 g +F \.text\t[0-9a-f]{8} stub_CPUID$/m);

      const at = (sym: string): number | undefined => nm.get(sym)?.address;
      const m: Manifest = readManifestOf(rom);
      const layout = loadLayoutByName(m.layout);
      if (!layout.ok) throw new Error("layout");
      const expected: Array<[string, number]> = [];
      for (const f of layout.value.header) expected.push([`header.${f.name}`, f.offset]);
      for (const c of m.calls) {
        expected.push([`stub_${c.name}`, c.slot.offset]);
        if (c.body) expected.push([`body_${c.name}`, c.body.offset]);
      }
      for (const j of m.jumpPoints) {
        expected.push([`jump_${j.role}`, j.offset]);
        if (j.body)
          expect(
            [...nm].some(([s, v]) => s.startsWith("body_") && v.address === j.body!.offset),
            `a body_ symbol at 0x${j.body.offset.toString(16)}`,
          ).toBe(true);
      }
      for (const s of m.shared) expected.push([s.name, s.offset]);
      expect([...nm.keys()].some((s) => s.includes("GetRelocationInfo"))).toBe(true);
      expect(expected.filter(([s, v]) => at(s) !== v).map(([s, v]) => `${s}: nm ${at(s)?.toString(16)}, manifest ${v.toString(16)}`)).toEqual([]);
      // Slots and bodies are functions (gdb breaks on them).
      for (const c of m.calls) expect(nm.get(`stub_${c.name}`)!.type).toBe("T");
      // Every symbol header of the .lst (cold parts included, when a backend has them) is in the ELF.
      const { symbols } = readListing(sibling(rom, ".lst"));
      expect([...symbols].filter(([s, v]) => at(s) !== v).map(([s]) => s)).toEqual([]);
    });

    it(`${name}.elf: objdump -d decodes every instruction of the .lst to the same bytes and text`, () => {
      const elf = sibling(rom, ".elf");
      const d32 = objdump(elf, []),
        d16 = objdump(elf, ["-M", "i8086"]);
      const ins = readListing(sibling(rom, ".lst")).lines.filter((l) => !/^[.(]/.test(l.text));
      expect(ins.length).toBeGreaterThan(100);
      const differ = ins.filter((l) => ![d32.get(l.address), d16.get(l.address)].some((d) => d && d.bytes === l.bytes && d.text === normalize(l.text)));
      expect(differ.map((l) => `${l.address.toString(16)}: ${l.bytes} ${l.text}`)).toEqual([]);
    });

    it(`${name}.elf: addr2line names the .lst's TypeScript line at every address it gives one`, () => {
      const elf = sibling(rom, ".elf");
      const lines = readListing(sibling(rom, ".lst")).lines.filter((l) => l.src);
      expect(lines.length).toBeGreaterThan(100);
      const answers = run("addr2line", ["-e", elf, ...lines.map((l) => `0x${l.address.toString(16)}`)])
        .trim()
        .split("\n");
      expect(answers).toHaveLength(lines.length);
      expect(lines.map((l, i) => `${l.address.toString(16)} ${answers[i]}`)).toEqual(lines.map((l) => `${l.address.toString(16)} ${l.src}`));
      // The first slot of the table: the backend's own file.
      expect(run("addr2line", ["-e", elf, "0xa0"]).trim()).toMatch(/^roms\/[a-z0-9_-]+\/[a-z0-9_/-]+\.ts:\d+$/);
    });
  }
});
