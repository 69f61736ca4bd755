// The probe, as the real guests do it: scan 0xC0000 up to 0xE0000 in 2 KiB steps — Linux through its
// PAGE_OFFSET alias, Sanos through its identity map of low memory — and accept the first candidate that
// passes the guest's checks. The header offsets and the
// rules are the guests' own knowledge (Linux's struct vrom_header, Sanos's VROMHeader), deliberately not
// taken from the layout, so that a layout mistake shows up here.
//
// Linux (api3), in order: 0xAA55, "cVmi", major == 3 and minor >= 0, a PCI header offset, the PCI vendor
// and device (only a warning), a license offset pointing at exactly "GPL" or "GPL v2".
// Sanos (api13): 0xAA55, "cVmi", major == 13.

import { byte, cl, dword, eax, ebx, ecx, edi, esi, mem, word, type Label, type Reg32 } from "../src/asm/index.ts";
import type { GuestAsm } from "./emitter.ts";
import { PAGE_OFFSET } from "./memory.ts";

export type GuestKind = "linux" | "sanos";

export const PROBE = {
  start: 0xc0000,
  end: 0xe0000,
  step: 0x800,
  cVmi: 0x696d5663,
  vendor: 0x15ad,
  device: 0x0801,
  licenses: ["GPL", "GPL v2"],
} as const;

/** Header offsets both guests read (identical in the two header structs for these fields). */
const H = { signature: 0, length: 2, vromSignature: 8, minor: 12, major: 13, license: 0x16, pci: 0x18, pnp: 0x1a } as const;

export const wantMajor = (kind: GuestKind): number => (kind === "linux" ? 3 : 13);

/**
 * Emits the scan. On acceptance, vars rom_phys, rom_lo (the alias the guest calls through) and
 * rom_size are set and control goes to `found`; after the last candidate, to `notFound`.
 */
export function emitProbe(g: GuestAsm, kind: GuestKind, found: Label, notFound: Label): void {
  const a = g.a;
  const loop = a.newLabel(),
    next = a.newLabel(),
    accept = a.newLabel();
  const report = (result: string, reason: string) => {
    g.printKeyHex("GUEST: PROBE at=", ebx);
    g.print(` result=${result} reason=${reason}`);
  };
  const refuse = (reason: string, extra?: () => void) => {
    report("refuse", reason);
    extra?.();
    g.print("\n");
    a.jmp(next);
  };

  a.mov(ebx, PROBE.start);
  a.label(loop);
  if (kind === "linux") a.lea(esi, mem(ebx, PAGE_OFFSET));
  else a.mov(esi, ebx);
  // No option-ROM signature: not a ROM at all, skipped silently as the guests do.
  a.cmp(word(esi, H.signature), 0xaa55);
  a.jne(next);
  const hasCVmi = a.newLabel();
  a.cmp(dword(esi, H.vromSignature), PROBE.cVmi);
  a.je(hasCVmi);
  report("skip", "no-cVmi");
  g.print("\n");
  a.jmp(next);
  a.label(hasCVmi);

  const versionOk = a.newLabel();
  a.movzx(eax, byte(esi, H.major));
  a.movzx(ecx, byte(esi, H.minor));
  a.cmp(eax, wantMajor(kind));
  // Linux also wants minor >= VMI_API_REV_MINOR (0): always true for an unsigned byte, so no test.
  a.je(versionOk);
  refuse("version", () => {
    g.printKeyDec(" major=", eax);
    g.printKeyDec(" minor=", ecx);
    g.print(` want_major=${wantMajor(kind)}`);
  });
  a.label(versionOk);

  if (kind === "linux") {
    const pciOk = a.newLabel();
    a.movzx(eax, word(esi, H.pci));
    a.test(eax, eax);
    a.jne(pciOk);
    refuse("no-pci-header");
    a.label(pciOk);
    const vendorOk = a.newLabel(),
      warn = a.newLabel();
    a.cmp(word({ base: esi, index: eax, disp: 4 }), PROBE.vendor);
    a.jne(warn);
    a.cmp(word({ base: esi, index: eax, disp: 6 }), PROBE.device);
    a.je(vendorOk);
    a.label(warn);
    // Linux only warns ("ROM from unknown manufacturer") and goes on.
    g.printKeyHex("GUEST: PROBE at=", ebx);
    g.print(" result=warn reason=unknown-manufacturer");
    a.movzx(ecx, word({ base: esi, index: eax, disp: 4 }));
    g.printKeyHex(" vendor=", ecx);
    a.movzx(ecx, word({ base: esi, index: eax, disp: 6 }));
    g.printKeyHex(" device=", ecx);
    g.print("\n");
    a.label(vendorOk);

    const licenseOk = a.newLabel(),
      hasLicense = a.newLabel();
    a.movzx(eax, word(esi, H.license));
    a.test(eax, eax);
    a.jne(hasLicense);
    refuse("license-unspecified");
    a.label(hasLicense);
    a.add(eax, esi);
    for (const text of PROBE.licenses) {
      a.mov(edi, g.str(text));
      emitStrEq(g, eax, licenseOk);
    }
    refuse("non-gpl-license", () => {
      g.print(" license=");
      g.printStrAt(eax);
    });
    a.label(licenseOk);
  }
  a.jmp(accept);

  a.label(next);
  a.add(ebx, PROBE.step);
  a.cmp(ebx, PROBE.end);
  a.jb(loop);
  a.jmp(notFound);

  a.label(accept);
  a.mov(g.v("rom_phys"), ebx);
  a.mov(g.v("rom_lo"), esi);
  a.movzx(eax, byte(esi, H.length));
  a.shl(eax, 9);
  a.mov(g.v("rom_size"), eax);
  report("accept", "ok");
  a.movzx(eax, byte(esi, H.major));
  g.printKeyDec(" major=", eax);
  a.movzx(eax, byte(esi, H.minor));
  g.printKeyDec(" minor=", eax);
  g.printKeyHex(" size=", g.v("rom_size"));
  g.print("\n");
  emitFoundLine(g);
  a.jmp(found);
}

/** Jumps to `equal` when the NUL-terminated strings at `s` (a register) and EDI are equal; clobbers EDI, ECX. */
function emitStrEq(g: GuestAsm, s: Reg32, equal: Label): void {
  const a = g.a;
  const loop = a.newLabel(),
    differ = a.newLabel();
  a.push(s);
  a.label(loop);
  a.mov(cl, byte(s, 0));
  a.cmp(cl, byte(edi, 0));
  a.jne(differ);
  a.inc(s);
  a.inc(edi);
  a.test(cl, cl);
  a.jne(loop);
  a.pop(s);
  a.jmp(equal);
  a.label(differ);
  a.pop(s);
}

/**
 * Linux's "VMI: Found <manufacturer> <product>, API version M.m, ROM version M.m": strings from the $PnP
 * header ("UNKNOWN" without one), ROM version from PCIR bytes 0x13.0x12. ESI = ROM (alias).
 */
function emitFoundLine(g: GuestAsm): void {
  const a = g.a;
  g.print("GUEST: FOUND");
  const noPci = a.newLabel(),
    noPnp = a.newLabel(),
    done = a.newLabel();
  a.movzx(eax, word(esi, H.pci));
  a.test(eax, eax);
  a.je(noPci);
  a.movzx(ecx, byte({ base: esi, index: eax, disp: 0x13 }));
  g.printKeyDec(" rom_version=", ecx);
  a.movzx(ecx, byte({ base: esi, index: eax, disp: 0x12 }));
  g.printKeyDec(".", ecx);
  a.label(noPci);
  a.movzx(eax, byte(esi, H.major));
  g.printKeyDec(" api=", eax);
  a.movzx(eax, byte(esi, H.minor));
  g.printKeyDec(".", eax);
  a.movzx(eax, word(esi, H.pnp));
  a.test(eax, eax);
  a.je(noPnp);
  for (const [key, off] of [
    ["manufacturer", 0x0e],
    ["product", 0x10],
  ] as const) {
    a.movzx(ecx, word({ base: esi, index: eax, disp: off }));
    a.add(ecx, esi);
    g.print(` ${key}=`);
    g.printStrAt(ecx);
  }
  a.jmp(done);
  a.label(noPnp);
  g.print(" manufacturer=UNKNOWN product=UNKNOWN");
  a.label(done);
  g.print("\n");
}
