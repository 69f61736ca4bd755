// Builds the reference hypervisor (a multiboot image qemu loads with -kernel) from the C and assembly beside
// this file, with gcc and binutils only, to reproducible bytes: fixed flags, no build id, sources named
// relative to this folder, files compiled in a fixed order. The contract's numbers come from the generated
// vmi-api3.h the caller hands in.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const HYPERVISOR_SOURCES = [
  "boot.S",
  "lib.c",
  "report.c",
  "main.c",
  "cpu.c",
  "events.c",
  "traps.c",
  "emulate.c",
  "vmware.c",
  "xen.c",
  "paging.c",
  "timer.c",
] as const;

const CFLAGS = [
  "-m32",
  "-march=i686",
  "-std=gnu11",
  "-O2",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-Wno-unused-parameter",
  "-ffreestanding",
  "-fno-pic",
  "-fno-pie",
  "-fno-stack-protector",
  "-fno-asynchronous-unwind-tables",
  "-fno-builtin",
  "-mgeneral-regs-only",
  "-fno-ident",
  // The monitor reads and writes low physical addresses (the BIOS data area); not null pointers.
  "--param=min-pagesize=0",
];

/** Run a tool; a failure throws with the tool's own message. */
function run(tool: string, args: readonly string[], cwd?: string): void {
  try {
    execFileSync(tool, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${tool} failed building the hypervisor:\n${err.stderr?.toString() || err.message}`);
  }
}

/** The folder holding boot.S and the C files, from the source tree or from the bundle in dist/. */
export function hypervisorSourceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "boot.S")) && existsSync(join(dir, "monitor.h"))) return dir;
    if (existsSync(join(dir, "hypervisor", "boot.S"))) return join(dir, "hypervisor");
    dir = dirname(dir);
  }
  throw new Error("the hypervisor's sources (hypervisor/boot.S) are not beside vmirom");
}

export interface HypervisorBuild {
  /** The ELF file with symbols (for gdb). */
  readonly elf: string;
  /** The multiboot image qemu takes as -kernel. */
  readonly image: string;
}

/**
 * Compile into `outDir`: `vmi-api3.h` (the header text given) next to the objects, then `vmirom-hv.elf` and
 * the flat multiboot image `vmirom-hv.bin`. Throws with gcc's or ld's message on failure.
 */
export function buildHypervisor(outDir: string, header: string): HypervisorBuild {
  const src = hypervisorSourceDir();
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "vmi-api3.h"), header);
  const objects: string[] = [];
  for (const file of HYPERVISOR_SOURCES) {
    const obj = join(out, file.replace(/\.[cS]$/, ".o"));
    run("gcc", [...CFLAGS, `-ffile-prefix-map=${src}=hypervisor`, "-I", out, "-I", src, "-c", file, "-o", obj], src);
    objects.push(obj);
  }
  const unknown = readdirSync(src).filter((f) => /\.[cS]$/.test(f) && !(HYPERVISOR_SOURCES as readonly string[]).includes(f));
  if (unknown.length) throw new Error(`hypervisor/${unknown[0]} is not in HYPERVISOR_SOURCES (hypervisor/build.ts)`);
  const elf = join(out, "vmirom-hv.elf");
  const image = join(out, "vmirom-hv.bin");
  run("ld", ["-m", "elf_i386", "--build-id=none", "-nostdlib", "-T", join(src, "link.ld"), "-o", elf, ...objects]);
  run("objcopy", ["-O", "binary", "--remove-section=.bss", elf, image]);
  return { elf, image };
}
