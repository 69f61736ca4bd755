// The vmware model proves something only if it refuses what breaks the contract. Modified copies of the
// built vmware ROMs (checksum fixed): a wrong hypercall number, swapped argument registers, an interesting
// change that is never queued, and a queued update that never reached memory must each fail, blamed on the
// call that caused it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Assembler, eax, ecx, edx } from "../../src/asm/index.ts";
import type { GuestRunResult } from "../../guest/qemu/run-guest.ts";
import { HYPERCALLS } from "../../roms/vmware/hypercalls.ts";
import { requireTools } from "../support/tools.ts";
import { blamed, patchSlot, runMutated, type Mutation } from "./model-mutations.ts";
import { callOf, ensureRoms, romName } from "./rom-files.ts";

const haveQemu = requireTools("qemu-system-i386");
const roms = haveQemu ? ensureRoms() : [];
const api3 = roms.find((r) => romName(r) === "vmware-api3");
const api13 = roms.find((r) => romName(r) === "vmware-api13");

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vmirom-vmware-model-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (base: string, name: string, mutate: Mutation): GuestRunResult => runMutated(dir, base, name, mutate);
const movEax = (n: number) => [0xb8, n & 0xff, 0, 0, 0];

describe.skipIf(!haveQemu)("the vmware model refuses what breaks the contract", () => {
  it("api3: SetCR3 issuing SetCR0's number fails the model's CR0 check and the argument test, blamed on SetCR3", () => {
    const v = run(api3!, "setcr3-number", patchSlot("SetCR3", movEax(HYPERCALLS.SetCR3.number), movEax(HYPERCALLS.SetCR0.number)));
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toEqual(new Set(["SetCR3"]));
    expect(v.parsed.failed.some((f) => f.what?.includes("hypercall SetCR0 (0x6): EBX turns protection or paging off"))).toBe(true);
  });

  it("api13: a number outside the table is fatal, named in the log", () => {
    const v = run(api13!, "wbinvd-unknown", patchSlot("WBINVD", movEax(HYPERCALLS.WBINVD.number), movEax(0x7e)));
    expect(v.outcome).toBe("fatal");
    expect(v.log).toContain("GUEST: FATAL hypercall=unknown eax=0x0000007e");
  });

  it("api3: WRMSR with the value's halves swapped is caught by the effect and the argument test", () => {
    // push ebx; mov ebx,ecx; mov ecx,eax; mov eax,n  →  push ebx; mov ebx,ecx; mov ecx,edx; mov eax,n (EDX: high)
    const a = new Assembler();
    a.mov(ecx, eax);
    const from = a.assemble();
    const b = new Assembler();
    b.mov(ecx, edx);
    const to = b.assemble();
    if (!from.ok || !to.ok) throw new Error("assemble");
    const v = run(api3!, "wrmsr-swapped", patchSlot("WRMSR", [...from.bytes], [...to.bytes]));
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toEqual(new Set(["WRMSR", "RDMSR"]));
    expect(v.parsed.failed.some((f) => f.test === "vmware-args-WRMSR" && f.what === "WRMSR: ECX = value low")).toBe(true);
  });

  it("api13: SwapPxE that never takes its cold part queues nothing, and the interesting test says so", () => {
    // jnz rel32 (0f 85 ..) → six nops: every change counts as uninteresting.
    const v = run(api13!, "swap-never-queues", (bytes, man) => {
      const c = callOf(man, "SwapPxE");
      const slot = bytes.subarray(c.slot.offset, c.slot.offset + c.slot.size);
      const at = slot.findIndex((x, i) => x === 0x0f && slot[i + 1] === 0x85);
      if (at < 0) throw new Error("no jnz rel32 in SwapPxE's slot");
      slot.fill(0x90, at, at + 6);
    });
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toContain("SwapPxE");
    expect(v.parsed.failed.some((f) => f.test === "vmware-interesting-SwapPxE" && f.what === "one update queued")).toBe(true);
  });

  it("api3: SetPxE that queues an update it never stored is caught when the queue is applied", () => {
    // xchg [edx],ecx → mov ecx,[edx]: the entry is read, not written, yet an interesting change is queued.
    const v = run(api3!, "setpxe-no-store", patchSlot("SetPxE", [0x87, 0x0a], [0x8b, 0x0a]));
    expect(v.outcome).toBe("fail");
    expect(blamed(v)).toContain("SetPxE");
    expect(v.parsed.failed.some((f) => f.what?.includes("hypercall FlushQueue: the queued entry is not what memory holds at pa"))).toBe(true);
  });
});
