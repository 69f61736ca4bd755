// vmirom run: try a ROM in qemu-system-i386 with SeaBIOS. By default the test guest (see
// src/cli/guest-runner.ts) probes, inits and uses the ROM as Linux (api3) or Sanos (api13) does and reports
// its results and the instruction counts. With --kernel, the user's own kernel boots instead: its serial
// console is streamed to the terminal and the VMI lines it printed are summarised at the end.
// Exit 0 only when the guest reached its end: the test guest passed; a kernel powered off, rebooted, wrote 0
// to isa-debug-exit (port 0xf4) or printed the --until text. Exit 1 otherwise, 2 when it could not start
// (bad input: a kernel that is no bzImage or multiboot kernel is refused before qemu runs), 3 when the tools
// failed: qemu failed or could not start (its message is shown: qemu's own exit status 1 is not the guest
// writing 0 to isa-debug-exit), gcc could not build the reference hypervisor, the test guest is not bundled.

import { accessSync, closeSync, constants, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { diag, type Diagnostic, type Result } from "../../diagnostics.ts";
import type { LoadedBackendTests } from "../backend-file.ts";
import { BACKEND_NAMES } from "../backend-names.ts";
import { type GuestRunnerModule, type GuestTestsExport, loadGuestRunner } from "../guest-runner.ts";
import { loadManifest } from "../manifest-file.ts";
import { streamQemu } from "../qemu-stream.ts";
import { fsPath, showPath } from "../paths.ts";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_IO, EXIT_OK, printErrors } from "../report.ts";
import { readRomBytes } from "../rom-input.ts";

export const QEMU = "qemu-system-i386";
const QEMU_PACKAGE = "qemu-system-x86";

export interface RunArgs {
  rom: string;
  manifest?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  /** Seconds. */
  timeout: number;
  until?: string;
  keep?: string;
  memory: number;
  /** Boot --kernel under the reference hypervisor (hypervisor/). */
  hypervisor?: boolean;
  /** With --hypervisor: the report as one JSON object on stdout. */
  json?: boolean;
  /** Test guest: the backend file the ROM was built from, whose `guestTests` the guest runs. */
  backend?: string;
}

export async function runRun(args: RunArgs): Promise<number> {
  const problems = inputProblems(args);
  if (problems.length) {
    printErrors(problems);
    return EXIT_BAD_INPUT;
  }
  // Without --kernel, the test guest. Either way the input is checked before qemu is looked for.
  const kernel = args.kernel;
  if (kernel === undefined) {
    const guest = await prepareTestGuest(args);
    if (!guest.ok) {
      printErrors(guest.errors);
      return guest.status;
    }
    return noQemu() ?? runTestGuest(args, guest.value);
  }
  const missing = noQemu();
  if (missing !== undefined) return missing;
  if (args.hypervisor) {
    const { runUnderHypervisor } = await import("../hypervisor-run.ts");
    return runUnderHypervisor({ ...args, kernel, json: args.json ?? false });
  }
  return runKernel(args, kernel);
}

/** Without qemu: says so and gives the exit status; undefined when it is installed. */
function noQemu(): number | undefined {
  if (onPath(QEMU)) return undefined;
  printErrors([diag("CLI_NO_QEMU", `${QEMU} is not installed (on Debian: apt-get install ${QEMU_PACKAGE})`)]);
  return EXIT_BAD_INPUT;
}

function inputProblems(args: RunArgs): Diagnostic[] {
  const out: Diagnostic[] = [];
  // qemu takes its file names as text: a name that is not UTF-8 (paths.ts) cannot be handed on as typed.
  const textName = (f: string, what: string): boolean => {
    if (typeof fsPath(f) === "string" && !f.includes("\uFFFD")) return true;
    out.push(
      diag("CLI_PATH_ENCODING", `the ${what}'s name holds bytes that are not UTF-8, and qemu takes file names as text; rename the file`, { file: showPath(f) }),
    );
    return false;
  };
  const file = (f: string | undefined, what: string) => {
    if (f === undefined || !textName(f, what)) return;
    if (!existsSync(f)) out.push(diag("CLI_READ_FAILED", `cannot read the ${what}: no such file`, { file: f }));
    else if (!isRegularFile(f)) out.push(diag("CLI_NOT_A_FILE", `cannot read the ${what}: not a regular file`, { file: f }));
  };
  if (args.rom === "-") out.push(diag("CLI_USAGE", "vmirom run needs the ROM image as a file (qemu reads it), not standard input"));
  else if (textName(args.rom, "ROM image")) {
    const rom = readRomBytes(args.rom);
    if (!rom.ok) out.push(...rom.errors);
  }
  file(args.kernel, "kernel");
  // --hypervisor boots bzImages only and says so itself (hypervisor-run.ts), after its own checks of the ROM.
  if (args.kernel !== undefined && !args.hypervisor && out.length === 0) {
    const k = kernelProblem(args.kernel);
    if (k) out.push(k);
  }
  file(args.initrd, "initrd");
  file(args.manifest, "manifest");
  // A built-in backend's name where a file is wanted: its own tests run without --backend.
  if (args.backend !== undefined && (BACKEND_NAMES as readonly string[]).includes(args.backend) && !existsSync(args.backend)) {
    out.push(diag("CLI_USAGE", `--backend takes a backend file; ${args.backend} is a built-in backend, whose own tests vmirom run runs without --backend`));
  } else file(args.backend, "backend file");
  if (args.kernel === undefined) {
    for (const [name, v] of [
      ["--initrd", args.initrd],
      ["--append", args.append],
      ["--until", args.until],
      ["--hypervisor", args.hypervisor || undefined],
    ] as const) {
      if (v !== undefined) out.push(diag("CLI_USAGE", `${name} needs --kernel (without it, vmirom run boots the test guest)`));
    }
  } else if ((args.manifest !== undefined && !args.hypervisor) || args.keep !== undefined || args.backend !== undefined) {
    out.push(
      diag("CLI_USAGE", "--manifest, --keep and --backend are for the test guest, not for --kernel (--manifest names the ROM's calls with --hypervisor)"),
    );
  }
  if (args.json && !args.hypervisor) out.push(diag("CLI_USAGE", "--json goes with --hypervisor (the report as one JSON object)"));
  if (!Number.isFinite(args.timeout) || args.timeout <= 0) out.push(diag("CLI_USAGE", `--timeout must be a positive number of seconds, not ${args.timeout}`));
  if (!Number.isInteger(args.memory) || args.memory < 16)
    out.push(diag("CLI_USAGE", `--memory must be a whole number of MiB, at least 16, not ${args.memory}`));
  return out;
}

function isRegularFile(f: string): boolean {
  try {
    const fd = openSync(f, "r");
    try {
      return fstatSync(fd).isFile();
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The first `n` bytes of a file (fewer when it is shorter). */
function head(file: string, n: number): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const buf = new Uint8Array(n);
    let got = 0;
    for (let r: number; got < n && (r = readSync(fd, buf, got, n - got, got)) > 0; ) got += r;
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const MULTIBOOT_MAGIC = 0x1badb002;

/**
 * What qemu -kernel can boot on i386: a Linux bzImage ("HdrS" at 0x202, boot protocol 2.x), a multiboot
 * kernel (the magic 0x1BADB002, its flags and a checksum summing to 0, 4-byte aligned in the first 8 KiB),
 * or an ELF file (a PVH kernel; qemu says itself when the ELF note is missing). Anything else qemu either
 * refuses ("invalid kernel header") or jumps into as if it were an old zImage.
 */
export function kernelKind(b: Uint8Array): "bzImage" | "multiboot" | "elf" | undefined {
  if (b.length >= 0x206 && b[0x202] === 0x48 && b[0x203] === 0x64 && b[0x204] === 0x72 && b[0x205] === 0x53) return "bzImage";
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 12 <= Math.min(b.length, 8192); i += 4) {
    if (dv.getUint32(i, true) === MULTIBOOT_MAGIC && (MULTIBOOT_MAGIC + dv.getUint32(i + 4, true) + dv.getUint32(i + 8, true)) >>> 0 === 0) return "multiboot";
  }
  if (b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return "elf";
  return undefined;
}

function kernelProblem(kernel: string): Diagnostic | undefined {
  let b: Uint8Array;
  try {
    b = head(kernel, 8192);
  } catch (e) {
    return diag("CLI_READ_FAILED", `cannot read the kernel: ${e instanceof Error ? e.message : String(e)}`, { file: kernel });
  }
  if (kernelKind(b) !== undefined) return undefined;
  const lacks = b.length < 0x206 ? `it is ${b.length} bytes, too short for a Linux boot header` : `no "HdrS" at 0x202`;
  return diag(
    "CLI_NOT_A_KERNEL",
    `not a kernel qemu can boot: not a Linux bzImage (${lacks}), not a multiboot kernel (no 0x1BADB002 header with a valid checksum in its first 8 KiB) and not ELF`,
    { file: kernel },
  );
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

interface TestGuest {
  runner: GuestRunnerModule;
  manifest: string;
  tests?: GuestTestsExport;
}

/**
 * What the test guest needs, found before qemu is looked for (bad input first): the guest runner (the bundle's,
 * or with --backend the library's, which runs the file's tests: guest-runner.ts), the build manifest, and the
 * backend file's tests. A failure is its message and the exit status.
 */
async function prepareTestGuest(args: RunArgs): Promise<{ ok: true; value: TestGuest } | { ok: false; errors: Diagnostic[]; status: number }> {
  // The guest is built for the ROM's layout, backend and relocation answers: it needs the build manifest.
  const manifest = args.manifest ?? args.rom.replace(/\.rom$/i, "") + ".json";
  if (args.manifest === undefined && (manifest === args.rom || !existsSync(manifest))) {
    const errors = [
      diag(
        "CLI_NO_MANIFEST",
        `the test guest needs the ROM's build manifest and there is no ${basename(manifest)} beside the ROM: give --manifest FILE, or boot your own kernel with --kernel`,
        { file: args.rom },
      ),
    ];
    return { ok: false, errors, status: EXIT_BAD_INPUT };
  }
  if (args.backend !== undefined) {
    const own = await backendTests(args.backend, manifest);
    // A missing guest runner: the installation lacks a part, nothing the user gave is wrong.
    if (!own.ok) return { ok: false, errors: own.errors, status: own.errors.some((e) => e.code === "CLI_NO_GUEST") ? EXIT_IO : EXIT_BAD_INPUT };
    return { ok: true, value: { runner: own.value.runner, manifest, tests: own.value.tests } };
  }
  const loaded = await loadGuestRunner();
  if (!loaded.ok) return { ok: false, errors: loaded.errors, status: EXIT_IO };
  return { ok: true, value: { runner: loaded.value, manifest } };
}

async function runTestGuest(args: RunArgs, { runner, manifest, tests }: TestGuest): Promise<number> {
  const r = runner.runGuestReport({
    rom: args.rom,
    timeoutMs: Math.round(args.timeout * 1000),
    manifest,
    ...(args.keep !== undefined ? { keepDir: args.keep } : {}),
    ...(tests ? { tests } : {}),
  });
  if (!r.ok) {
    printErrors(r.errors);
    return EXIT_BAD_INPUT;
  }
  const v = r.value;
  process.stdout.write(`vmirom run: ${basename(args.rom)} with the test guest under ${QEMU} + SeaBIOS\n`);
  process.stdout.write(`backend ${v.backend}, layout ${v.layout}, guest conventions: ${v.guest}\n`);
  for (const l of v.summary) process.stdout.write(`${l}\n`);
  if (v.costTable) process.stdout.write(`\ninstructions per call (single-step #DB, from the guest's call to the return):\n${v.costTable}\n`);
  for (const p of v.problems) process.stdout.write(`problem: ${p}\n`);
  process.stdout.write(
    `\nresult: ${v.ok ? "ok — the guest reached its end and passed" : "FAILED"} (${v.outcome}, qemu status ${v.status}, ${v.durationMs} ms)\n`,
  );
  return v.ok ? EXIT_OK : EXIT_FAILED;
}

/** --backend FILE: its guestTests for the backend the manifest names, and the library's guest to run them. */
async function backendTests(file: string, manifestFile: string): Promise<Result<LoadedBackendTests>> {
  const manifest = loadManifest(manifestFile);
  if (!manifest.ok) return manifest;
  const { loadBackendTests } = await import("../backend-file.ts");
  return loadBackendTests(file, BACKEND_NAMES, manifest.value.backend);
}

/** Lines a VMI guest prints about the ROM (Linux: "VMI: Found …", "Booting paravirtualized kernel on vmi"; Sanos: "mach: … VMI"). */
const VMI_LINE = /\bVMI\b|\bvmi\b|vmi-timer/;

export interface KernelVerdict {
  reachedEnd: boolean;
  /** qemu failed by itself (a message on its stderr), as opposed to the guest ending badly. */
  qemuFailed?: boolean;
  why: string;
}

export function kernelVerdict(
  o: { status: number | null; signal: string | null; timedOut: boolean; untilSeen: boolean; tripleFault: boolean; console: string; stderr: string },
  timeoutS: number,
): KernelVerdict {
  if (o.untilSeen) return { reachedEnd: true, why: "the console printed the --until text" };
  // qemu's own errors exit 1 with a message ("qemu: invalid kernel header"); the guest writing 0 to
  // isa-debug-exit also exits 1, silently. A message on stderr is qemu's failure, never the guest's success.
  // Warnings (qemu prints some on success too) are not the failure; the first other line is.
  const err = o.stderr
    .split("\n")
    .find((l) => l.trim() !== "" && !/warning/i.test(l))
    ?.trim();
  if (!o.timedOut && o.status !== null && o.status !== 0 && err !== undefined) {
    return { reachedEnd: false, qemuFailed: true, why: `qemu failed (status ${o.status}): ${err}` };
  }
  if (o.timedOut) return { reachedEnd: false, why: `the guest did not reach its end within ${timeoutS} s (qemu stopped)` };
  if (o.tripleFault) return { reachedEnd: false, why: "the CPU triple-faulted (qemu reset it and -no-reboot stopped it)" };
  if (/Kernel panic - not syncing/.test(o.console)) return { reachedEnd: false, why: "the kernel panicked" };
  if (o.status === 0) return { reachedEnd: true, why: "the guest powered off or rebooted" };
  if (o.status !== null && o.status % 2 === 1) {
    const v = (o.status - 1) / 2;
    return v === 0 ? { reachedEnd: true, why: "the guest wrote 0 to isa-debug-exit" } : { reachedEnd: false, why: `the guest wrote ${v} to isa-debug-exit` };
  }
  return { reachedEnd: false, why: `qemu exited with ${o.status !== null ? `status ${o.status}` : `signal ${o.signal}`}${err ? `: ${err}` : ""}` };
}

async function runKernel(args: RunArgs, kernel: string): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), "vmirom-run-"));
  const resetLog = join(work, "qemu.log"),
    biosLog = join(work, "seabios.log");
  const qemuArgs = [
    "-machine",
    "pc",
    "-m",
    String(args.memory),
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-serial",
    "stdio",
    "-option-rom",
    args.rom,
    "-kernel",
    kernel,
    ...(args.initrd !== undefined ? ["-initrd", args.initrd] : []),
    "-append",
    args.append ?? "console=ttyS0",
    "-debugcon",
    `file:${biosLog}`,
    "-global",
    "isa-debugcon.iobase=0x402",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
    // Resets are logged: a triple fault would otherwise look like a reboot (-no-reboot exits 0 for both).
    "-d",
    "cpu_reset",
    "-D",
    resetLog,
  ];
  process.stdout.write(`vmirom run: ${basename(args.rom)} with kernel ${basename(kernel)} under ${QEMU} + SeaBIOS (timeout ${args.timeout} s)\n`);
  process.stdout.write("---- serial console ----\n");
  const result = await streamQemu(QEMU, qemuArgs, {
    timeoutS: args.timeout,
    ...(args.until !== undefined ? { until: args.until } : {}),
    console: (t) => process.stdout.write(t),
    // Shown as it comes (qemu's warnings and errors are the user's business), and kept for the verdict.
    stderr: (c) => process.stderr.write(c),
  });
  const { console: consoleText, stderr, untilSeen, timedOut } = result;
  const tripleFault = existsSync(resetLog) && /triple fault/i.test(readFileSync(resetLog, "latin1"));
  const bios = existsSync(biosLog) ? readFileSync(biosLog, "latin1") : "";
  rmSync(work, { recursive: true, force: true });
  if (result.error) {
    printErrors([diag("CLI_QEMU_FAILED", `cannot start ${QEMU}: ${result.error.message}`)]);
    return EXIT_IO;
  }
  if (!consoleText.endsWith("\n") && consoleText.length) process.stdout.write("\n");
  process.stdout.write("---- end of serial console ----\n");

  const lines = consoleText.split("\n").map((l) => l.replace(/\r$/, ""));
  const vmi = lines.filter((l) => VMI_LINE.test(l));
  const romRuns = bios.split("\n").filter((l) => l.startsWith("Running option rom at"));
  process.stdout.write(`SeaBIOS: ${romRuns.length ? romRuns.map((l) => l.trim()).join("; ") : "ran no option ROM (is the image valid? try vmirom check)"}\n`);
  const markers: Array<[string, RegExp]> = [
    ["Linux found the ROM", /VMI: Found /],
    ["Linux booted paravirtualized on VMI", /Booting paravirtualized kernel on vmi/],
    ["Sanos uses VMI", /mach: .*VMI/],
  ];
  const seen = markers.filter(([, re]) => lines.some((l) => re.test(l))).map(([what]) => what);
  process.stdout.write(`VMI lines the guest printed: ${vmi.length}${seen.length ? ` (${seen.join("; ")})` : ""}\n`);
  for (const l of vmi) process.stdout.write(`  ${l}\n`);
  const verdict = kernelVerdict({ ...result, timedOut, untilSeen, tripleFault, console: consoleText, stderr }, args.timeout);
  process.stdout.write(`result: ${verdict.reachedEnd ? "ok" : "FAILED"} — ${verdict.why}\n`);
  return verdict.reachedEnd ? EXIT_OK : verdict.qemuFailed ? EXIT_IO : EXIT_FAILED;
}
