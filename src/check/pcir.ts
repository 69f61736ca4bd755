// The PCI data structure ("PCIR") at the layout's offset: Linux reads vendor/device and the code
// revision (printed as the ROM version); the rest must hold the standard values for a last image.

import type { Layout } from "../layout/types.ts";
import { inImage, readLatin1, readU16, readU8 } from "./image-bytes.ts";
import { PCIR_SIZE } from "./image-regions.ts";
import { ROM_BLOCK } from "./rom-format.ts";
import { hex, hexBytes, quote, report, type ViolationSink } from "./violation.ts";

const REGION = "pcir";
const LAST_IMAGE = 0x80;

export function checkPcir(bytes: Uint8Array, layout: Layout, out: ViolationSink): void {
  const base = layout.pci.offset;
  if (!inImage(bytes, base, PCIR_SIZE)) {
    report(
      out,
      "pcir.bounds",
      REGION,
      base,
      `${PCIR_SIZE} bytes inside the image`,
      `image of ${bytes.length} bytes`,
      "the PCIR structure lies beyond the end of the image",
    );
    return;
  }
  // The structure lies inside the image: the reads below cannot miss.
  const sig = readLatin1(bytes, base, 4)!;
  if (sig !== "PCIR") report(out, "pcir.signature", REGION, base, quote("PCIR"), quote(sig), 'the PCI data structure must start with "PCIR"');

  const u16 = (rule: string, at: number, expected: number, why: string): void => {
    const v = readU16(bytes, base + at)!;
    if (v !== expected) report(out, rule, REGION, base + at, hex(expected, 4), hex(v, 4), why);
  };
  const u8 = (rule: string, at: number, expected: number, why: string): void => {
    const v = readU8(bytes, base + at)!;
    if (v !== expected) report(out, rule, REGION, base + at, hex(expected, 2), hex(v, 2), why);
  };
  u16("pcir.vendor", 0x04, layout.pci.vendor, "wrong PCI vendor id; Linux warns about an unknown manufacturer");
  u16("pcir.device", 0x06, layout.pci.device, "wrong PCI device id; Linux warns about an unknown manufacturer");
  u16("pcir.vpd", 0x08, 0, "the vital product data pointer must be 0 (none)");
  u16("pcir.length", 0x0a, PCIR_SIZE, `the PCIR structure length must be ${hex(PCIR_SIZE)}`);
  u8("pcir.revision", 0x0c, layout.pci.revision, "wrong PCIR structure revision");
  const cls = layout.pci.classCode;
  const found = hexBytes(bytes, base + 0x0d, 3);
  const expected = cls.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  if (found !== expected) report(out, "pcir.class", REGION, base + 0x0d, expected, found, "wrong class code bytes (prog-if, subclass, base class)");
  // Compared with the real size, so a wrong byte 2 is reported once, as image.length.
  const blocks = bytes.length % ROM_BLOCK === 0 ? bytes.length / ROM_BLOCK : (readU8(bytes, 2) ?? 0);
  u16("pcir.image-length", 0x10, blocks, "the PCIR image length (512-byte blocks) does not match the image");
  u16("pcir.code-revision", 0x12, layout.pci.codeRevision, "wrong code revision; Linux prints it as the ROM version");
  u8("pcir.code-type", 0x14, 0, "the code type must be 0 (x86 PC-AT)");
  u8("pcir.indicator", 0x15, LAST_IMAGE, "the indicator must be 0x80: last image, other bits reserved");
  u16("pcir.reserved", 0x16, 0, "the reserved PCIR bytes must be zero");
}
