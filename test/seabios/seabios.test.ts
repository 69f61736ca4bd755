// SeaBIOS in qemu runs each native ROM's 16-bit init entry (one more "Running option rom at XXXX:0003" line
// than a run without it) and refuses a copy with a broken checksum ("bad checksum", no extra run).
// Where SeaBIOS puts a ROM depends on what else qemu loads, so the test counts lines, not addresses.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { build, layoutNamed } from "../image/helpers.ts";
import { requireTools } from "../support/tools.ts";

const QEMU = "qemu-system-i386";
const RUN_LINE = /^Running option rom at ([0-9a-f]{4}):0003$/gm;
const dir = mkdtempSync(join(tmpdir(), "vmirom-seabios-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** SeaBIOS's debug log of one boot (no disk: it gives up and qemu exits). */
function boot(rom: string | undefined, name: string): string {
  const log = join(dir, `${name}.log`);
  const args = [
    "-machine",
    "pc",
    "-nodefaults",
    "-nographic",
    "-no-reboot",
    "-boot",
    "reboot-timeout=0",
    "-display",
    "none",
    ...(rom ? ["-option-rom", rom] : []),
    "-debugcon",
    `file:${log}`,
    "-global",
    "isa-debugcon.iobase=0x402",
  ];
  const r = spawnSync("timeout", ["20", QEMU, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${QEMU} exited with ${r.status}: ${r.stderr}`);
  return readFileSync(log, "latin1");
}

const runs = (log: string): string[] => [...log.matchAll(RUN_LINE)].map((m) => m[1]!);

describe("SeaBIOS runs the native ROMs", () => {
  const haveQemu = requireTools(QEMU, "timeout");
  let baseline: string[] = [];
  beforeAll(() => {
    if (haveQemu) baseline = runs(boot(undefined, "baseline"));
  });

  for (const name of ["api3", "api13"] as const) {
    it(`runs native-${name}'s init entry`, () => {
      if (!haveQemu) return;
      const rom = join(dir, `native-${name}.rom`);
      writeFileSync(rom, build(native, layoutNamed(name)).bytes);
      const log = boot(rom, name);
      expect(log).not.toMatch(/bad checksum/);
      expect(runs(log)).toHaveLength(baseline.length + 1);
      // The ROM's segment is one SeaBIOS did not run without it.
      expect(runs(log).filter((seg) => !baseline.includes(seg))).toHaveLength(1);
    });
  }

  it("refuses a copy with a broken checksum", () => {
    if (!haveQemu) return;
    const bytes = build(native, layoutNamed("api3")).bytes.slice();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1]! + 1) & 0xff;
    const rom = join(dir, "broken.rom");
    writeFileSync(rom, bytes);
    const log = boot(rom, "broken");
    expect(log).toMatch(new RegExp(`Found option rom with bad checksum: loc=0x000c[0-9a-f]{4} len=${bytes.length} sum=1`));
    expect(runs(log)).toHaveLength(baseline.length);
  });
});
