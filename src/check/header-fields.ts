// The header fields the layout declares: constants, ASCII signatures, reserved zeros and the
// values the builder computes from the laid-out image, plus the license string the header points
// to and the header bytes no structure claims (they must stay zero).

import type { HeaderField, Layout } from "../layout/types.ts";
import { readCString, readLatin1, readUint } from "./image-bytes.ts";
import type { ImageRegions } from "./image-regions.ts";
import { ROM_BLOCK } from "./rom-format.ts";
import { hex, hexBytes, quote, report, type ViolationSink } from "./violation.ts";

const REGION = "header";
/** Linux (vmi_32.c) refuses a ROM whose license string is anything else. */
const LINUX_LICENSES = ["GPL", "GPL v2"];

export function checkHeaderFields(bytes: Uint8Array, layout: Layout, out: ViolationSink): void {
  for (const field of layout.header) {
    const value = readUint(bytes, field.offset, field.size);
    if (value === undefined) {
      report(
        out,
        "header.bounds",
        REGION,
        field.offset,
        `${field.size} bytes inside the image`,
        `image of ${bytes.length} bytes`,
        `header field ${field.name} lies beyond the end of the image`,
      );
      continue;
    }
    checkField(bytes, layout, field, value, out);
  }
}

function checkField(bytes: Uint8Array, layout: Layout, field: HeaderField, value: number, out: ViolationSink): void {
  const digits = field.size * 2;
  const mismatch = (rule: string, expected: number, why: string): void => {
    if (value !== expected) report(out, rule, REGION, field.offset, hex(expected, digits), hex(value, digits), `header field ${field.name} ${why}`);
  };
  const src = field.source;
  switch (src.kind) {
    case "const":
      // The 55 AA signature is the option-ROM envelope's, already checked as image.signature.
      if (field.offset === 0 && field.size === 2 && src.value === 0xaa55) return;
      mismatch("header.const", src.value >>> 0, `must be the constant ${hex(src.value >>> 0)}`);
      return;
    case "ascii": {
      const text = readLatin1(bytes, field.offset, field.size) ?? "";
      if (text !== src.value) {
        report(
          out,
          "header.ascii",
          REGION,
          field.offset,
          quote(src.value),
          quote(text),
          `header field ${field.name} must hold the signature ${quote(src.value)}`,
        );
      }
      return;
    }
    case "reserved":
      mismatch("header.reserved", 0, "is reserved and must be zero");
      return;
    case "computed":
      switch (src.what) {
        case "romLength":
          // Byte 2 is the SeaBIOS length byte, already checked as image.length.
          if (!(field.offset === 2 && field.size === 1))
            mismatch("header.romLength", Math.floor(bytes.length / ROM_BLOCK), "must be the image size in 512-byte blocks");
          return;
        case "pciOffset":
          mismatch("header.pciOffset", layout.pci.offset, "must point to the PCIR structure at the layout's offset");
          return;
        case "pnpOffset":
          mismatch("header.pnpOffset", layout.pnp.offset, "must point to the $PnP header at the layout's offset");
          return;
        case "jumpSlots":
          mismatch("header.jumpSlots", layout.slots.count, "must be the number of slots");
          return;
        case "licenseOffset":
          checkLicense(bytes, layout, field, value, out);
          return;
        case "romEntry": // 16-bit code: checked by init16
        case "relocTableOffset": // checked with the table itself
          return;
      }
  }
}

function checkLicense(bytes: Uint8Array, layout: Layout, field: HeaderField, pointer: number, out: ViolationSink): void {
  if (pointer === 0) {
    report(
      out,
      "header.licenseOffset",
      REGION,
      field.offset,
      "a non-zero offset",
      "0",
      `header field ${field.name} is 0; Linux then treats the license as unspecified and refuses the ROM`,
    );
    return;
  }
  const s = readCString(bytes, pointer);
  if (!s) {
    report(
      out,
      "license.bounds",
      "license",
      pointer,
      "a NUL-terminated string inside the image",
      hexBytes(bytes, pointer, 8),
      `header field ${field.name} (${hex(pointer)}) does not point to a NUL-terminated string inside the image`,
    );
    return;
  }
  if (s.text !== layout.license) {
    report(
      out,
      "license.text",
      "license",
      pointer,
      quote(layout.license),
      quote(s.text),
      `the license string differs from the layout's${layout.version.major === 3 ? ' (Linux accepts only "GPL" or "GPL v2")' : ""}`,
    );
  } else if (layout.version.major === 3 && !LINUX_LICENSES.includes(s.text)) {
    report(
      out,
      "license.gpl",
      "license",
      pointer,
      LINUX_LICENSES.map(quote).join(" or "),
      quote(s.text),
      'Linux refuses a VMI ROM whose license string is not exactly "GPL" or "GPL v2"',
    );
  }
}

/**
 * Header bytes no field, jump point, structure, string or init code claims must be zero: nothing
 * reads them, so anything else there is a builder bug (or a corruption no other rule would see).
 */
export function checkUnusedHeaderBytes(
  bytes: Uint8Array,
  layout: Layout,
  regions: ImageRegions,
  init16Code: Array<{ offset: number; size: number }>,
  out: ViolationSink,
): void {
  const end = Math.min(regions.header.size, bytes.length);
  const claimed = new Uint8Array(end);
  const claim = (r: { offset: number; size: number }): void => {
    for (let i = Math.max(0, r.offset); i < Math.min(end, r.offset + r.size); i++) claimed[i] = 1;
  };
  [...regions.headerFields, ...regions.jumpPoints, regions.pcir, regions.pnp, ...regions.strings, ...init16Code].forEach(claim);
  if (regions.relocTable) claim(regions.relocTable);
  // A layout without a license pointer (api13) still carries the string; nothing points to it, so
  // one exact copy in the spare header bytes is accepted as the license.
  if (!layout.header.some((f) => f.source.kind === "computed" && f.source.what === "licenseOffset")) {
    const copy = findUnclaimed(bytes, claimed, layout.license + "\0");
    if (copy !== undefined) claim({ offset: copy, size: layout.license.length + 1 });
  }
  let i = 0;
  while (i < end) {
    if (claimed[i] || bytes[i] === 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < end && !claimed[i] && bytes[i] !== 0) i++;
    report(out, "header.unused", REGION, start, "00", hexBytes(bytes, start, i - start), "header bytes outside every field and structure must be zero");
  }
}

function findUnclaimed(bytes: Uint8Array, claimed: Uint8Array, text: string): number | undefined {
  for (let at = 0; at + text.length <= claimed.length; at++) {
    let ok = true;
    for (let k = 0; k < text.length && ok; k++) ok = !claimed[at + k] && bytes[at + k] === text.charCodeAt(k);
    if (ok) return at;
  }
  return undefined;
}
