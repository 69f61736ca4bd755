// The hypervisor's checks bite: a ROM broken in one place boots Linux under it and the report names what broke.
// Each case patches one built ROM (checksum fixed, manifest copied so that addresses get their call names).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/manifest/types.ts";
import { callOf, ensureRoms, mutatedCopy } from "../guest/rom-files.ts";
import { requireTools } from "../support/tools.ts";
import { bootUnderHypervisor, realGuestAvailable } from "./real-guest.ts";

const run = requireTools("qemu-system-i386", "gcc", "ld") && realGuestAvailable() ? describe : describe.skip;

/** Replaces the first `from` inside [offset, offset + size) with `to`. */
function patch(b: Uint8Array, offset: number, size: number, from: readonly number[], to: readonly number[]): void {
  for (let i = offset; i + from.length <= offset + size; i++) {
    if (from.every((x, k) => b[i + k] === x)) {
      b.set(to, i);
      return;
    }
  }
  throw new Error(`pattern ${from.map((x) => x.toString(16)).join(" ")} not found at 0x${offset.toString(16)}+${size}`);
}
const inSlot = (call: string, from: readonly number[], to: readonly number[]) => (b: Uint8Array, m: Manifest) => {
  const c = callOf(m, call);
  patch(b, c.slot!.offset, c.slot!.size, from, to);
};
const inRoutine = (name: string, from: readonly number[], to: readonly number[]) => (b: Uint8Array, m: Manifest) => {
  const r = m.shared.find((x) => x.name === name)!;
  patch(b, r.offset, r.size, from, to);
};
const NOP6 = [0x90, 0x90, 0x90, 0x90, 0x90, 0x90];

run("the reference hypervisor's checks", () => {
  const roms = ensureRoms();
  const rom = (name: string) => roms.find((r) => r.endsWith(`/${name}.rom`))!;
  const dir = mkdtempSync(join(tmpdir(), "vmirom-hv-bite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a vmware SetPxE that skips the enqueue of an interesting change: a page-table violation", async () => {
    // jne cold_SetPxE (0f 85 rel32) gone: the entry is written in place and the hypervisor never hears of it.
    const bad = mutatedCopy(rom("vmware-api3"), dir, "vmware-no-enqueue", (b, m) => {
      const c = callOf(m, "SetPxE");
      const at = b.subarray(c.slot!.offset, c.slot!.offset + c.slot!.size).findIndex((x, i, s) => x === 0x0f && s[i + 1] === 0x85);
      if (at < 0) throw new Error("no jne in SetPxE's slot");
      b.set(NOP6, c.slot!.offset + at);
    });
    const { report, status } = await bootUnderHypervisor(bad);
    expect(status).toBe(1);
    expect(
      report.violations.some((v) => /^page table: the entry at physical 0x[0-9a-f]+ changed from 0x[0-9a-f]+ to 0x[0-9a-f]+ without a queued update/.test(v)),
    ).toBe(true);
  });

  it("a xen ROM that sends mmu_update a physical address as the machine address: a violation naming mmu_update", async () => {
    // XenMachineAddress without its `add eax, [virtual_top + 0x1f00]` (shared_info's machineOffset): 03 05 disp32.
    const bad = mutatedCopy(rom("xen-api3"), dir, "xen-no-p2m", inRoutine("XenMachineAddress", [0x03, 0x05, 0x00, 0x1f, 0x00, 0xfc], NOP6));
    const { report, status } = await bootUnderHypervisor(bad);
    expect(status).toBe(1);
    expect(report.violations.some((v) => v.startsWith("mmu_update: machine address 0x") && v.includes("is outside the guest"))).toBe(true);
  });

  it("a ROM that runs cli itself after Init: a violation naming the call", async () => {
    const bad = mutatedCopy(rom("vmware-api3"), dir, "vmware-cli", inSlot("DisableInterrupts", [0xc7, 0x05], [0xfa, 0xc3]));
    const { report, status } = await bootUnderHypervisor(bad);
    expect(status).toBe(1);
    expect(report.violations.some((v) => v.startsWith("cli: ") && v.includes("<stub_DisableInterrupts+0x0>"))).toBe(true);
  });

  it("a hypercall with a number outside the table: a violation naming the number and the call", async () => {
    // SetDR's `mov eax, 0x0e` (SetDR) made 0x7f: Linux clears the debug registers at boot and survives the refusal.
    const bad = mutatedCopy(rom("vmware-api3"), dir, "vmware-bad-number", inSlot("SetDR", [0xb8, 0x0e, 0x00, 0x00, 0x00], [0xb8, 0x7f, 0x00, 0x00, 0x00]));
    const { report, status } = await bootUnderHypervisor(bad);
    expect(status).toBe(1);
    expect(report.guest).toBe("rebooted");
    expect(report.violations.some((v) => v.startsWith("hypercall: number 0x7f is not in the vmware table") && v.includes("<stub_SetDR+0xa>"))).toBe(true);
  });
});
