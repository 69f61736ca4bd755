// Where the real guest is (a Linux 2.6.32 VMI kernel with its initramfs) and how a test boots it under the
// reference hypervisor through the bundled CLI. VMIROM_GUEST_DIR names the folder (bzImage, initramfs.cpio);
// without it, ../shared/guests/linux-2.6.32 beside the repository (where the project's machines keep it).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO } from "../guest/rom-files.ts";
import { inCI } from "../support/tools.ts";

export const GUEST_DIR = resolve(process.env.VMIROM_GUEST_DIR ?? join(REPO, "../shared/guests/linux-2.6.32"));
export const KERNEL = join(GUEST_DIR, "bzImage");
export const INITRD = join(GUEST_DIR, "initramfs.cpio");
export const APPEND = "console=ttyS0 earlyprintk=serial panic=1 rdinit=/init";

/** Whether the real guest is there; under CI=true its absence fails instead of skipping. */
export function realGuestAvailable(): boolean {
  const here = existsSync(KERNEL) && existsSync(INITRD);
  if (!here && inCI) throw new Error(`CI=true but the real guest is missing: no ${KERNEL} (set VMIROM_GUEST_DIR to a folder with bzImage and initramfs.cpio)`);
  return here;
}

export const WHY_SKIPPED = `the real guest (bzImage, initramfs.cpio) is not at ${GUEST_DIR}: set VMIROM_GUEST_DIR to a folder that has them (../shared/guests/linux-2.6.32 on the project's machines)`;

export interface HypervisorJson {
  outcome: string;
  why: string;
  guest: string;
  launched: boolean;
  kernelCpl: number | null;
  violations: string[];
  violationCount: number;
  hypercalls: Record<string, number>;
  traps: Record<string, number>;
  emulated: Record<string, number>;
  flushes: number;
  meanBatch: number;
  pageTables: { tracked: number; mostTracked: number; foundByWalk: number } | null;
}

export interface BootResult {
  status: number | null;
  report: HypervisorJson;
  console: string;
}

/**
 * `vmirom run ROM --kernel ... --hypervisor --json`: the report from stdout, the console from stderr. Async, so
 * that the test worker stays free to answer vitest while qemu runs (a blocking spawnSync makes vitest time out).
 */
export async function bootUnderHypervisor(rom: string, opts: { initrd?: string; append?: string; timeout?: number } = {}): Promise<BootResult> {
  const args = [
    join(REPO, "dist/vmirom.mjs"),
    "run",
    rom,
    "--kernel",
    KERNEL,
    "--initrd",
    opts.initrd ?? INITRD,
    "--append",
    opts.append ?? APPEND,
    "--hypervisor",
    "--json",
    "--timeout",
    String(opts.timeout ?? 60),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "",
    stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("latin1")));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const last = stdout.trim().split("\n").pop() ?? "";
  let report: HypervisorJson;
  try {
    report = JSON.parse(last) as HypervisorJson;
  } catch {
    throw new Error(`vmirom run --hypervisor --json printed no report (status ${status}):\n${stdout}\n${stderr.slice(-3000)}`);
  }
  return { status, report, console: stderr };
}

export interface BareBootResult {
  status: number | null;
  /** What `vmirom run --kernel` printed: the serial console, then its summary and result line. */
  stdout: string;
}

/** `vmirom run ROM --kernel ...` with no hypervisor: the kernel on a bare (emulated) machine with the ROM. */
export async function bootBare(rom: string, opts: { initrd?: string; timeout?: number } = {}): Promise<BareBootResult> {
  const args = [join(REPO, "dist/vmirom.mjs"), "run", rom, "--kernel", KERNEL, "--initrd", opts.initrd ?? INITRD, "--append", APPEND];
  const child = spawn(process.execPath, [...args, "--timeout", String(opts.timeout ?? 60)], { stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  child.stderr.on("data", (c: Buffer) => chunks.push(c));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { status, stdout: Buffer.concat(chunks).toString("utf8") };
}
