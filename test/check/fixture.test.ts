// The fixture images are valid, the report functions describe them, and the two outside
// opinions agree with the checker: objdump decodes the code the same way iced-x86 does, and
// SeaBIOS (in qemu) runs the fixture ROM and refuses it with a bad checksum, as the checker does.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkImage, formatViolations, summarize, type Violation } from "../../src/check/index.ts";
import { X86Decoder } from "../../src/decode/x86-decoder.ts";
import { objdumpDecode, requireTools, withTempDir } from "../support/tools.ts";
import { buildFixture } from "./fixture.ts";
import { layoutNamed } from "./layouts.ts";
import { flipBits } from "../support/bytes.ts";

const APIS = ["api3", "api13"] as const;

describe("fixture images", () => {
  it.each(APIS)("%s: valid with and without its manifest", (api) => {
    const f = buildFixture(layoutNamed(api));
    expect(checkImage(f.bytes, f.layout)).toEqual([]);
    expect(checkImage(f.bytes, f.layout, { manifest: f.manifest })).toEqual([]);
  });

  it.each(APIS)("%s: summary counts the slots the fixture placed", (api) => {
    const f = buildFixture(layoutNamed(api));
    const n = (p: string): number => f.manifest.calls.filter((c) => c.placement === p).length;
    const outOfLine = n("outOfLine") + n("image"); // the image machinery's calls are out of line in the fixture
    const absent = n("absent") ? `, ${n("absent")} absent` : "";
    expect(summarize(f.bytes, f.layout, [], "f.rom")).toBe(
      `ok: f.rom ${f.bytes.length} bytes, ${f.manifest.calls.length} slots (${n("inline")} inline, ${outOfLine} out of line${absent}), 0 violations`,
    );
    const bad = new Uint8Array(f.bytes);
    flipBits(bad, 0x21, 0xff);
    const v = checkImage(bad, f.layout);
    expect(summarize(bad, f.layout, v, "f.rom")).toMatch(/^FAIL: f\.rom \d+ bytes, .*, 2 violations \(image\.checksum, pcir\.signature\)$/);
  });
});

describe("formatViolations", () => {
  const f = buildFixture(layoutNamed("api3"));
  const bad = new Uint8Array(f.bytes);
  bad[0x24] = 0x86; // PCIR vendor low byte
  const v = checkImage(bad, f.layout);

  it("prints one line per violation naming rule, region, offset, expected and found", () => {
    const lines = formatViolations(v, false).split("\n");
    expect(lines).toHaveLength(v.length);
    const vendor = lines.find((l) => l.startsWith("pcir.vendor "));
    expect(vendor).toContain("[pcir @ 0x0024]");
    expect(vendor).toContain("expected 0x15ad, found 0x1586");
  });

  it("JSON round-trips to the same violations", () => {
    expect(JSON.parse(formatViolations(v, true)) as Violation[]).toEqual(v);
    expect(formatViolations([], false)).toBe("");
  });
});

describe("objdump decodes the fixture's code at the same boundaries as the checker's iced-x86 decoder", () => {
  it.runIf(requireTools("objdump")).each(APIS)("%s", (api) => {
    const f = buildFixture(layoutNamed(api));
    const regions = [...f.manifest.calls.flatMap((c) => [{ offset: c.slot.offset, size: c.slot.used }, ...(c.body ? [c.body] : [])]), ...f.manifest.shared];
    const decoder = new X86Decoder(f.bytes, 32);
    try {
      for (const r of regions) {
        const theirs = objdumpDecode(f.bytes.subarray(r.offset, r.offset + r.size), 32, 0).map((d) => [r.offset + d.offset, d.length]);
        const ours: number[][] = [];
        for (let p = r.offset; p < r.offset + r.size; ) {
          const ins = decoder.at(p);
          expect(ins.status).toBe("ok");
          ours.push([p, ins.length]);
          p += ins.length;
        }
        expect(ours).toEqual(theirs);
      }
    } finally {
      decoder.free();
    }
  });
});

describe("SeaBIOS agrees on the option-ROM envelope", () => {
  const runSeaBios = (rom: Uint8Array | undefined): string =>
    withTempDir((dir) => {
      const log = join(dir, "debug.log");
      const args = ["-machine", "pc", "-nodefaults", "-nographic", "-no-reboot", "-boot", "reboot-timeout=0", "-display", "none"];
      if (rom) {
        writeFileSync(join(dir, "x.rom"), rom);
        args.push("-option-rom", join(dir, "x.rom"));
      }
      args.push("-debugcon", `file:${log}`, "-global", "isa-debugcon.iobase=0x402");
      spawnSync("timeout", ["20", "qemu-system-i386", ...args], { encoding: "utf8" });
      return readFileSync(log, "latin1");
    });
  const runs = (log: string): number => log.split("\n").filter((l) => l.startsWith("Running option rom at")).length;

  it.runIf(requireTools("qemu-system-i386", "timeout"))("runs the valid fixture, refuses it with a bad checksum", () => {
    const f = buildFixture(layoutNamed("api3"));
    const none = runs(runSeaBios(undefined));
    expect(checkImage(f.bytes, f.layout)).toEqual([]);
    expect(runs(runSeaBios(f.bytes))).toBe(none + 1);

    const bad = new Uint8Array(f.bytes);
    flipBits(bad, bad.length - 1, 1);
    expect(checkImage(bad, f.layout).map((v) => v.rule)).toEqual(["image.checksum"]);
    const log = runSeaBios(bad);
    expect(log).toMatch(/Found option rom with bad checksum: loc=0x[0-9a-f]+ len=3072 sum=1/);
    expect(runs(log)).toBe(none);
  });
});
