// Other workloads than the shared /init: a heavier one of our own (fork, exec, pipes, mmap, brk, signals,
// sleep and twenty short processes) runs on Linux under the reference hypervisor through both paravirtual ROMs
// with no violation — the page-table checks see every address space come and go — and through the native ROM
// on a bare machine.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureRoms } from "../guest/rom-files.ts";
import { requireTools } from "../support/tools.ts";
import { bootBare, bootUnderHypervisor, realGuestAvailable } from "./real-guest.ts";
import { newcArchive } from "./workload/cpio.ts";

const run = requireTools("qemu-system-i386", "gcc", "ld") && realGuestAvailable() ? describe : describe.skip;

run("a heavier /init under the reference hypervisor", () => {
  const dir = mkdtempSync(join(tmpdir(), "vmirom-heavy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const init = join(dir, "init");
  execFileSync("gcc", [
    "-m32",
    "-static",
    "-nostdlib",
    "-ffreestanding",
    "-fno-pic",
    "-fno-pie",
    "-no-pie",
    "-fno-stack-protector",
    "-O2",
    "-Wl,--build-id=none",
    "-o",
    init,
    new URL("./workload/init.c", import.meta.url).pathname,
  ]);
  const cpio = join(dir, "heavy.cpio");
  writeFileSync(
    cpio,
    newcArchive([
      { name: "dev", mode: 0o040755 },
      { name: "dev/console", mode: 0o020600, rdev: [5, 1] },
      { name: "init", mode: 0o100755, data: readFileSync(init) },
    ]),
  );
  for (const rom of ensureRoms().filter((r) => /(vmware|xen)-api3\.rom$/.test(r))) {
    it(`runs every step through ${rom.split("/").pop()} with no violation`, async () => {
      const { status, report, console } = await bootUnderHypervisor(rom, { initrd: cpio });
      expect(console).not.toContain("HEAVY: FAIL");
      for (const step of ["fork and pipe ok", "mmap and brk ok", "signal ok", "sleep ok", "exec ok", "20 processes ok", "all ok"])
        expect(console).toContain(`HEAVY: ${step}`);
      expect(report.violations).toEqual([]);
      expect(report.kernelCpl).toBe(1);
      expect(report.guest).toBe("rebooted");
      expect(status).toBe(0);
      expect(report.pageTables?.mostTracked).toBeGreaterThan(10);
    });
  }
  // The same steps with the native ROM on a bare machine: Linux paravirtualized, every call the pass-through code.
  for (const rom of ensureRoms().filter((r) => r.endsWith("/native-api3.rom"))) {
    it("runs every step through native-api3.rom on a bare machine", async () => {
      const { status, stdout } = await bootBare(rom, { initrd: cpio });
      expect(stdout).toContain("Booting paravirtualized kernel on vmi");
      expect(stdout).not.toContain("HEAVY: FAIL");
      for (const step of ["fork and pipe ok", "mmap and brk ok", "signal ok", "sleep ok", "exec ok", "20 processes ok", "all ok"])
        expect(stdout).toContain(`HEAVY: ${step}`);
      expect(status).toBe(0);
    });
  }
});
