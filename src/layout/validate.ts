// Semantic checks on a Layout that a schema cannot express: ranges, overlaps, uniqueness, and
// the facts every VMI option ROM shares (docs/vmi-interface.md sections 1 and 3). Pure: it reports,
// it never throws and never reads files. The JSON shape itself is checked at the edge
// (src/layout/parse.ts); this runs on any Layout, hand-built ones included.

import { diag, type Diagnostic, type DiagnosticCode } from "../diagnostics.ts";
import { SHARED_AREA_SIZE } from "./shared-area.ts";
import type { HeaderComputed, HeaderField, Layout } from "./types.ts";

const FOUR_MIB = 0x400000;

/** Bytes of the PCI data structure ("PCIR") the builder writes at layout.pci.offset. */
export const PCIR_SIZE = 0x18;
/** Bytes of the $PnP expansion header the builder writes at layout.pnp.offset. */
export const PNP_HEADER_SIZE = 0x20;
/** The option-ROM length byte counts 512-byte units, so 255 of them is the ceiling. */
export const MAX_OPTION_ROM_SIZE = 255 * 512;
/** Both ABIs use 32-byte call slots (VROM_CALL_LEN). */
export const SLOT_SIZE = 32;

/** Computed header fields every layout needs, whatever the ABI. */
const REQUIRED_COMPUTED: readonly HeaderComputed[] = ["romLength", "romEntry", "relocTableOffset", "pciOffset"];

/**
 * Computed fields whose place the option-ROM / PCI / PnP conventions fix (SeaBIOS reads the
 * length at 2 and runs offset 3; the PCIR pointer is at 0x18 and the $PnP pointer at 0x1A).
 */
const FIXED_COMPUTED: Partial<Record<HeaderComputed, { offset: number; size: number; why: string }>> = {
  romLength: { offset: 0x02, size: 1, why: "the option-ROM length byte" },
  romEntry: { offset: 0x03, size: 4, why: "the option-ROM init entry the BIOS calls" },
  pciOffset: { offset: 0x18, size: 2, why: "the standard PCIR pointer" },
  pnpOffset: { offset: 0x1a, size: 2, why: "the standard $PnP header pointer" },
};

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const hex = (n: number): string => "0x" + n.toString(16).toUpperCase();

interface Region {
  what: string;
  path: string;
  start: number;
  end: number; // exclusive
}

/** Every broken rule in `layout`, one Diagnostic each; [] when the layout is usable. */
export function validateLayout(layout: Layout, file?: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (code: DiagnosticCode, path: string, message: string): void => {
    out.push(diag(code, message, file === undefined ? { path } : { file, path }));
  };
  const inRange = (value: number, min: number, max: number, path: string, what: string): boolean => {
    if (Number.isInteger(value) && value >= min && value <= max) return true;
    report("LAYOUT_VALUE_RANGE", path, `${what} must be an integer in ${hex(min)}..${hex(max)}; it is ${value}`);
    return false;
  };

  checkScalars(layout, report, inRange);
  checkStrings(layout, report);
  checkSlots(layout, report, inRange);
  checkHeaderFields(layout, report, inRange);
  checkComputed(layout, report);
  checkProbeFields(layout, report);
  checkRegions(layout, report, inRange);
  checkCalls(layout, report);
  checkRoles(layout, report);
  return out;
}

type Report = (code: DiagnosticCode, path: string, message: string) => void;
type InRange = (value: number, min: number, max: number, path: string, what: string) => boolean;

function checkScalars(l: Layout, report: Report, inRange: InRange): void {
  if (!Number.isInteger(l.maxImageSize) || l.maxImageSize <= 0 || l.maxImageSize % 512 !== 0 || l.maxImageSize > MAX_OPTION_ROM_SIZE) {
    report(
      "LAYOUT_IMAGE_SIZE",
      "maxImageSize",
      `maxImageSize must be a positive multiple of 512 no larger than ${hex(MAX_OPTION_ROM_SIZE)} (255 units of 512 bytes); it is ${l.maxImageSize}`,
    );
  }
  if (!Number.isInteger(l.filler) || l.filler < 0 || l.filler > 0xff) {
    report("LAYOUT_FILLER", "filler", `filler must be a byte value 0..255; it is ${l.filler}`);
  }
  inRange(l.version.major, 0, 0xff, "version.major", "version.major (the api_version_maj byte)");
  inRange(l.version.minor, 0, 0xff, "version.minor", "version.minor (the api_version_min byte)");
  inRange(l.virtualTop, 0, 0xffffffff, "virtualTop", "virtualTop (a 32-bit linear address)");
  if (l.highAlias !== undefined) checkHighAlias(l, l.highAlias, report, inRange);
  inRange(l.pci.vendor, 0, 0xffff, "pci.vendor", "pci.vendor");
  inRange(l.pci.device, 0, 0xffff, "pci.device", "pci.device");
  inRange(l.pci.revision, 0, 0xff, "pci.revision", "pci.revision");
  inRange(l.pci.codeRevision, 0, 0xffff, "pci.codeRevision", "pci.codeRevision");
  l.pci.classCode.forEach((b, i) => inRange(b, 0, 0xff, `pci.classCode[${i}]`, "a class code byte"));
  inRange(l.pnp.deviceId, 0, 0xffffffff, "pnp.deviceId", "pnp.deviceId");
  l.pnp.deviceType.forEach((b, i) => inRange(b, 0, 0xff, `pnp.deviceType[${i}]`, "a device type byte"));
  inRange(l.pnp.indicators, 0, 0xff, "pnp.indicators", "pnp.indicators");
}

/** The alias maps physical 0-4 MiB with one page-directory entry, inside the top area and clear of the shared area. */
function checkHighAlias(l: Layout, alias: number, report: Report, inRange: InRange): void {
  if (!inRange(alias, 0, 0xffffffff, "highAlias", "highAlias (a 32-bit linear address)")) return;
  if (alias % FOUR_MIB !== 0) {
    report("LAYOUT_HIGH_ALIAS", "highAlias", `highAlias must be a multiple of 4 MiB (one page-directory entry maps it); it is ${hex(alias)}`);
  } else if (alias < l.virtualTop) {
    report(
      "LAYOUT_HIGH_ALIAS",
      "highAlias",
      `highAlias ${hex(alias)} lies below virtualTop ${hex(l.virtualTop)}: guests only leave the area from virtualTop up free`,
    );
  } else if (alias < l.virtualTop + SHARED_AREA_SIZE) {
    report(
      "LAYOUT_HIGH_ALIAS",
      "highAlias",
      `highAlias ${hex(alias)} overlaps the shared area at virtualTop ${hex(l.virtualTop)} (${hex(SHARED_AREA_SIZE)} bytes)`,
    );
  }
}

function checkStrings(l: Layout, report: Report): void {
  if (!PRINTABLE_ASCII.test(l.license)) {
    report("LAYOUT_LICENSE_NOT_ASCII", "license", `license must be printable ASCII (it is stored NUL-terminated); got ${JSON.stringify(l.license)}`);
  } else if (l.version.major === 3 && l.license !== "" && l.license !== "GPL" && l.license !== "GPL v2") {
    // Linux 2.6.21+ refuses an API 3 ROM whose license string is anything else.
    report(
      "LAYOUT_LICENSE_REJECTED",
      "license",
      `an API 3 license must be exactly "GPL" or "GPL v2" (Linux refuses the ROM otherwise); got ${JSON.stringify(l.license)}`,
    );
  }
  for (const key of ["manufacturer", "product"] as const) {
    if (!PRINTABLE_ASCII.test(l.pnp[key])) {
      report("LAYOUT_STRING_NOT_ASCII", `pnp.${key}`, `pnp.${key} must be printable ASCII (it is stored NUL-terminated); got ${JSON.stringify(l.pnp[key])}`);
    }
  }
  if (l.relocTable.magic.length !== 4 || !PRINTABLE_ASCII.test(l.relocTable.magic)) {
    report(
      "LAYOUT_RELOC_MAGIC",
      "relocTable.magic",
      `relocTable.magic must be exactly 4 printable ASCII characters; got ${JSON.stringify(l.relocTable.magic)}`,
    );
  }
}

function checkSlots(l: Layout, report: Report, inRange: InRange): void {
  const { base, size, count } = l.slots;
  if (size !== SLOT_SIZE) {
    report("LAYOUT_SLOT_SIZE", "slots.size", `slots.size must be ${SLOT_SIZE} (VROM_CALL_LEN); it is ${size}`);
  } else if (!Number.isInteger(base) || base < 0 || base % size !== 0) {
    report("LAYOUT_SLOT_MISALIGNED", "slots.base", `slots.base must be a non-negative multiple of the slot size ${size}; it is ${hex(base)}`);
  }
  if (!inRange(count, 1, 0xffff, "slots.count", "slots.count")) return;
  const end = base + count * size;
  if (Number.isInteger(l.maxImageSize) && end > l.maxImageSize) {
    report("LAYOUT_SLOTS_PAST_IMAGE", "slots.count", `the slot table ends at ${hex(end)}, past maxImageSize ${hex(l.maxImageSize)}`);
  }
  const highest = Math.max(-1, ...l.calls.map((c) => c.number));
  if (highest >= 0 && highest < count && count !== highest + 1) {
    report("LAYOUT_SLOT_COUNT", "slots.count", `slots.count must be the highest call number + 1 (${highest + 1}); it is ${count}`);
  }
}

function checkHeaderFields(l: Layout, report: Report, inRange: InRange): void {
  const names = new Map<string, number>();
  l.header.forEach((f, i) => {
    const at = `header[${i}]`;
    if (!C_IDENTIFIER.test(f.name)) {
      report(
        "LAYOUT_BAD_IDENTIFIER",
        `${at}.name`,
        `header field name ${JSON.stringify(f.name)} must be a C identifier (the C header and the manifest use it)`,
      );
    }
    const first = names.get(f.name);
    if (first !== undefined) {
      report("LAYOUT_DUPLICATE_FIELD_NAME", `${at}.name`, `header field name ${f.name} is already used by header[${first}]`);
    } else names.set(f.name, i);
    if (!inRange(f.offset, 0, 0xffff, `${at}.offset`, `the offset of header field ${f.name}`)) return;
    if (Number.isInteger(l.headerSize) && f.offset + f.size > l.headerSize) {
      report(
        "LAYOUT_FIELD_BEYOND_HEADER",
        `${at}.offset`,
        `header field ${f.name} (${hex(f.offset)}, ${f.size} bytes) ends past headerSize ${hex(l.headerSize)}`,
      );
    }
    const s = f.source;
    if (s.kind === "const" && !(Number.isInteger(s.value) && s.value >= 0 && s.value < 2 ** (8 * f.size))) {
      report("LAYOUT_CONST_TOO_WIDE", `${at}.source.value`, `header field ${f.name} holds ${f.size} byte(s); the constant ${s.value} does not fit`);
    }
    if (s.kind === "ascii" && (s.value.length !== f.size || !PRINTABLE_ASCII.test(s.value))) {
      report(
        "LAYOUT_ASCII_SIZE",
        `${at}.source.value`,
        `header field ${f.name} needs exactly ${f.size} printable ASCII characters; got ${JSON.stringify(s.value)}`,
      );
    }
  });
  l.jumpPoints.forEach((j, i) => {
    const at = `jumpPoints[${i}]`;
    if (!inRange(j.offset, 0, 0xffff, `${at}.offset`, `the offset of jump point ${j.role}`)) return;
    inRange(j.size, 1, 0xffff, `${at}.size`, `the size of jump point ${j.role}`);
    if (Number.isInteger(l.headerSize) && j.offset + j.size > l.headerSize) {
      report(
        "LAYOUT_FIELD_BEYOND_HEADER",
        `${at}.offset`,
        `jump point ${j.role} (${hex(j.offset)}, ${j.size} bytes) ends past headerSize ${hex(l.headerSize)}`,
      );
    }
  });
  inRange(l.headerSize, 1, Math.max(1, l.maxImageSize), "headerSize", "headerSize");
}

function checkComputed(l: Layout, report: Report): void {
  const seen = new Map<HeaderComputed, number>();
  l.header.forEach((f, i) => {
    if (f.source.kind !== "computed") return;
    const what = f.source.what;
    const at = `header[${i}]`;
    const first = seen.get(what);
    if (first !== undefined) {
      report("LAYOUT_COMPUTED_DUPLICATE", `${at}.source.what`, `header field ${f.name} is a second ${what} field (header[${first}] already is one)`);
      return;
    }
    seen.set(what, i);
    const fixed = FIXED_COMPUTED[what];
    if (fixed && f.offset !== fixed.offset) {
      report(
        "LAYOUT_COMPUTED_OFFSET",
        `${at}.offset`,
        `${what} (${fixed.why}) must be at offset ${hex(fixed.offset)}; header field ${f.name} is at ${hex(f.offset)}`,
      );
    }
    if (fixed && f.size !== fixed.size) {
      report("LAYOUT_COMPUTED_SIZE", `${at}.size`, `${what} (${fixed.why}) must be ${fixed.size} byte(s); header field ${f.name} is ${f.size}`);
    } else if (!fixed) {
      // Offsets must reach the last byte of the largest image; jumpSlots must hold the count.
      const largest = what === "jumpSlots" ? l.slots.count : l.maxImageSize - 1;
      if (largest >= 2 ** (8 * f.size)) {
        report("LAYOUT_COMPUTED_SIZE", `${at}.size`, `header field ${f.name} (${what}) is ${f.size} byte(s) and cannot hold ${hex(largest)}`);
      }
    }
  });
  const needed = [...REQUIRED_COMPUTED];
  // Linux rejects an API 3 ROM without a license offset; API 13 has no such field.
  if (l.license !== "" && l.version.major === 3) needed.push("licenseOffset");
  for (const what of needed) {
    if (!seen.has(what)) report("LAYOUT_COMPUTED_MISSING", "header", `the header needs a field computed as ${what}`);
  }
  const lic = seen.get("licenseOffset");
  if (lic !== undefined && l.license === "") {
    report("LAYOUT_LICENSE_MISSING", "license", `header[${lic}] points at the license string, but license is empty`);
  }
}

/** The first 0x0E header bytes both ABIs share and the guests probe (docs/vmi-interface.md 0, 1a, 1b). */
function checkProbeFields(l: Layout, report: Report): void {
  const expected: Array<{ offset: number; size: number; kind: "const" | "ascii"; value: number | string; what: string }> = [
    { offset: 0x00, size: 2, kind: "const", value: 0xaa55, what: "the option-ROM signature" },
    { offset: 0x08, size: 4, kind: "ascii", value: "cVmi", what: "the VMI ROM signature" },
    { offset: 0x0c, size: 1, kind: "const", value: l.version.minor, what: "the minor API version (version.minor)" },
    { offset: 0x0d, size: 1, kind: "const", value: l.version.major, what: "the major API version (version.major)" },
  ];
  for (const e of expected) {
    const i = l.header.findIndex((f) => f.offset === e.offset);
    const f: HeaderField | undefined = l.header[i];
    const want = `${e.kind} ${typeof e.value === "number" ? hex(e.value) : JSON.stringify(e.value)} (${e.size} byte(s))`;
    if (!f) {
      report("LAYOUT_PROBE_FIELD", "header", `the header needs ${e.what} at offset ${hex(e.offset)}: ${want}`);
    } else if (f.size !== e.size || f.source.kind !== e.kind || f.source.value !== e.value) {
      report("LAYOUT_PROBE_FIELD", `header[${i}].source`, `header field ${f.name} at ${hex(e.offset)} must be ${e.what}: ${want}`);
    }
  }
}

/** Header fields, jump points, PCIR and $PnP must not share bytes; the structures must fit the image. */
function checkRegions(l: Layout, report: Report, inRange: InRange): void {
  const regions: Region[] = [];
  l.header.forEach((f, i) => {
    if (Number.isInteger(f.offset)) regions.push({ what: `header field ${f.name}`, path: `header[${i}].offset`, start: f.offset, end: f.offset + f.size });
  });
  l.jumpPoints.forEach((j, i) => {
    if (Number.isInteger(j.offset)) regions.push({ what: `jump point ${j.role}`, path: `jumpPoints[${i}].offset`, start: j.offset, end: j.offset + j.size });
  });
  for (const [key, size, name] of [
    ["pci", PCIR_SIZE, "the PCIR structure"],
    ["pnp", PNP_HEADER_SIZE, "the $PnP header"],
  ] as const) {
    const offset = l[key].offset;
    if (!inRange(offset, 1, 0xffff, `${key}.offset`, `${key}.offset (a 16-bit header pointer; 0 means absent)`)) continue;
    if (Number.isInteger(l.maxImageSize) && offset + size > l.maxImageSize) {
      report("LAYOUT_STRUCT_PAST_IMAGE", `${key}.offset`, `${name} (${hex(offset)}, ${hex(size)} bytes) ends past maxImageSize ${hex(l.maxImageSize)}`);
    }
    regions.push({ what: name, path: `${key}.offset`, start: offset, end: offset + size });
  }
  for (const [b, rb] of regions.entries()) {
    for (const ra of regions.slice(0, b)) {
      if (ra.start < rb.end && rb.start < ra.end) {
        report(
          "LAYOUT_HEADER_OVERLAP",
          rb.path,
          `${rb.what} (${hex(rb.start)}..${hex(rb.end - 1)}) overlaps ${ra.what} (${hex(ra.start)}..${hex(ra.end - 1)})`,
        );
      }
    }
  }
}

function checkCalls(l: Layout, report: Report): void {
  const numbers = new Map<number, number>();
  const names = new Map<string, number>();
  const structs = [
    { what: "the PCIR structure", start: l.pci.offset, end: l.pci.offset + PCIR_SIZE },
    { what: "the $PnP header", start: l.pnp.offset, end: l.pnp.offset + PNP_HEADER_SIZE },
  ];
  l.calls.forEach((c, i) => {
    const at = `calls[${i}]`;
    const firstNumber = numbers.get(c.number);
    if (firstNumber !== undefined) {
      report("LAYOUT_DUPLICATE_CALL", `${at}.number`, `call number ${c.number} (${c.name}) is already defined by calls[${firstNumber}]`);
    } else numbers.set(c.number, i);
    const firstName = names.get(c.name);
    if (firstName !== undefined) {
      report("LAYOUT_DUPLICATE_CALL_NAME", `${at}.name`, `call name ${c.name} is already used by calls[${firstName}]`);
    } else names.set(c.name, i);
    if (!C_IDENTIFIER.test(c.name)) {
      report("LAYOUT_BAD_IDENTIFIER", `${at}.name`, `call name ${JSON.stringify(c.name)} must be a C identifier (the C header and assembler labels use it)`);
    }
    if (c.relocs.length === 0) {
      report("LAYOUT_EMPTY_RELOCS", `${at}.relocs`, `call ${c.name} must allow at least one relocation type`);
    }
    c.relocs.forEach((r, k) => {
      if (c.relocs.indexOf(r) !== k) report("LAYOUT_DUPLICATE_RELOC", `${at}.relocs[${k}]`, `call ${c.name} lists relocation type ${r} twice`);
    });
    if (!Number.isInteger(c.number) || c.number < 0 || c.number >= l.slots.count) {
      report("LAYOUT_CALL_OUT_OF_RANGE", `${at}.number`, `call ${c.name} has number ${c.number}, outside the slot table 0..${l.slots.count - 1}`);
      return;
    }
    const start = l.slots.base + c.number * l.slots.size;
    const end = start + l.slots.size;
    if (start < l.headerSize) {
      report(
        "LAYOUT_CALL_SLOT_IN_HEADER",
        `${at}.number`,
        `call ${c.name}'s slot ${hex(start)}..${hex(end - 1)} overlaps the header (0..${hex(l.headerSize - 1)})`,
      );
    }
    for (const s of structs) {
      if (start < s.end && s.start < end) {
        report(
          "LAYOUT_CALL_SLOT_OVERLAP",
          `${at}.number`,
          `call ${c.name}'s slot ${hex(start)}..${hex(end - 1)} overlaps ${s.what} (${hex(s.start)}..${hex(s.end - 1)})`,
        );
      }
    }
  });
}

/** Init and GetRelocationInfo: exactly one provider each, a call (api13) or a jump point (api3). */
function checkRoles(l: Layout, report: Report): void {
  for (const role of ["init", "getRelocationInfo"] as const) {
    const holders: string[] = [];
    l.jumpPoints.forEach((j, i) => {
      if (j.role === role) holders.push(`jumpPoints[${i}].role`);
    });
    l.calls.forEach((c, i) => {
      if (c.role === role) holders.push(`calls[${i}].role`);
    });
    if (holders.length === 0) {
      report("LAYOUT_MISSING_ROLE", "calls", `no call or jump point has role ${role}; exactly one must`);
    }
    for (const path of holders.slice(1)) {
      report("LAYOUT_DUPLICATE_ROLE", path, `role ${role} is already held by ${holders[0]}; exactly one call or jump point may have it`);
    }
  }
}
