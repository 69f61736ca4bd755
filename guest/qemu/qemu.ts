// Runs qemu once: SeaBIOS, the option ROM (if any) and a multiboot kernel, the debug port to a file,
// isa-debug-exit for the verdict. A timeout is reported as status 124, like timeout(1) does.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface QemuRun {
  /** Exit status: (v << 1) | 1 after isa-debug-exit, 0 after a triple fault (-no-reboot), 124 on timeout. */
  status: number;
  timedOut: boolean;
  /** Everything written to port 0x402: SeaBIOS's log and the guest's lines. */
  log: string;
  stderr: string;
  durationMs: number;
}

export interface QemuOptions {
  kernel: string;
  optionRom?: string;
  /** Directory for the debug log. */
  workDir: string;
  timeoutMs?: number;
}

export const QEMU = "qemu-system-i386";

export function qemuArgs(o: QemuOptions, logFile: string): string[] {
  return [
    "-machine",
    "pc",
    "-m",
    "128",
    "-nodefaults",
    "-nographic",
    "-no-reboot",
    "-display",
    "none",
    ...(o.optionRom ? ["-option-rom", o.optionRom] : []),
    "-kernel",
    o.kernel,
    "-debugcon",
    `file:${logFile}`,
    "-global",
    "isa-debugcon.iobase=0x402",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
  ];
}

export function runQemu(o: QemuOptions): QemuRun {
  const logFile = join(o.workDir, "debug.log");
  const started = Date.now();
  const r = spawnSync(QEMU, qemuArgs(o, logFile), {
    encoding: "utf8",
    timeout: o.timeoutMs ?? 20_000,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const durationMs = Date.now() - started;
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${QEMU} is not installed (apt-get install qemu-system-x86)`);
  }
  const timedOut = r.signal !== null && r.status === null;
  const log = existsSync(logFile) ? readFileSync(logFile, "latin1") : "";
  return { status: timedOut ? 124 : (r.status ?? 1), timedOut, log, stderr: r.stderr ?? "", durationMs };
}
