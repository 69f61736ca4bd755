// Modified copies of the built ROMs (checksum fixed, so SeaBIOS still maps them): the probe must refuse
// them exactly as Linux or Sanos would, a wrong relocation answer must be caught, and a call whose body
// was broken must be reported by name.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Assembler, eax } from "../../src/asm/index.ts";
import { loadLayoutByName } from "../../src/cli/load-layout.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { runGuest, type GuestRunResult } from "../../guest/qemu/run-guest.ts";
import { requireTools } from "../support/tools.ts";
import { expectationsFor } from "../../guest/expect/index.ts";
import { buildGuest, type GuestBuild } from "../../guest/guest.ts";
import { callOf, ensureRoms, mutatedCopy, readManifestOf, romName } from "./rom-files.ts";

const haveQemu = requireTools("qemu-system-i386");
const roms = haveQemu ? ensureRoms() : [];
const api3 = roms.find((r) => romName(r) === "native-api3");
const api13 = roms.find((r) => romName(r) === "native-api13");

let dir = "";
const guests = new Map<string, GuestBuild>();

/** The guest for a base ROM (the copies keep its manifest, so one build serves them all). */
function guestFor(rom: string): GuestBuild {
  let g = guests.get(rom);
  if (!g) {
    const m = readManifestOf(rom);
    const layout = loadLayoutByName(m.layout);
    if (!layout.ok) throw new Error(layout.errors[0]!.message);
    const built = buildGuest({ layout: layout.value, manifest: m, expectations: expectationsFor(m)! });
    if (!built.ok) throw new Error(built.errors.map((e) => e.message).join("\n"));
    g = built.value;
    guests.set(rom, g);
  }
  return g;
}

function runCopy(base: string, name: string, mutate: (bytes: Uint8Array, m: Manifest) => void): GuestRunResult {
  const rom = mutatedCopy(base, dir, name, mutate);
  const r = runGuest({ rom, guest: guestFor(base), writeCost: false });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  expect(r.value.durationMs).toBeLessThan(5000);
  return r.value;
}

const u16 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint16(off, v, true);
const headerNumber = (m: Manifest, field: string): number => {
  const v = m.header[field];
  if (typeof v !== "number") throw new Error(`manifest header has no numeric ${field}`);
  return v;
};
const asm = (emit: (a: Assembler) => void): Uint8Array => {
  const a = new Assembler();
  emit(a);
  const r = a.assemble();
  if (!r.ok) throw new Error("assemble");
  return r.bytes;
};
/** Overwrites the code of `call` (its body if out of line, else its slot). */
const breakBody = (name: string, code: Uint8Array) => (b: Uint8Array, m: Manifest) => {
  const c = callOf(m, name);
  b.set(code, c.body?.offset ?? c.slot.offset);
};
/** Sets the relocation type the ROM's table holds for call `n` (table: magic, u16 count, u16 size, then u16 offset, u8 type, u8 0). */
const relocType = (n: number, type: number) => (b: Uint8Array, m: Manifest) => {
  const entry = m.relocTable.offset + 8 + 4 * n;
  b[entry + 2] = type;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vmirom-negative-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveQemu)("Linux's probe (api3) refuses what Linux refuses", () => {
  it("has the base ROM", () => expect(api3).toBeDefined());

  it('a ROM without "cVmi" is skipped: no VMI ROM', () => {
    const v = runCopy(api3!, "no-cvmi", (b) => b.set([0x63, 0x56, 0x6d, 0x58], 8));
    expect(v.outcome).toBe("no-rom");
    expect(v.parsed.probes.map((p) => [p.result, p.reason])).toContainEqual(["skip", "no-cVmi"]);
    expect(v.parsed.probes.some((p) => p.result === "accept")).toBe(false);
    expect(v.parsed.init).toBeUndefined();
  });

  it("major version 4 is refused as a version mismatch", () => {
    const v = runCopy(api3!, "major4", (b) => (b[13] = 4));
    expect(v.outcome).toBe("no-rom");
    const refused = v.parsed.probes.find((p) => p.result === "refuse");
    expect(refused).toMatchObject({ reason: "version", major: "4", want_major: "3" });
  });

  it('license "GPL v3" is refused as non-GPL', () => {
    const v = runCopy(api3!, "gplv3", (b, m) => b.set([0x33], m.license.offset + 5));
    expect(v.outcome).toBe("no-rom");
    expect(v.parsed.probes.find((p) => p.result === "refuse")).toMatchObject({ reason: "non-gpl-license", license: "GPL v3" });
  });

  it('license "GPL" alone is accepted', () => {
    const v = runCopy(api3!, "gpl", (b, m) => b.set([0], m.license.offset + 3));
    expect(v.problems).toEqual([]);
  });

  it("a zero license offset is refused as unspecified", () => {
    const v = runCopy(api3!, "nolicense", (b) => u16(b, 0x16, 0));
    expect(v.outcome).toBe("no-rom");
    expect(v.parsed.probes.find((p) => p.result === "refuse")?.reason).toBe("license-unspecified");
  });

  it("a zero PCI header offset is refused", () => {
    const v = runCopy(api3!, "nopci", (b) => u16(b, 0x18, 0));
    expect(v.outcome).toBe("no-rom");
    expect(v.parsed.probes.find((p) => p.result === "refuse")?.reason).toBe("no-pci-header");
  });

  it("a foreign PCI vendor only warns; the ROM is still used", () => {
    const v = runCopy(api3!, "vendor", (b, m) => u16(b, headerNumber(m, "pci_header_offs") + 4, 0x8086));
    expect(v.problems).toEqual([]);
    expect(v.parsed.probes.find((p) => p.result === "warn")).toMatchObject({ reason: "unknown-manufacturer", vendor: "0x00008086" });
  });
});

describe.skipIf(!haveQemu)("Sanos's probe (api13)", () => {
  it("has the base ROM", () => expect(api13).toBeDefined());

  it("major version 12 is refused", () => {
    const v = runCopy(api13!, "major12", (b) => (b[13] = 12));
    expect(v.outcome).toBe("no-rom");
    expect(v.parsed.probes.find((p) => p.result === "refuse")).toMatchObject({ reason: "version", major: "12", want_major: "13" });
  });

  it("ignores the PCI header and the license, as Sanos does", () => {
    const v = runCopy(api13!, "sanos-lax", (b, m) => {
      u16(b, 0x18, 0);
      if (m.license.size) b[m.license.offset] = 0x58;
    });
    expect(v.problems).toEqual([]);
  });
});

describe.skipIf(!haveQemu)("wrong relocation answers are caught before anything is patched", () => {
  it("api3: JUMP_REL for CPUID (Linux allows it only for 29-34)", () => {
    const v = runCopy(api3!, "cpuid-jump", relocType(0, 2));
    expect(v.outcome).toBe("fail");
    expect(v.parsed.relocBad).toEqual([expect.objectContaining({ n: "0", name: "CPUID", reason: "type-not-allowed-by-layout" })]);
    expect(v.parsed.patch).toBeUndefined();
  });

  it("api3: NONE for IRET where the build said JUMP_REL", () => {
    const v = runCopy(api3!, "iret-none", relocType(33, 0));
    expect(v.parsed.relocBad).toEqual([expect.objectContaining({ n: "33", name: "IRET", reason: "type-differs-from-manifest" })]);
  });

  it("api13: NONE for SetIDT (Sanos needs CALL_REL for 4..87)", () => {
    const v = runCopy(api13!, "setidt-none", relocType(10, 0));
    expect(v.outcome).toBe("fail");
    expect(v.parsed.relocBad).toEqual([expect.objectContaining({ n: "10", name: "SetIDT", reason: "type-not-allowed-by-layout" })]);
  });
});

describe.skipIf(!haveQemu)("NONE and NOP answers are honoured the way Linux honours them", () => {
  /** The ROM's relocation table and its manifest both changed, as a build answering `type` would have it. */
  const answer = (name: string, type: "NONE" | "NOP") => {
    const rom = mutatedCopy(
      api3!,
      dir,
      `${name}-${type}`,
      (b, m) => relocType(callOf(m, name).number, type === "NONE" ? 0 : 3)(b, m),
      (m) => (callOf(m, name).reloc = type),
    );
    const r = runGuest({ rom, writeCost: false });
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
    return r.value;
  };
  const base = () => {
    const r = runGuest({ rom: api3!, guest: guestFor(api3!), writeCost: false });
    if (!r.ok) throw new Error("base run");
    return r.value.parsed.patch!;
  };

  it("NONE for CPUID: the native cpuid stays at its sites, and the test still passes through it", () => {
    const v = answer("CPUID", "NONE");
    expect(v.problems).toEqual([]);
    expect(v.parsed.passed).toContain("cpuid");
    // Nothing of the ROM ran for those calls.
    expect(v.parsed.counts.filter((c) => c.call === "CPUID").map((c) => c.instructions)).toEqual([0, 0]);
    const b = base();
    expect(Number(v.parsed.patch!.none)).toBe(Number(b.none) + 2);
    expect(Number(v.parsed.patch!.call_rel)).toBe(Number(b.call_rel) - 2);
  });

  it("NOP for WBINVD: its site becomes nops and the test is skipped (nothing left to check)", () => {
    const v = answer("WBINVD", "NOP");
    expect(v.problems).toEqual([]);
    expect(v.parsed.patch!.nop).toBe("1");
    expect(v.parsed.skipped).toContainEqual({ test: "returns-WBINVD", call: "WBINVD", reason: "nop" });
  });
});

describe.skipIf(!haveQemu)("a broken call body is reported by the call's name", () => {
  it("api3: GetInterruptMask answering 0", () => {
    const v = runCopy(
      api3!,
      "getmask-broken",
      breakBody(
        "GetInterruptMask",
        asm((a) => {
          a.xor(eax, eax);
          a.ret();
        }),
      ),
    );
    expect(v.outcome).toBe("fail");
    expect(v.parsed.failed.length).toBeGreaterThan(0);
    expect(new Set(v.parsed.failed.map((f) => f.call))).toEqual(new Set(["GetInterruptMask"]));
    expect(v.parsed.failed[0]).toMatchObject({ test: "interrupt-flag", path: "if=1", got: "0x00000000", want: "0x00000200" });
    expect(v.problems.join("\n")).toContain("GetInterruptMask");
  });

  it("api13: GetCR0 answering a constant", () => {
    const v = runCopy(
      api13!,
      "getcr0-broken",
      breakBody(
        "GetCR0",
        asm((a) => {
          a.mov(eax, 0x80000011);
          a.ret();
        }),
      ),
    );
    expect(v.outcome).toBe("fail");
    expect(new Set(v.parsed.failed.map((f) => f.call))).toEqual(new Set(["GetCR0"]));
  });

  // A bare `ret` in place of the body, for calls with an effect the guest can see, one per kind of test.
  const retOnly = Uint8Array.of(0xc3);
  for (const [base, name] of [
    ["api3", "IRET"],
    ["api3", "SetCR3"],
    ["api3", "InvalPage"],
    ["api3", "WriteIDTEntry"],
    ["api3", "OUTSW"],
    ["api3", "SetLDT"],
    ["api13", "SwapPxE"],
    ["api13", "GetCR4"],
    ["api13", "SYSEXIT"],
    ["api13", "UpdateKernelStack"],
  ] as const) {
    it(`${base}: ${name} that only returns is reported by name`, () => {
      const rom = base === "api3" ? api3! : api13!;
      const v = runCopy(rom, `${base}-${name}-ret`, breakBody(name, retOnly));
      expect(v.outcome).not.toBe("pass");
      const blamed = [...v.parsed.failed.map((f) => f.call), ...(v.parsed.fatal ? [v.parsed.fatal.call] : [])];
      expect(blamed.length).toBeGreaterThan(0);
      expect(new Set(blamed)).toEqual(new Set([name]));
    });
  }

  it("api3: RDTSC faulting is a fatal exception naming the call", () => {
    const v = runCopy(
      api3!,
      "rdtsc-ud2",
      breakBody(
        "RDTSC",
        asm((a) => a.ud2()),
      ),
    );
    expect(v.outcome).toBe("fatal");
    expect(v.parsed.fatal).toMatchObject({ vector: "0x00000006", call: "RDTSC", test: "rdtsc" });
    expect(parseInt(v.parsed.fatal!.rom_offset!, 16)).toBe(callOf(readManifestOf(api3!), "RDTSC").slot.offset);
  });
});
