// The xen model proves something only if it refuses what breaks the contract. Modified copies of the built xen
// ROMs (checksum fixed) — a number outside the contract, swapped argument registers, translation to machine
// addresses skipped, lazy mode ignored, a pending event never delivered — must each fail, blamed on the call
// that caused it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestRunResult } from "../../guest/qemu/run-guest.ts";
import { HYPERCALL, HYPERCALL_ENTRY } from "../../roms/xen/abi.ts";
import { MACHINE_ROUTINE, PAGE_ROUTINE, SET_ENTRY_ROUTINE, infoAddress } from "../../roms/xen/routines.ts";
import { requireTools } from "../support/tools.ts";
import { blamed, patchAt, patchRoutine, patchSlot, runMutated, type Mutation } from "./model-mutations.ts";
import { callOf, ensureRoms, romName } from "./rom-files.ts";

const haveQemu = requireTools("qemu-system-i386");
const roms = haveQemu ? ensureRoms() : [];
const api3 = roms.find((r) => romName(r) === "xen-api3");
const api13 = roms.find((r) => romName(r) === "xen-api13");

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vmirom-xen-model-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (base: string, name: string, mutate: Mutation): GuestRunResult => runMutated(dir, base, name, mutate);
const nops = (n: number) => new Array<number>(n).fill(0x90);
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

describe.skipIf(!haveQemu)("the xen model refuses what breaks the contract", () => {
  it("api3: a page entry with a number outside the contract is fatal, named in the log", () => {
    const entry = HYPERCALL.xen_version;
    const v = run(api3!, "unknown-number", (b, m) => {
      const page = m.shared.find((x) => x.name === PAGE_ROUTINE)!;
      patchAt(b, page.offset + entry * HYPERCALL_ENTRY, HYPERCALL_ENTRY, [0xb8, entry, 0, 0, 0], [0xb8, 0x7e, 0, 0, 0], "xen_version entry");
    });
    expect(v.outcome).toBe("fatal");
    expect(v.log).toContain("GUEST: FATAL vector=0x00000082 hypercall=0x0000007e");
    expect(v.log).toContain("what=xen model: not a hypercall of the contract");
    expect(blamed(v)).toEqual(new Set(["EnableInterrupts"]));
  });

  it("api13: SetDR passing the register number as the value fails the effect and the argument test", () => {
    // mov ecx,edx (89 d1) → mov ecx,eax (89 c1)
    const v = run(api13!, "setdr-swapped", patchSlot("SetDR", [0x89, 0xd1], [0x89, 0xc1]));
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toEqual(new Set(["SetDR"]));
    expect(v.parsed.failed.some((f) => f.test === "xen-args-debug-registers" && f.what === "SetDR: set_debugreg ECX")).toBe(true);
  });

  it("api3: physical addresses sent as machine addresses are refused", () => {
    // add eax,[machineOffset] (03 05 + its address) → six nops: the P2M is skipped.
    const at = infoAddress({ layout: { virtualTop: 0xfc000000 } as never }, "machineOffset");
    const v = run(api3!, "no-machine-offset", patchRoutine(MACHINE_ROUTINE, [0x03, 0x05, ...le32(at)], nops(6)));
    expect(v.outcome).toBe("fatal");
    expect(v.log).toContain("what=xen model: set_gdt: machine frame outside the guest's memory");
    expect(blamed(v)).toEqual(new Set(["SetGDT"]));
  });

  it("api13: updates sent at once although deferred are caught by the batching test", () => {
    // XenSetEntry: test ecx,0x20 (f7 c1 20 00 00 00) then jnz queue (75 rel8) → the jnz becomes two nops.
    const test = [0xf7, 0xc1, 0x20, 0x00, 0x00, 0x00, 0x75];
    const v = run(api13!, "defer-ignored", (b, m) => {
      const r = m.shared.find((x) => x.name === SET_ENTRY_ROUTINE)!;
      patchAt(b, r.offset, r.size, test, [...test.slice(0, 6), 0x90], SET_ENTRY_ROUTINE);
      const jnz = b.subarray(r.offset, r.offset + r.size).findIndex((_x, i, s) => test.slice(0, 6).every((y, k) => s[i + k] === y)) + r.offset + 7;
      b[jnz] = 0x90;
    });
    expect(v.outcome).toBe("fail");
    expect(v.parsed.failed.some((f) => f.test === "xen-lazy-batch" && f.what === "queued updates make no hypercall")).toBe(true);
  });

  it("api3: EnableInterrupts that never forces delivery leaves the pending interrupt undelivered", () => {
    // jnz rel32 to the cold part (0f 85 ..) → six nops.
    const v = run(api3!, "enable-no-delivery", (b, m) => {
      const c = callOf(m, "EnableInterrupts");
      const s = b.subarray(c.slot.offset, c.slot.offset + c.slot.size);
      const at = s.findIndex((x, i) => x === 0x0f && s[i + 1] === 0x85);
      if (at < 0) throw new Error("no jnz rel32 in EnableInterrupts' slot");
      s.fill(0x90, at, at + 6);
    });
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toContain("EnableInterrupts");
    expect(v.parsed.failed.some((f) => f.what === "the pending timer interrupt arrived after EnableInterrupts")).toBe(true);
  });
});
