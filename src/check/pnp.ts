// The PnP expansion header ("$PnP") at the layout's offset: Linux prints its manufacturer and
// product strings; everything else must hold the layout's values, vectors zero, and the header
// must checksum to zero on its own.

import type { Layout } from "../layout/types.ts";
import { byteSum, inImage, readCString, readLatin1, readU16, readU32, readU8 } from "./image-bytes.ts";
import { PNP_SIZE } from "./image-regions.ts";
import { hex, hexBytes, quote, report, type ViolationSink } from "./violation.ts";

const REGION = "pnp";
/** What `{backend}` in the product template may stand for when the backend is not known. */
const BACKEND_WORD = "[A-Za-z0-9_.+-]+";

export function productPattern(template: string, backend?: string): RegExp {
  const parts = template.split("{backend}").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const word = backend === undefined ? BACKEND_WORD : backend.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${parts.join(word)}$`);
}

export function checkPnp(bytes: Uint8Array, layout: Layout, backend: string | undefined, out: ViolationSink): void {
  const base = layout.pnp.offset;
  if (!inImage(bytes, base, PNP_SIZE)) {
    report(
      out,
      "pnp.bounds",
      REGION,
      base,
      `${PNP_SIZE} bytes inside the image`,
      `image of ${bytes.length} bytes`,
      "the $PnP header lies beyond the end of the image",
    );
    return;
  }
  // The header lies inside the image: the reads below (and pnpString's) cannot miss.
  const sig = readLatin1(bytes, base, 4)!;
  if (sig !== "$PnP") report(out, "pnp.signature", REGION, base, quote("$PnP"), quote(sig), 'the PnP expansion header must start with "$PnP"');
  const u8 = (rule: string, at: number, expected: number, why: string): void => {
    const v = readU8(bytes, base + at)!;
    if (v !== expected) report(out, rule, REGION, base + at, hex(expected, 2), hex(v, 2), why);
  };
  const u16 = (rule: string, at: number, expected: number, why: string): void => {
    const v = readU16(bytes, base + at)!;
    if (v !== expected) report(out, rule, REGION, base + at, hex(expected, 4), hex(v, 4), why);
  };
  u8("pnp.revision", 0x04, 1, "the $PnP structure revision must be 1");
  u8("pnp.length", 0x05, PNP_SIZE / 16, "the $PnP length must be 2 (× 16 bytes)");
  u16("pnp.next", 0x06, 0, "the next-header offset must be 0 (no further header)");
  u8("pnp.reserved", 0x08, 0, "the reserved $PnP byte at +8 must be zero");
  const sum = byteSum(bytes, base, base + PNP_SIZE);
  if (sum !== 0) {
    report(out, "pnp.checksum", REGION, base + 0x09, "header bytes summing to 0x00", hex(sum, 2), "the 32 bytes of the $PnP header must sum to 0 mod 256");
  }
  const deviceId = readU32(bytes, base + 0x0a)!;
  if (deviceId !== layout.pnp.deviceId >>> 0) {
    report(out, "pnp.device-id", REGION, base + 0x0a, hex(layout.pnp.deviceId >>> 0, 8), hex(deviceId, 8), "wrong PnP device id");
  }
  const type = hexBytes(bytes, base + 0x12, 3);
  const wantType = layout.pnp.deviceType.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  if (type !== wantType) report(out, "pnp.device-type", REGION, base + 0x12, wantType, type, "wrong PnP device type code");
  u8("pnp.indicators", 0x15, layout.pnp.indicators, "wrong PnP device indicators");
  u16("pnp.vectors", 0x16, 0, "the boot connection vector (BCV) must be 0");
  u16("pnp.vectors", 0x18, 0, "the disconnect vector (DV) must be 0");
  u16("pnp.vectors", 0x1a, 0, "the bootstrap entry vector (BEV) must be 0");
  u16("pnp.reserved", 0x1c, 0, "the reserved $PnP word at +0x1c must be zero");
  u16("pnp.vectors", 0x1e, 0, "the static resource information vector must be 0");

  const manufacturer = pnpString(bytes, base, 0x0e, "manufacturer", out);
  if (manufacturer && manufacturer.text !== layout.pnp.manufacturer) {
    report(
      out,
      "pnp.manufacturer",
      REGION,
      manufacturer.at,
      quote(layout.pnp.manufacturer),
      quote(manufacturer.text),
      "the manufacturer string (Linux prints it) differs from the layout's",
    );
  }
  const product = pnpString(bytes, base, 0x10, "product", out);
  if (product && !productPattern(layout.pnp.product, backend).test(product.text)) {
    const want = backend === undefined ? layout.pnp.product : layout.pnp.product.split("{backend}").join(backend);
    report(
      out,
      "pnp.product",
      REGION,
      product.at,
      quote(want),
      quote(product.text),
      backend === undefined
        ? "the product string does not match the layout's template ({backend} standing for one word)"
        : `the product string does not name the manifest's backend ${quote(backend)}`,
    );
  }
}

function pnpString(bytes: Uint8Array, base: number, at: number, what: string, out: ViolationSink): { at: number; text: string } | undefined {
  const pointer = readU16(bytes, base + at)!;
  const s = pointer === 0 ? undefined : readCString(bytes, pointer);
  if (!s) {
    report(
      out,
      "pnp.string-bounds",
      REGION,
      base + at,
      "offset of a NUL-terminated string inside the image",
      hex(pointer, 4),
      `the ${what} string offset does not point to a NUL-terminated string inside the image`,
    );
    return undefined;
  }
  return { at: pointer, text: s.text };
}
