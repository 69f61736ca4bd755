// vmirom map, diff and run through the bundled CLI, spawned like a user would, over every ROM that
// `vmirom build --all` writes: the .svg beside each ROM, `map` (same picture, or from the bytes alone),
// `diff` exit codes and report, `run` with the test guest and with a tiny multiboot kernel built here with
// GNU as and ld that prints VMI lines on the serial port and ends in the way its command line asks.

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTools, runTool } from "../support/tools.ts";
import { allElements, parseXml } from "../support/xml.ts";
import { fixChecksum } from "../guest/rom-files.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "dist", "vmirom.mjs");
let tmp = "";
let out = "";
let roms: string[] = [];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function vmirom(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** vmirom without blocking the worker, for the runs that boot qemu. */
const vmiromAsync = (args: string[]): Promise<Run> => runTool(process.execPath, [BIN, ...args], { cwd: tmp, timeoutMs: 120_000 });

const listDir = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const layoutCalls = (api: number): string[] =>
  (JSON.parse(readFileSync(join(ROOT, "layouts", `api${api}.json`), "utf8")) as { calls: Array<{ name: string }> }).calls.map((c) => c.name);
const apiOf = (rom: string): number => readFileSync(rom)[0x0d]!;

beforeAll(() => {
  const bundle = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs")], { encoding: "utf8" });
  if (bundle.status !== 0) throw new Error(`bundling failed: ${bundle.stderr}`);
  tmp = mkdtempSync(join(tmpdir(), "vmirom-outputs-"));
  out = join(tmp, "roms");
  const r = vmirom(["build", "--all", "--out", out]);
  if (r.status !== 0) throw new Error(`vmirom build failed: ${r.stderr}`);
  roms = listDir(out)
    .filter((f) => f.endsWith(".rom"))
    .map((f) => join(out, f));
  if (roms.length < 2) throw new Error("build --all made fewer than two ROMs");
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("<rom>.svg and vmirom map", () => {
  it("build writes a well-formed SVG beside every ROM with an element for every call", () => {
    for (const rom of roms) {
      const file = rom.replace(/\.rom$/, ".svg");
      const root = parseXml(readFileSync(file, "utf8"));
      const ids = new Set(allElements(root).map((e) => e.attrs.id));
      for (const name of layoutCalls(apiOf(rom))) expect(ids.has(`call-${name}`), `${file}: ${name}`).toBe(true);
    }
  });

  it("map draws the same picture as the build (the manifest beside the ROM), to a file or to standard output", () => {
    for (const rom of roms) {
      const svg = join(tmp, "map-out.svg");
      const r = vmirom(["map", rom, "--out", svg]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`wrote ${svg}\n`);
      expect(readFileSync(svg, "utf8")).toBe(readFileSync(rom.replace(/\.rom$/, ".svg"), "utf8"));
      const s = vmirom(["map", rom]);
      expect(s.status).toBe(0);
      expect(s.stdout).toBe(readFileSync(svg, "utf8"));
    }
  });

  it("map works from the bytes alone (no manifest), and says so", () => {
    const dir = join(tmp, "bare");
    mkdirSync(dir, { recursive: true });
    for (const rom of roms) {
      const copy = join(dir, "image.bin");
      copyFileSync(rom, copy);
      const r = vmirom(["map", copy]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("from the bytes alone");
      const ids = new Set(allElements(parseXml(r.stdout)).map((e) => e.attrs.id));
      for (const name of layoutCalls(apiOf(rom))) expect(ids.has(`call-${name}`), name).toBe(true);
    }
  });

  it("map notes a manifest that does not describe the bytes", () => {
    const [a, b] = roms;
    const r = vmirom(["map", a!, "--manifest", b!.replace(/\.rom$/, ".json"), "--api", String(apiOf(a!))]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^vmirom: note: .* does not describe these bytes/);
  });

  it("map refuses bad input with one line and leaves no file", () => {
    const missing = vmirom(["map", join(tmp, "missing.rom")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("CLI_READ_FAILED");
    const text = join(tmp, "text.rom");
    writeFileSync(text, "not a rom");
    const notRom = vmirom(["map", text, "--out", join(tmp, "x.svg")]);
    expect(notRom.status).toBe(2);
    expect(notRom.stderr).toContain("CLI_NOT_A_ROM");
    expect(existsSync(join(tmp, "x.svg"))).toBe(false);
    const dir = join(tmp, "blocked-map");
    mkdirSync(join(dir, "m.svg"), { recursive: true }); // a directory where the file must go
    const blocked = vmirom(["map", roms[0]!, "--out", join(dir, "m.svg")]);
    expect(blocked.status).toBe(3); // an I/O failure has its own status
    expect(blocked.stderr).toMatch(/^vmirom: CLI_WRITE_FAILED: cannot write the file.*: .*m\.svg\)\n$/);
    expect(listDir(dir)).toEqual(["m.svg"]);
  });
});

describe("vmirom diff", () => {
  it("exit 0 for identical images", () => {
    for (const rom of roms) {
      const r = vmirom(["diff", rom, rom]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("the images are identical");
    }
  });

  it("exit 1 for a mutated copy, naming the call, its relocation answer and the changed instruction", () => {
    const rom = roms.find((f) => f.endsWith("native-api3.rom"))!;
    const manifest = JSON.parse(readFileSync(rom.replace(/\.rom$/, ".json"), "utf8"));
    const cpuid = manifest.calls.find((c: { name: string }) => c.name === "CPUID");
    const bytes = new Uint8Array(readFileSync(rom));
    bytes.fill(0xcc, cpuid.slot.offset, cpuid.slot.offset + 32);
    bytes.set([0x0f, 0x0b], cpuid.slot.offset);
    bytes[manifest.relocTable.offset + 8 + cpuid.number * 4 + 2] = 0;
    fixChecksum(bytes);
    const copy = join(tmp, "mutated.rom");
    writeFileSync(copy, bytes);
    const r = vmirom(["diff", rom, copy]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("calls: 74 compared, 1 differ, 73 the same");
    expect(r.stdout).toContain("CPUID: form inline → absent; slot bytes used 3/32 → 2/32; relocation CALL_REL 0x00a0 → NONE; code differs");
    expect(r.stdout).toMatch(/- +a0: {2}cpuid\n/);
    expect(r.stdout).toMatch(/\+ +a0: {2}ud2\n/);
  });

  it("exit 1 for two different ROMs, with the layouts and header fields", () => {
    const [a, b] = roms;
    const r = vmirom(["diff", a!, b!]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^--- .*\n\+\+\+ .*\n/);
    expect(r.stdout).toContain("calls:");
    expect(r.stdout).toContain("bytes:");
  });

  it("exit 2 on bad input, one line per bad file", () => {
    const text = join(tmp, "text2.rom");
    writeFileSync(text, "nope");
    const r = vmirom(["diff", roms[0]!, text]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([`vmirom: CLI_NOT_A_ROM: not an option ROM: the file does not start with 55 AA (${text}, offset 0x0)`]);
    const missing = vmirom(["diff", join(tmp, "none.rom"), roms[0]!]);
    expect(missing.status).toBe(2);
    expect(vmirom(["diff", roms[0]!]).status).toBe(2);
  });
});

/** A multiboot kernel: probes 0xC0000–0xDFFFF for the ROM, prints VMI lines, then ends as `end=` says. */
const TINY_KERNEL = String.raw`
.code32
.text
.globl _start
.align 4
  .long 0x1BADB002, 0, -0x1BADB002
_start:
  mov $0x90000, %esp
  mov %ebx, %edi
  mov $banner, %esi
  call puts
  mov $0xc0000, %ebx
scan:
  cmpw $0xaa55, (%ebx)
  jne next
  cmpl $0x696d5663, 8(%ebx)
  je found
next:
  add $0x800, %ebx
  cmp $0xe0000, %ebx
  jb scan
  mov $notfound, %esi
  call puts
  jmp finish
found:
  mov $vmifound, %esi
  call puts
  mov $booting, %esi
  call puts
  mov $sanos, %esi
  call puts
finish:
  mov $done, %esi
  call puts
  mov $'p', %al
  testl $4, (%edi)
  jz choose
  mov 16(%edi), %esi
1: mov (%esi), %al
  inc %esi
  test %al, %al
  jz choose
  cmp $'=', %al
  jne 1b
  mov (%esi), %al
choose:
  cmp $'e', %al
  je exit3
  cmp $'h', %al
  je hang
  cmp $'t', %al
  je triple
  mov $0x604, %dx
  mov $0x2000, %ax
  out %ax, %dx
  jmp hang
exit3:
  mov $0xf4, %dx
  mov $3, %al
  out %al, %dx
hang:
  cli
  hlt
  jmp hang
triple:
  lidt nullidt
  int3
puts:
  mov $0x3f8, %dx
2: lodsb
  test %al, %al
  jz 3f
  out %al, %dx
  jmp 2b
3: ret
.data
nullidt: .word 0
  .long 0
banner: .asciz "Linux version 2.6.21-vmirom-tiny (a test kernel)\n"
vmifound: .asciz "VMI: Found the option ROM (55 AA, cVmi) in 0xc0000-0xdffff\n"
booting: .asciz "Booting paravirtualized kernel on vmi\n"
sanos: .asciz "mach: VMI ROM present (Sanos-style line)\n"
notfound: .asciz "tiny kernel: no VMI ROM found\n"
done: .asciz "tiny kernel: end\n"
`;

function tinyKernel(): string {
  const dir = join(tmp, "kernel");
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, "tiny.elf");
  if (existsSync(elf)) return elf;
  writeFileSync(join(dir, "tiny.s"), TINY_KERNEL);
  const as = spawnSync("as", ["--32", "-o", join(dir, "tiny.o"), join(dir, "tiny.s")], { encoding: "utf8" });
  if (as.status !== 0) throw new Error(as.stderr);
  const ld = spawnSync("ld", ["-m", "elf_i386", "-Ttext=0x100000", "-e", "_start", "-o", elf, join(dir, "tiny.o")], { encoding: "utf8" });
  if (ld.status !== 0) throw new Error(ld.stderr);
  return elf;
}

describe("vmirom run", () => {
  it("boots the test guest with every built ROM: probe, Init, relocations, tests, cost table; exit 0", async () => {
    if (!requireTools("qemu-system-i386")) return;
    for (const rom of roms) {
      const r = await vmiromAsync(["run", rom, "--timeout", "60"]);
      expect(r.status, `${rom}\n${r.stdout}${r.stderr}`).toBe(0);
      // Where SeaBIOS puts the ROM depends on its name (qemu's multiboot ROM sorts among the option ROMs), so
      // any 2 KiB step of the option-ROM area.
      expect(r.stdout).toMatch(/^probe: at=0x000[cd][0-9a-f][08]00 result=accept /m);
      expect(r.stdout).toMatch(/^Init: .*status=ok/m);
      expect(r.stdout).toMatch(/^relocations: \d+ answered \(.*\), 0 bad$/m);
      expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed, \d+ skipped$/m);
      expect(r.stdout).toMatch(/^ {2}call +path +instructions +hypercalls +slot bytes +placement$/m);
      expect(r.stdout).toMatch(/^result: ok/m);
      expect(r.stderr).toBe("");
    }
  });

  it("fails (exit 1) when the test guest finds the ROM broken", () => {
    if (!requireTools("qemu-system-i386")) return;
    const rom = roms.find((f) => f.endsWith("native-api3.rom"))!;
    const manifest = JSON.parse(readFileSync(rom.replace(/\.rom$/, ".json"), "utf8"));
    const bytes = new Uint8Array(readFileSync(rom));
    // GetRelocationInfo answers NOP for CPUID: the guest's relocation check against the manifest fails.
    const cpuid = manifest.calls.find((c: { name: string }) => c.name === "CPUID");
    bytes[manifest.relocTable.offset + 8 + cpuid.number * 4 + 2] = 3;
    fixChecksum(bytes);
    const copy = join(tmp, "broken.rom");
    writeFileSync(copy, bytes);
    const r = vmirom(["run", copy, "--manifest", rom.replace(/\.rom$/, ".json"), "--timeout", "60"]);
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^result: FAILED/m);
    expect(r.stdout).toMatch(/^problem: /m);
  });

  it("boots a user's kernel, streams its serial console and summarises the VMI lines; exit 0 when it powers off", () => {
    if (!requireTools("qemu-system-i386", "as", "ld")) return;
    const kernel = tinyKernel();
    for (const rom of roms) {
      const r = vmirom(["run", rom, "--kernel", kernel, "--append", "end=poweroff", "--timeout", "30"]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("---- serial console ----\nLinux version 2.6.21-vmirom-tiny (a test kernel)\nVMI: Found the option ROM");
      expect(r.stdout).toContain("VMI lines the guest printed: 3 (Linux found the ROM; Linux booted paravirtualized on VMI; Sanos uses VMI)");
      expect(r.stdout).toMatch(/^ {2}Booting paravirtualized kernel on vmi$/m);
      expect(r.stdout).toMatch(/^SeaBIOS: Running option rom at c000:0003/m);
      expect(r.stdout).toMatch(/^result: ok — the guest powered off or rebooted$/m);
    }
  });

  it("exit 1 when the kernel does not reach its end: debug-exit code, hang (timeout), triple fault; --until ends it", () => {
    if (!requireTools("qemu-system-i386", "as", "ld")) return;
    const kernel = tinyKernel();
    const rom = roms[0]!;
    const cases: Array<[string[], number, RegExp]> = [
      [["--append", "end=exit", "--timeout", "30"], 1, /result: FAILED — the guest wrote 3 to isa-debug-exit/],
      [["--append", "end=hang", "--timeout", "3"], 1, /result: FAILED — the guest did not reach its end within 3 s/],
      [["--append", "end=triple", "--timeout", "30"], 1, /result: FAILED — the CPU triple-faulted/],
      [["--append", "end=hang", "--timeout", "30", "--until", "Booting paravirtualized kernel on vmi"], 0, /result: ok — the console printed the --until text/],
    ];
    for (const [extra, status, verdict] of cases) {
      const r = vmirom(["run", rom, "--kernel", kernel, ...extra]);
      expect(r.status, `${extra.join(" ")}\n${r.stdout}${r.stderr}`).toBe(status);
      expect(r.stdout).toMatch(verdict);
    }
  });

  it("without qemu: one line naming the Debian package, exit 2", () => {
    const r = vmirom(["run", roms[0]!], { PATH: join(tmp, "no-such-dir") });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("vmirom: CLI_NO_QEMU: qemu-system-i386 is not installed (on Debian: apt-get install qemu-system-x86)\n");
  });

  it("refuses bad input with one line each, exit 2", () => {
    const text = join(tmp, "text3.rom");
    writeFileSync(text, "nope");
    copyFileSync(roms[0]!, join(tmp, "roms-copy.rom")); // no manifest beside it
    const cases: Array<[string[], string]> = [
      [[join(tmp, "none.rom")], "CLI_READ_FAILED: cannot read the ROM image"],
      [[text], "CLI_NOT_A_ROM"],
      [[roms[0]!, "--kernel", join(tmp, "no-kernel")], "CLI_READ_FAILED: cannot read the kernel"],
      [[roms[0]!, "--initrd", roms[0]!], "CLI_USAGE: --initrd needs --kernel"],
      [[roms[0]!, "--timeout", "0"], "CLI_USAGE: --timeout must be a positive number"],
      [[roms[0]!, "--manifest", join(tmp, "none.json")], "CLI_READ_FAILED: cannot read the manifest"],
      [[text.replace(/text3\.rom$/, "roms-copy.rom")], "CLI_NO_MANIFEST: the test guest needs the ROM's build manifest"],
    ];
    for (const [args, message] of cases) {
      const r = vmirom(["run", ...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toContain(message);
    }
  });
});

describe("--help", () => {
  for (const [cmd, option] of [
    ["map", "--out"],
    ["diff", "--api"],
    ["run", "--kernel"],
  ] as const) {
    it(`vmirom ${cmd} --help`, () => {
      const r = vmirom([cmd, "--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(option);
      expect(r.stdout).toContain("--help");
    });
  }
  it("vmirom --help lists map, diff and run", () => {
    const r = vmirom(["--help"]);
    for (const c of ["map <rom>", "diff <a> <b>", "run <rom>"]) expect(r.stdout).toContain(c);
  });
});
