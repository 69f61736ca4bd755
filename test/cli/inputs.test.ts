// Issue 20, "every input answered truthfully": the bundled CLI spawned with inputs it must refuse or read
// as given — a kernel qemu cannot boot, a failing qemu, unusable --out, conflicting options, foreign and
// endless files, another ROM's manifest, a binary manifest, truncated images, file names that are not UTF-8,
// standard input — with one clear error and an exit status of its own; and `list` as objdump users expect.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../../roms/index.ts";
import { kernelVerdict } from "../../src/cli/commands/run.ts";
import { BACKEND_NAMES, COMMANDS } from "../../src/cli/grammar.ts";
import { flipBits } from "../support/bytes.ts";
import { requireTools } from "../support/tools.ts";
import { BIN, builtRomsFixture, type CliRun, ROOT, runCli } from "../support/cli.ts";

let tmp = "";
let out = "";

type Run = CliRun;

function vmirom(args: string[], opts: { env?: Record<string, string>; input?: string | Buffer; timeout?: number } = {}): Run {
  return runCli(args, { cwd: tmp, timeout: 60_000, ...opts });
}

/** Through the shell, so that arguments reach vmirom as raw bytes (Node's spawn would encode them as UTF-8). */
function vmiromSh(script: string): Run {
  const r = spawnSync("sh", ["-c", script], { cwd: tmp, encoding: "utf8", env: { ...process.env, BIN, NODE: process.execPath }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (s: string): string[] =>
  s
    .trim()
    .split("\n")
    .filter((l) => l !== "");
const rom = (name: string): string => join(out, name);

const fixture = builtRomsFixture("vmirom-inputs-");
beforeAll(() => {
  tmp = fixture.tmp;
  out = fixture.out;
});

/** 4 KiB of fixed pseudo-random bytes (no "HdrS", no multiboot header, not 55 AA). */
function noise(size = 4096): Buffer {
  const b = Buffer.alloc(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0x00;
  return b;
}

/** A file that passes as a multiboot kernel: the header (magic, flags, checksum) at offset 0. */
function multibootKernel(file: string): string {
  const b = Buffer.alloc(4096);
  b.writeUInt32LE(0x1badb002, 0);
  b.writeUInt32LE(0, 4);
  b.writeUInt32LE(0x100000000 - 0x1badb002, 8);
  writeFileSync(file, b);
  return file;
}

describe("vmirom run: a kernel qemu cannot boot, and qemu's own failure", () => {
  it("refuses a kernel that is no bzImage, multiboot or ELF file before starting qemu, naming the file and what it lacks", () => {
    const kernel = join(tmp, "random.bin");
    writeFileSync(kernel, noise());
    const r = vmirom(["run", rom("native-api3.rom"), "--kernel", kernel]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual([
      `vmirom: CLI_NOT_A_KERNEL: not a kernel qemu can boot: not a Linux bzImage (no "HdrS" at 0x202), not a multiboot kernel (no 0x1BADB002 header with a valid checksum in its first 8 KiB) and not ELF (${kernel})`,
    ]);
  });

  it("never reads qemu's failure (exit 1 with a message) as the guest writing 0 to isa-debug-exit: exit 3, qemu's message shown", () => {
    // A qemu that fails as qemu does on a kernel it cannot load.
    const bin = join(tmp, "fake-qemu");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "qemu-system-i386"), "#!/bin/sh\necho 'qemu: invalid kernel header' >&2\nexit 1\n");
    chmodSync(join(bin, "qemu-system-i386"), 0o755);
    const kernel = multibootKernel(join(tmp, "mb.bin"));
    const r = vmirom(["run", rom("native-api3.rom"), "--kernel", kernel, "--timeout", "20"], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("qemu: invalid kernel header");
    expect(r.stdout).toMatch(/^result: FAILED — qemu failed \(status 1\): qemu: invalid kernel header$/m);
    expect(r.stdout).not.toContain("result: ok");
  });

  it("kernelVerdict: status 1 is the guest's 0 only when qemu said nothing", () => {
    const base = { signal: null, timedOut: false, untilSeen: false, tripleFault: false, console: "" };
    expect(kernelVerdict({ ...base, status: 1, stderr: "" }, 60)).toEqual({ reachedEnd: true, why: "the guest wrote 0 to isa-debug-exit" });
    expect(kernelVerdict({ ...base, status: 1, stderr: "qemu: invalid kernel header\n" }, 60)).toMatchObject({ reachedEnd: false, qemuFailed: true });
    expect(kernelVerdict({ ...base, status: 1, stderr: "qemu-system-i386: warning: host doesn't support requested feature\n" }, 60)).toMatchObject({
      reachedEnd: true,
    });
    expect(kernelVerdict({ ...base, status: 1, stderr: "qemu-system-i386: warning: x\nqemu: could not load kernel\n" }, 60)).toMatchObject({
      qemuFailed: true,
      why: "qemu failed (status 1): qemu: could not load kernel",
    });
  });

  it("refuses standard input as the ROM (qemu reads a file)", () => {
    const r = vmirom(["run", "-"], { input: readFileSync(rom("native-api3.rom")) });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("CLI_USAGE: vmirom run needs the ROM image as a file");
  });
});

describe("vmirom build: --out and the files it writes", () => {
  it("an --out under /proc (where Node's recursive mkdir never returns) ends with one error at once", () => {
    if (!existsSync("/proc/self")) return;
    const r = vmirom(["build", "--api", "3", "--backend", "native", "--out", "/proc/vmirom-out"], { timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^vmirom: CLI_OUT_DIR: cannot use the output directory: .* \(\/proc\/vmirom-out\)$/m);
  });

  it("an --out that is a regular file: one error, no 'ok:' line", () => {
    const file = join(tmp, "somefile");
    writeFileSync(file, "x");
    const r = vmirom(["build", "--api", "3", "--backend", "native", "--out", file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual([`vmirom: CLI_OUT_DIR: cannot use the output directory: it is not a directory (${file})`]);
  });

  it("prints the 'ok:' lines only after the files are written", () => {
    const dir = join(tmp, "fresh", "deep");
    const r = vmirom(["build", "--api", "3", "--backend", "native", "--out", dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: native-api3\.rom .*\nwrote 8 files to /);
    expect(readdirSync(dir)).toHaveLength(8);
  });

  it("build --help lists the backends it can build (the registry's)", () => {
    expect([...BACKEND_NAMES]).toEqual(Object.keys(BACKENDS).sort());
    const r = vmirom(["build", "--help"]);
    expect(r.stdout).toContain(`backend to build: ${Object.keys(BACKENDS).sort().join(", ")}, all, or a backend file`);
  });
});

describe("conflicting options are refused (exit 2) or noted, with the reason", () => {
  const cases: Array<[string[], string]> = [
    [["build", "--all", "--backend", "native"], "--all builds every backend, but --backend native names one"],
    [["build", "--all", "--api", "3"], "--all builds every interface, but --api 3 names one"],
    [["build", "--api", "13", "--layout", join(ROOT, "layouts", "api3.json")], "--api 13 and --layout both choose the interface"],
  ];
  for (const [args, message] of cases) {
    it(args.join(" "), () => {
      const dir = join(tmp, `conflict-${args.length}-${args[1]}`);
      const r = vmirom([...args, "--out", dir]);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringContaining(`CLI_USAGE: ${message}`)]);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it("list/info/check/map/diff with both --api and --layout", () => {
    for (const cmd of [["list"], ["info"], ["check"], ["map"], ["diff", rom("native-api3.rom")]]) {
      const r = vmirom([...cmd, rom("native-api3.rom"), "--api", "3", "--layout", join(ROOT, "layouts", "api3.json")]);
      expect(r.status, cmd[0]).toBe(2);
      expect(lines(r.stderr), cmd[0]).toEqual(["vmirom: CLI_USAGE: --api 3 and --layout both choose the layout; give one of them"]);
    }
  });

  it("list --api naming another layout than the image's byte 0x0D: a note on stderr saying so", () => {
    const r = vmirom(["list", rom("native-api3.rom"), "--api", "13"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("says API major version 3 (byte 0x0D), but is read with layout api13 (major 13) as --api asks");
  });
});

describe("foreign input: info and check say what the file is and is not, the same way", () => {
  const both = (file: string, check: (r: Run) => void): void => {
    const info = vmirom(["info", file]);
    const chk = vmirom(["check", file]);
    check(info);
    expect(chk.status).toBe(info.status);
    expect(chk.stderr).toBe(info.stderr);
  };

  it("an option ROM that is not a VMI ROM (qemu's linuxboot_dma.bin, or one like it)", () => {
    let file = "/usr/share/qemu/linuxboot_dma.bin";
    if (!existsSync(file)) {
      file = join(tmp, "other-option.rom");
      const b = Buffer.alloc(1536);
      b.set([0x55, 0xaa, 3]);
      writeFileSync(file, b);
    }
    both(file, (r) => {
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(
          /^vmirom: CLI_NOT_VMI: an option ROM \(55 AA, \d+ blocks of 512\), but not a VMI ROM: no "cVmi" signature at 0x08 \(found ".*"\); give --api or --layout/,
        ),
      ]);
      expect(r.stderr).not.toContain("byte 0x0D");
    });
  });

  it("a random 4 KiB file: not an option ROM", () => {
    const file = join(tmp, "rand4k.bin");
    writeFileSync(file, noise());
    both(file, (r) => {
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toEqual([`vmirom: CLI_NOT_A_ROM: not an option ROM: the file does not start with 55 AA (${file}, offset 0x0)`]);
    });
  });

  it("a 200 MB file: too large for an option ROM, refused from its size without reading it", () => {
    const file = join(tmp, "big.bin");
    writeFileSync(file, "");
    truncateSync(file, 200_000_000); // sparse
    both(file, (r) => {
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toEqual([
        `vmirom: CLI_TOO_LARGE: the ROM image is too large: 200000000 bytes, more than the most an option ROM can be (130560 bytes: 255 blocks of 512, its length byte's maximum) (${file})`,
      ]);
    });
  });

  it("--layout /dev/zero ends too (layouts are read with a limit)", () => {
    const r = vmirom(["info", rom("native-api3.rom"), "--layout", "/dev/zero"], { timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "vmirom: CLI_TOO_LARGE: the layout file is too large: more than 67108864 bytes, more than 64 MiB, far more than any manifest or layout (/dev/zero)",
    ]);
  });

  it("/dev/zero ends (read up to the limit + 1), a directory is refused", () => {
    const r = vmirom(["info", "/dev/zero"], { timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("CLI_TOO_LARGE: the ROM image is too large: more than 130560 bytes");
    const d = vmirom(["check", tmp]);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain("CLI_NOT_A_FILE: cannot read the ROM image: it is a directory");
  });

  it("a truncated image: list and diff refuse it instead of printing empty stubs or meaningless differences", () => {
    const file = join(tmp, "trunc.rom");
    writeFileSync(file, readFileSync(rom("native-api3.rom")).subarray(0, 1500));
    for (const args of [
      ["list", file],
      ["info", file],
      ["check", file],
      ["diff", rom("native-api3.rom"), file],
    ]) {
      const r = vmirom(args);
      expect(r.status, args[0]).toBe(2);
      expect(r.stdout, args[0]).toBe("");
      expect(lines(r.stderr), args[0]).toEqual([
        `vmirom: CLI_TRUNCATED: the image is cut short: its length byte says 6 blocks of 512 (3072 bytes), the file has 1500 (${file}, offset 0x2)`,
      ]);
    }
  });
});

describe("diff says what differs in words that mean something", () => {
  it("a copy whose NONE answer's (unused) target field changed: not 'relocation NONE → NONE'", () => {
    const b = readFileSync(rom("native-api3.rom"));
    const table = b.readUInt16LE(0x14),
      count = b.readUInt16LE(table + 4),
      size = b.readUInt16LE(table + 6);
    const n = [...Array(count).keys()].find((i) => b[table + 8 + i * size + 2] === 0); // a NONE entry
    if (n === undefined) throw new Error("native-api3.rom answers no call with NONE");
    flipBits(b, table + 8 + n * size, 0x10);
    const file = join(tmp, "none-target.rom");
    writeFileSync(file, b);
    const r = vmirom(["diff", rom("native-api3.rom"), file]);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain("NONE → NONE");
    expect(r.stdout).toMatch(/: relocation NONE: its unused target field 0x0000 → 0x0010\n/);
    expect(r.stdout).toContain("checksum: ok → BAD");
  });
});

describe("--manifest of another kind", () => {
  it("another ROM's manifest: that is said first and only, once", () => {
    const r = vmirom(["check", rom("native-api3.rom"), "--manifest", rom("vmware-api3.json")]);
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(
      /^manifest\.image \[image @ 0x0000\] the manifest .*vmware-api3\.json describes another image \(its backend, size differ\), so nothing else was compared: expected vmware-api3: layout api3, 4096 bytes, found layout api3, 3072 bytes, product "VMI native ROM"$/,
    );
    expect(out[1]).toMatch(/^FAIL: native-api3\.rom .* 1 violation \(manifest\.image\)$/);
  });

  it("a binary file: not JSON, without echoing its bytes", () => {
    const r = vmirom(["check", rom("native-api3.rom"), "--manifest", rom("native-api3.rom")]);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `vmirom: CLI_MANIFEST_JSON: the manifest is not JSON: it is binary data (byte 0xaa at offset 1); a manifest is the <rom>.json the build wrote (${rom("native-api3.rom")})`,
    ]);
    expect(/[^\x20-\x7e\n]/.test(r.stderr)).toBe(false);
  });
});

describe("exit statuses: 1 differences or violations, 2 bad input, 3 I/O failure; each --help says them", () => {
  for (const cmd of COMMANDS) {
    it(`vmirom ${cmd} --help`, () => {
      const r = vmirom([cmd, "--help"]);
      expect(r.stdout).toMatch(/\nExit status:\n {2}0 [^\n]+\n/);
      expect(r.stdout).toContain("  2 bad usage or bad input");
    });
  }

  it("a write failure is 3, not 1 (map)", () => {
    const dir = join(tmp, "blocked-map2");
    mkdirSync(join(dir, "m.svg"), { recursive: true });
    expect(vmirom(["map", rom("native-api3.rom"), "--out", join(dir, "m.svg")]).status).toBe(3);
  });
});

describe("file names are the bytes the user typed", () => {
  it("an existing file whose name is not UTF-8 is read; map --out writes exactly the name given", () => {
    const latin1 = (s: string): Buffer => Buffer.from(s, "latin1");
    writeFileSync(latin1(join(tmp, "n\xe9.rom")), readFileSync(rom("native-api3.rom")));
    const info = vmiromSh(`exec "$NODE" "$BIN" info "$(printf 'n\\351.rom')"`);
    expect(info.stderr).toBe("");
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^n\\xe9\.rom: 3072 bytes/);
    // The manifest beside a ROM so named (x\xe9.json) is found too: list names the shared routines from it.
    writeFileSync(latin1(join(tmp, "x\xe9.rom")), readFileSync(rom("xen-api3.rom")));
    writeFileSync(latin1(join(tmp, "x\xe9.json")), readFileSync(rom("xen-api3.json")));
    const list = vmiromSh(`exec "$NODE" "$BIN" list "$(printf 'x\\351.rom')"`);
    expect(list.stderr).toBe("");
    expect(list.stdout).toContain("<XenMachineAddress>");
    const map = vmiromSh(`exec "$NODE" "$BIN" map "$(printf 'n\\351.rom')" --out "$(printf 'm\\351.svg')"`);
    expect(map.status, map.stderr).toBe(0);
    expect(existsSync(latin1(join(tmp, "m\xe9.svg")))).toBe(true);
    expect(existsSync(join(tmp, "m\uFFFD.svg"))).toBe(false);
    // qemu takes file names as text: run refuses such a name rather than hand qemu another one.
    const run = vmiromSh(`exec "$NODE" "$BIN" run "$(printf 'n\\351.rom')" --kernel "$BIN"`);
    expect(run.status).toBe(2);
    expect(lines(run.stderr)).toEqual([
      "vmirom: CLI_PATH_ENCODING: the ROM image's name holds bytes that are not UTF-8, and qemu takes file names as text; rename the file (n\\xe9.rom)",
    ]);
    const build = vmiromSh(`exec "$NODE" "$BIN" build --api 3 --backend native --out="$(printf 'o\\351')"`);
    expect(build.status, build.stderr).toBe(0);
    expect(readdirSync(latin1(join(tmp, "o\xe9")))).toHaveLength(8);
  });

  it("- is standard input, read up to the size limit", () => {
    const r = vmirom(["info", "-"], { input: readFileSync(rom("native-api3.rom")) });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\(standard input\): 3072 bytes/);
    const big = vmirom(["check", "-"], { input: Buffer.alloc(200_000) });
    expect(big.status).toBe(2);
    expect(big.stderr).toContain("CLI_TOO_LARGE: the ROM image is too large: more than 130560 bytes");
  });
});

describe("vmirom list as objdump users expect", () => {
  it("branch and call targets with their symbol", () => {
    const r = vmirom(["list", rom("native-api3.rom")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ {5}3a0:\te9 3b 06 00 00 {7}\tjmp {4}0x9e0 <body_SetDR>\n/);
    expect(r.stdout).toMatch(/\tjmp {4}0xa90 <init16>\n/);
  });

  it("shared routines by name when the manifest is beside the ROM (or given), by offset without it", () => {
    const xen = vmirom(["list", rom("xen-api3.rom")]);
    const manifest = JSON.parse(readFileSync(rom("xen-api3.json"), "utf8")) as { shared: Array<{ name: string; offset: number }> };
    const called = manifest.shared.find((s) => xen.stdout.includes(`<${s.name}>`));
    expect(called, "a call to a shared routine by name").toBeDefined();
    const alone = join(tmp, "xen-alone.rom");
    copyFileSync(rom("xen-api3.rom"), alone);
    const bare = vmirom(["list", alone]);
    expect(bare.stdout).not.toContain(`<${called!.name}>`);
    expect(bare.stdout).toContain(`<sub_${called!.offset.toString(16).padStart(4, "0")}>`);
    const given = vmirom(["list", alone, "--manifest", rom("xen-api3.json")]);
    expect(given.stdout).toContain(`<${called!.name}>`);
  });

  it("-M intel gives objdump -M intel's text (on the .elf), symbols included, for every 32-bit instruction of every ROM", () => {
    if (!requireTools("objdump")) return;
    /** address → text, from objdump-style lines; `skip`: entries of 16-bit code (objdump reads the .elf as 32-bit). */
    const rows = (text: string, skip: RegExp = /$^/): Map<number, string> => {
      const m = new Map<number, string>();
      let skipping = false;
      for (const l of text.split("\n")) {
        const head = /^[0-9a-f]{8} <(.+)>:$/.exec(l);
        if (head) skipping = skip.test(head[1]!);
        const r = /^\s+([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/.exec(l);
        if (r && !skipping && !r[2]!.startsWith("(")) m.set(parseInt(r[1]!, 16), r[2]!.replace(/\s+/g, " ").trim());
      }
      return m;
    };
    for (const name of readdirSync(out).filter((f) => f.endsWith(".rom"))) {
      const listed = rows(vmirom(["list", join(out, name), "-M", "intel"]).stdout, /^(rom_entry|init16)$/);
      const od = spawnSync("objdump", ["-d", "-M", "intel", join(out, name.replace(/\.rom$/, ".elf"))], { encoding: "utf8" });
      const theirs = rows(od.stdout);
      let compared = 0;
      for (const [addr, text] of listed) {
        if (!theirs.has(addr)) continue;
        compared++;
        expect(`${name} ${addr.toString(16)}: ${text}`).toBe(`${name} ${addr.toString(16)}: ${theirs.get(addr)}`);
      }
      expect(compared, name).toBeGreaterThan(200);
    }
  });

  it("-M intel: Intel syntax as objdump -M intel spells it", () => {
    const r = vmirom(["list", rom("native-api3.rom"), "-M", "intel"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\tmov {4}DWORD PTR \[eax\+edx\*8\],ecx\n/);
    expect(r.stdout).not.toContain("%");
    const bad = vmirom(["list", rom("native-api3.rom"), "-M", "x86-64"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("-M x86-64: vmirom list knows the disassembler options intel and att");
  });
});
