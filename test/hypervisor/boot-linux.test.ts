// The product's purpose, proven on a real kernel: Linux 2.6.32 boots through vmware-api3.rom and xen-api3.rom
// under the reference hypervisor, is taken over at Init, runs at CPL 1 to user space (int $0x80 and the
// sysenter vsyscall) and reboots, with every hypercall, trap and page-table change checked: no violation. And on
// a bare machine, as Linux meets the ROMs without a hypervisor: through native-api3.rom it boots paravirtualized
// (every VMI call the ROM's pass-through code), and the paravirtual ROMs' Init fails, so it boots natively.

import { describe, expect, it } from "vitest";
import { ensureRoms } from "../guest/rom-files.ts";
import { requireTools } from "../support/tools.ts";
import { APPEND, bootBare, bootUnderHypervisor, realGuestAvailable, WHY_SKIPPED } from "./real-guest.ts";

const run = requireTools("qemu-system-i386", "gcc", "ld") && realGuestAvailable() ? describe : describe.skip;
if (run === describe.skip) console.warn(`real-guest tests skipped: ${WHY_SKIPPED}`);

run("Linux 2.6.32 under the reference hypervisor", () => {
  const roms = ensureRoms().filter((r) => /(vmware|xen)-api3\.rom$/.test(r));
  it("has both paravirtual api3 ROMs to boot", () => expect(roms).toHaveLength(2));
  for (const rom of roms) {
    it(`boots paravirtualized through ${rom.split("/").pop()} at CPL 1 with no violation`, async () => {
      const { status, report, console } = await bootUnderHypervisor(rom);
      expect(report.violations).toEqual([]);
      expect(console).toContain("Booting paravirtualized kernel on vmi");
      expect(console).toContain("INIT: hello from user space (int 0x80)");
      expect(console).toContain("INIT: hello via AT_SYSINFO vsyscall");
      expect(report.launched).toBe(true);
      expect(report.kernelCpl).toBe(1);
      expect(report.guest).toBe("rebooted");
      expect(report.outcome).toBe("ok");
      expect(status).toBe(0);
      // It ran through the ROM: privileged work as hypercalls, user space by int $0x80 and sysenter.
      expect(Object.values(report.hypercalls).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
      expect(report.traps.int80).toBeGreaterThan(0);
      expect(report.traps.sysenter).toBeGreaterThan(0);
      expect(report.pageTables?.mostTracked).toBeGreaterThan(3);
    });
  }
});

run("Linux 2.6.32 under the reference hypervisor with vmi= options", () => {
  // arch/x86/kernel/vmi_32.c, parse_vmi: one option per vmi= (strcmp on the whole value, so a comma list is no
  // option at all). disable_timer keeps the PIT (IRQ0 at the 8259's vector 0x30) instead of the VMI alarm at
  // 0xf0; disable_pge and disable_pse clear the features Linux maps its kernel with.
  const options = ["vmi=disable_timer", "vmi=disable_pge vmi=disable_pse"];
  const alarmCalls = ["SetAlarm", "set_timer_op", "vcpu_op"];
  for (const rom of ensureRoms().filter((r) => /(vmware|xen)-api3\.rom$/.test(r))) {
    it(`${rom.split("/").pop()} with the VMI alarm (the default): its ticks come at 0xf0`, async () => {
      const { status, report } = await bootUnderHypervisor(rom);
      expect(report.violations).toEqual([]);
      expect(alarmCalls.some((c) => (report.hypercalls[c] ?? 0) > 0)).toBe(true);
      expect(report.traps.intf0).toBeGreaterThan(0);
      expect(status).toBe(0);
    });
    for (const option of options) {
      it(`${rom.split("/").pop()} with ${option}: no violation`, async () => {
        const { status, report, console } = await bootUnderHypervisor(rom, { append: `${APPEND} ${option}` });
        expect(report.violations).toEqual([]);
        expect(console).toContain("INIT: hello via AT_SYSINFO vsyscall");
        expect(report.kernelCpl).toBe(1);
        expect(report.guest).toBe("rebooted");
        expect(status).toBe(0);
        if (option === "vmi=disable_timer") {
          expect(alarmCalls.filter((c) => (report.hypercalls[c] ?? 0) > 0)).toEqual([]);
          expect(report.traps.intf0 ?? 0).toBe(0);
          expect(report.traps.int30).toBeGreaterThan(0);
        }
      });
    }
  }
});

run("Linux 2.6.32 on a bare machine with each api3 ROM", () => {
  const roms = ensureRoms().filter((r) => /(native|vmware|xen)-api3\.rom$/.test(r));
  it("has the three api3 ROMs to boot", () => expect(roms).toHaveLength(3));
  for (const rom of roms) {
    const native = rom.endsWith("/native-api3.rom");
    it(`${rom.split("/").pop()}: ${native ? "boots paravirtualized through the pass-through ROM" : "Init fails without its hypervisor and Linux boots natively"}`, async () => {
      const { status, stdout } = await bootBare(rom);
      expect(stdout).toMatch(/VMI: Found vmirom VMI \w+ ROM, API version 3\.0/);
      if (native) {
        expect(stdout).toContain("Booting paravirtualized kernel on vmi");
        expect(stdout).not.toContain("VMI ROM failed to initialize!");
      } else {
        expect(stdout).toContain("VMI ROM failed to initialize!");
        expect(stdout).toContain("Booting paravirtualized kernel on bare hardware");
      }
      expect(stdout).toContain("INIT: hello from user space (int 0x80)");
      expect(stdout).toContain("INIT: hello via AT_SYSINFO vsyscall");
      expect(stdout).toContain("result: ok — the guest powered off or rebooted");
      expect(status).toBe(0);
    });
  }
});
