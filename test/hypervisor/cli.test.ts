// vmirom run --hypervisor answers bad input with one clear error and no qemu run, and a kernel that is never
// taken over (its ROM never finds the hypervisor) is reported as having stayed native, with a failing status.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureRoms, mutatedCopy, REPO } from "../guest/rom-files.ts";
import { requireTools } from "../support/tools.ts";
import { bootUnderHypervisor, KERNEL, realGuestAvailable } from "./real-guest.ts";

const vmirom = (...args: string[]) => spawnSync(process.execPath, [join(REPO, "dist/vmirom.mjs"), ...args], { encoding: "utf8" });

describe("vmirom run --hypervisor: bad input", () => {
  const roms = ensureRoms();
  const rom = (name: string) => roms.find((r) => r.endsWith(`/${name}.rom`))!;
  const dir = mkdtempSync(join(tmpdir(), "vmirom-hv-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const notKernel = join(dir, "random.bin");
  writeFileSync(notKernel, Buffer.alloc(8192, 0x5a));

  it("refuses a kernel that is not a bzImage", () => {
    const r = vmirom("run", rom("vmware-api3"), "--kernel", notKernel, "--hypervisor");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("CLI_NOT_A_BZIMAGE: not a Linux bzImage");
    expect(r.stderr).toContain("random.bin");
  });
  it("refuses the native backend, which has no hypervisor", () => {
    const r = vmirom("run", rom("native-api3"), "--kernel", notKernel, "--hypervisor");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("CLI_HV_BACKEND: the native backend has no hypervisor");
  });
  it("refuses an api13 ROM (not hosted yet) and --hypervisor without --kernel", () => {
    const r = vmirom("run", rom("xen-api13"), "--kernel", notKernel, "--hypervisor");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("hosts API 3 guests");
    expect(r.stderr).toContain("CLI_HV_API:");
    const s = vmirom("run", rom("xen-api3"), "--hypervisor");
    expect(s.status).toBe(2);
    expect(s.stderr).toContain("--hypervisor needs --kernel");
  });
  it("refuses --json without --hypervisor", () => {
    const r = vmirom("run", rom("xen-api3"), "--kernel", notKernel, "--json");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--json goes with --hypervisor");
  });
});

const boots = requireTools("qemu-system-i386", "gcc", "ld") && realGuestAvailable() ? describe : describe.skip;

boots("vmirom run --hypervisor: a kernel that stays native", () => {
  const dir = mkdtempSync(join(tmpdir(), "vmirom-hv-native-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("fails and says the guest stayed native when Init never finds the hypervisor", async () => {
    // The launch block's magic compared against another value: Init answers -1 and Linux boots natively.
    const magic = [0x56, 0x4d, 0x49, 0x6c];
    const rom = mutatedCopy(ensureRoms().find((r) => r.endsWith("/vmware-api3.rom"))!, dir, "vmware-no-launch", (b, m) => {
      const probe = m.shared.find((s) => s.name === "VMIProbeHypervisor")!;
      for (let i = probe.offset; i < probe.offset + probe.size - 4; i++) {
        if (magic.every((x, k) => b[i + k] === x)) {
          b[i] = 0x57;
          return;
        }
      }
      throw new Error("no launch magic in VMIProbeHypervisor");
    });
    const { status, report, console } = await bootUnderHypervisor(rom);
    expect(console).toContain("VMI ROM failed to initialize!");
    expect(status).toBe(1);
    expect(report.launched).toBe(false);
    expect(report.why).toContain("the guest stayed native");
    expect(KERNEL).toBeTruthy();
  });
});
