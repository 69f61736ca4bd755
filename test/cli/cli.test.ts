// The bundled CLI (node dist/vmirom.mjs), spawned like a user would: each command's success and error
// exits, one clear message on bad input, no partial or temporary file left behind, --help everywhere.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../../roms/index.ts";
import { native } from "../../roms/native/index.ts";
import { COMMANDS, parseCommandLine } from "../../src/cli/grammar.ts";
import { buildImage } from "../../src/image/index.ts";
import { layoutNamed } from "../image/helpers.ts";
import { flipBits } from "../support/bytes.ts";
import { builtRomsFixture, type CliRun, ROOT, runCli } from "../support/cli.ts";

const LAYOUTS = join(ROOT, "layouts");
let tmp = "";
let out = "";

type Run = CliRun;

function vmirom(args: string[], env: Record<string, string> = {}): Run {
  return runCli(args, { cwd: tmp, env });
}

/** Files in a directory, temporary ones included (they must not survive). */
const listDir = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

const fixture = builtRomsFixture("vmirom-cli-");
beforeAll(() => {
  tmp = fixture.tmp;
  out = fixture.out;
});

// Every registered backend × interface (the registry, not a hard-coded list: backends are added there).
const EXPECTED_FILES = [
  ...Object.keys(BACKENDS).flatMap((b) =>
    ["api13", "api3"].flatMap((api) => ["S", "elf", "json", "lst", "map", "rom", "svg"].map((ext) => `${b}-${api}.${ext}`)),
  ),
  "vmi-api13.h",
  "vmi-api3.h",
].sort();

describe("vmirom build", () => {
  it("writes every backend × interface with its listing, map, manifest, GNU as source, ELF and C header, and nothing else", () => {
    expect(listDir(out)).toEqual(EXPECTED_FILES);
  });

  it("writes the same ROM bytes the image machinery builds in-process, and a manifest that describes them", () => {
    for (const name of ["api3", "api13"] as const) {
      const built = buildImage(native, layoutNamed(name));
      if (!built.ok) throw new Error("build failed");
      const major = name === "api3" ? 3 : 13;
      const rom = readFileSync(join(out, `native-api${major}.rom`));
      expect(Buffer.from(built.value.bytes).equals(rom)).toBe(true);
      const manifest = JSON.parse(readFileSync(join(out, `native-api${major}.json`), "utf8"));
      expect(manifest.sha256).toBe(built.value.manifest.sha256);
      expect(readFileSync(join(out, `vmi-api${major}.h`), "utf8")).toContain(`#define VMI_API${major}_`);
    }
  });

  it("prints one ok line per image from the checker", () => {
    const again = join(tmp, "again");
    const r = vmirom(["build", "--backend", "native", "--api", "3", "--out", again]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: native-api3\.rom \d+ bytes, 74 slots \(\d+ inline, \d+ out of line, 5 absent\), 0 violations$/m);
    expect(listDir(again)).toEqual([
      "native-api3.S",
      "native-api3.elf",
      "native-api3.json",
      "native-api3.lst",
      "native-api3.map",
      "native-api3.rom",
      "native-api3.svg",
      "vmi-api3.h",
    ]);
  });

  it("builds an image alone into the same files as with the others (anonymous labels in the .S numbered per image)", () => {
    const alone = join(tmp, "alone");
    expect(vmirom(["build", "--backend", "native", "--api", "13", "--out", alone]).status).toBe(0);
    for (const f of ["native-api13.S", "native-api13.elf", "native-api13.lst", "native-api13.rom"]) {
      expect(readFileSync(join(alone, f)).equals(readFileSync(join(out, f))), f).toBe(true);
    }
  });

  it("the listing names the TypeScript line that emitted each instruction (through the bundle's line table)", () => {
    const lst = readFileSync(join(out, "native-api3.lst"), "utf8");
    expect(lst).toMatch(/^000000a0 <stub_CPUID>:\n\s+a0:\t0f a2 +\tcpuid\t# roms\/native\/[a-z-]+\.ts:\d+$/m);
    expect(lst).not.toMatch(/dist\//);
  });

  it("writes the listing and map a build from the TypeScript sources gives, line for line (source lines included), for every backend", () => {
    for (const [backend, program] of Object.entries(BACKENDS)) {
      for (const name of ["api3", "api13"] as const) {
        const built = buildImage(program, layoutNamed(name));
        if (!built.ok) throw new Error(`${backend} ${name}: build failed`);
        const stem = `${backend}-${name}`;
        expect(readFileSync(join(out, `${stem}.lst`), "utf8"), stem).toBe(built.value.listing);
        expect(readFileSync(join(out, `${stem}.map`), "utf8"), stem).toBe(built.value.map);
      }
    }
  });

  it("is reproducible: building again gives byte-identical files", () => {
    const again = join(tmp, "repro");
    expect(vmirom(["build", "--all", "--out", again]).status).toBe(0);
    for (const f of EXPECTED_FILES) expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  });

  it("refuses an unknown backend with one message and writes nothing", () => {
    const dir = join(tmp, "unknown-backend");
    const r = vmirom(["build", "--backend", "nope", "--out", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      `vmirom: CLI_UNKNOWN_BACKEND: unknown backend "nope"; available: ${Object.keys(BACKENDS).sort().join(", ")}, all, or a backend file (./mine.ts)`,
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses a bad layout file naming the file and the path inside it", () => {
    const bad = JSON.parse(readFileSync(join(LAYOUTS, "api3.json"), "utf8"));
    bad.calls[5].number = 4; // duplicate call number
    const file = join(tmp, "bad-layout.json");
    writeFileSync(file, JSON.stringify(bad, null, 2));
    const dir = join(tmp, "bad-layout-out");
    const r = vmirom(["build", "--layout", file, "--out", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("LAYOUT_DUPLICATE_CALL");
    expect(r.stderr).toContain(`${file}:calls[5].number`);
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses a layouts directory holding a broken layout", () => {
    const dir = join(tmp, "layouts-broken");
    mkdirSync(dir);
    copyFileSync(join(LAYOUTS, "api13.json"), join(dir, "api13.json"));
    writeFileSync(join(dir, "api3.json"), "{ not json");
    const r = vmirom(["build", "--out", join(tmp, "broken-out")], { VMIROM_LAYOUTS: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("LAYOUT_JSON_SYNTAX");
    expect(r.stderr).toContain(join(dir, "api3.json"));
    expect(existsSync(join(tmp, "broken-out"))).toBe(false);
  });

  it("fails a build error (image too large for the layout) with the call and sizes, leaving no file", () => {
    const small = JSON.parse(readFileSync(join(LAYOUTS, "api3.json"), "utf8"));
    small.maxImageSize = 5 * 512;
    const file = join(tmp, "small-api3.json");
    writeFileSync(file, JSON.stringify(small));
    const dir = join(tmp, "too-large");
    mkdirSync(dir);
    const r = vmirom(["build", "--layout", file, "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /vmirom: native-api3: IMAGE_TOO_LARGE: the image needs 3072 bytes .* at most 2560; largest out-of-line bodies: \w+ \d+ bytes at 0x[0-9a-f]+/,
    );
    expect(r.stderr).toContain("no files were written");
    expect(listDir(dir)).toEqual([]);
  });

  it("reports an output directory it cannot create", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = vmirom(["build", "--out", join(file, "sub")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CLI_OUT_DIR: cannot use the output directory: .*a-file is not a directory/);
  });

  it("rejects an unknown option and an unknown --api", () => {
    const r1 = vmirom(["build", "--frobnicate"]);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain("Unknown argument: frobnicate");
    const dir = join(tmp, "api7");
    const r2 = vmirom(["build", "--api", "7", "--out", dir]);
    expect(r2.status).toBe(2);
    expect(r2.stderr.trim()).toBe('vmirom: CLI_UNKNOWN_API: no layout has API major version "7"; available: api3 (major 3), api13 (major 13)');
    expect(existsSync(dir)).toBe(false);
  });
});

describe("vmirom info / list", () => {
  it("info decodes the header, PCIR, $PnP, license and slots", () => {
    const r = vmirom(["info", join(out, "native-api3.rom")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^native-api3\.rom: \d+ bytes \(\d+ blocks of 512\), checksum ok/);
    expect(r.stdout).toContain("api_version_maj");
    expect(r.stdout).toContain('license: "GPL v2"');
    expect(r.stdout).toContain('product "VMI native ROM"');
    expect(r.stdout).toMatch(/slots: base 0x00a0, 74 calls: \d+ inline, \d+ out of line, 5 absent/);
  });

  it("list disassembles slot by slot from the image alone", () => {
    const r = vmirom(["list", join(out, "native-api13.rom")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("000005e0 <stub_SwapPxE>:");
    expect(r.stdout).toMatch(/ {5}5e0:\t87 10 {16}\txchg {3}%edx,\(%eax\)/);
    expect(r.stdout).toContain("<body_GetRelocationInfo>:");
  });

  it("refuses a missing file, a file that is not a ROM, and an image of an unknown API", () => {
    const missing = vmirom(["info", join(tmp, "missing.rom")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^vmirom: CLI_READ_FAILED: cannot read the ROM image: ENOENT.*\(.*missing\.rom\)\n$/);
    const text = join(tmp, "text.rom");
    writeFileSync(text, "hello");
    const notRom = vmirom(["list", text]);
    expect(notRom.status).toBe(2);
    expect(notRom.stderr.trim()).toBe(`vmirom: CLI_NOT_A_ROM: not an option ROM: the file does not start with 55 AA (${text}, offset 0x0)`);
    const odd = readFileSync(join(out, "native-api3.rom"));
    odd[0x0d] = 7;
    const oddFile = join(tmp, "odd.rom");
    writeFileSync(oddFile, odd);
    const unknown = vmirom(["info", oddFile]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("byte 0x0D (API major version) is 7");
    expect(vmirom(["info", oddFile, "--api", "3"]).status).toBe(0);
  });
});

describe("vmirom check", () => {
  it("passes a built image with its manifest: exit 0 and a one-line summary", () => {
    const r = vmirom(["check", join(out, "native-api13.rom"), "--manifest", join(out, "native-api13.json")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: native-api13\.rom 4096 bytes, 84 slots \(\d+ inline, \d+ out of line\), 0 violations\n$/);
  });

  it("passes every built image with its manifest file, cold parts and absent reasons included", () => {
    for (const rom of listDir(out).filter((f) => f.endsWith(".rom"))) {
      const r = vmirom(["check", join(out, rom), "--manifest", join(out, rom.replace(/\.rom$/, ".json"))]);
      expect(r.stdout, rom).toMatch(/ 0 violations\n$/);
      expect(r.status, rom).toBe(0);
    }
  });

  it("fails a modified image: exit 1 with the violations, as text and as JSON", () => {
    const rom = readFileSync(join(out, "native-api3.rom"));
    flipBits(rom, 0x21, 0x01); // inside "PCIR"
    const file = join(tmp, "modified.rom");
    writeFileSync(file, rom);
    const r = vmirom(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("pcir.signature");
    expect(r.stdout).toContain("image.checksum");
    expect(r.stdout).toMatch(/^FAIL: modified\.rom/m);
    const j = vmirom(["check", file, "--json"]);
    expect(j.status).toBe(1);
    const violations = JSON.parse(j.stdout) as Array<{ rule: string }>;
    expect(violations.map((v) => v.rule)).toContain("pcir.signature");
    expect(j.stderr).toMatch(/^FAIL: modified\.rom/);
  });

  it("holds an image to its manifest: a valid image built differently fails", () => {
    const r = vmirom(["check", join(out, "native-api3.rom"), "--manifest", join(out, "native-api13.json"), "--api", "3"]);
    expect(r.status).toBe(1);
    // One line saying the manifest is another image's, not every region compared against it.
    expect(r.stdout).toMatch(/^manifest\.image \[image @ 0x0000\] the manifest .*native-api13\.json describes another image \(its layout, api, size differ\)/);
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("refuses a manifest that is not one", () => {
    const file = join(tmp, "bad-manifest.json");
    writeFileSync(file, JSON.stringify({ tool: "vmirom", backend: 3 }));
    const r = vmirom(["check", join(out, "native-api3.rom"), "--manifest", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CLI_MANIFEST_SHAPE: not a vmirom manifest: .* \(.*bad-manifest\.json:backend\)/);
  });

  it("refuses a manifest that is not JSON", () => {
    const file = join(tmp, "not-json.json");
    writeFileSync(file, "{ tool: vmirom");
    const r = vmirom(["check", join(out, "native-api3.rom"), "--manifest", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CLI_MANIFEST_JSON: the manifest is not JSON: .*not-json\.json/);
  });
});

describe("--help and usage", () => {
  for (const cmd of [[], ["build"], ["info"], ["list"], ["check"]]) {
    it(`vmirom ${cmd.join(" ")} --help`, () => {
      const r = vmirom([...cmd, "--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("--help");
      if (cmd[0] === "build") expect(r.stdout).toContain("--backend");
      if (cmd[0] === "check") expect(r.stdout).toContain("--manifest");
    });
  }

  it("the bundle's help is yargs's, character for character (the bundler's string-width front changes no width)", () => {
    for (const cmd of [[], ...COMMANDS.map((c) => [c])]) {
      const r = vmirom([...cmd, "--help"]);
      const inProcess = parseCommandLine([...cmd, "--help"], 110);
      expect(inProcess.kind).toBe("help");
      if (inProcess.kind === "help") expect(r.stdout, cmd.join(" ")).toBe(inProcess.text);
    }
  });

  it("vmirom --version prints the package's version", () => {
    const r = vmirom(["--version"]);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(r.stdout).toBe(`vmirom ${pkg.version}\n`);
  });

  it("without a command: exit 2 and a hint", () => {
    const r = vmirom([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("name a command");
  });
});

describe("no partial files", () => {
  it("a file that cannot be written is never left half-written or as a temporary file", () => {
    const dir = join(tmp, "blocked");
    mkdirSync(join(dir, "native-api3.lst"), { recursive: true }); // a directory where a file must go
    const r = vmirom(["build", "--api", "3", "--out", dir]);
    expect(r.status).toBe(3); // an I/O failure, not "the build failed"
    expect(r.stderr).toMatch(/CLI_WRITE_FAILED: cannot write the file.*: .*\(.*native-api3\.lst\)/);
    expect(r.stdout).not.toMatch(/^ok:/m);
    // All or nothing: what was renamed before the failure is removed again, no temporary file is left.
    expect(listDir(dir)).toEqual(["native-api3.lst"]);
  });

  it("leaves no temporary files in the output directory", () => {
    expect(listDir(out).filter((f) => f.startsWith(".") || f.endsWith(".tmp"))).toEqual([]);
  });
});
