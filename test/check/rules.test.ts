// One targeted corruption per rule: each must be reported under exactly the expected rule id.

import { describe, expect, it } from "vitest";
import { checkImage } from "../../src/check/index.ts";
import type { Layout } from "../../src/layout/types.ts";
import type { FixtureOptions } from "./fixture.ts";
import { fixChecksum, fixPnpChecksum } from "./fixture.ts";
import { target, type Target } from "./rule-cases.ts";

interface RuleCase {
  rule: string;
  api?: "api3" | "api13";
  fixture?: FixtureOptions;
  /** Changes the layout the fixture is built from (and checked against). */
  build?: (l: Layout) => void;
  /** Changes only the layout the checker is given. */
  checkWith?: (l: Layout) => void;
  mutate?: (t: Target) => void;
  keepChecksum?: boolean;
  keepPnpChecksum?: boolean;
  manifest?: boolean;
  checkHash?: boolean;
  /** Other rules the same corruption necessarily breaks. */
  also?: string[];
  /** Only require the rule to be among those reported (the corruption cannot stay local). */
  contains?: boolean;
}

const PCI = 0x20;
const PNP = 0x40;
const ENTRY = 3;

const cases: RuleCase[] = [
  // image
  { rule: "image.signature", mutate: (t) => t.set(1, 0xab) },
  {
    rule: "image.size",
    also: ["coverage.unclaimed"] /* the old checksum byte */,
    mutate: (t) => {
      const b = new Uint8Array(t.bytes.length + 100);
      b.set(t.bytes);
      t.bytes = b;
    },
  },
  {
    rule: "image.too-large",
    checkWith: (l) => {
      l.maxImageSize = 2048;
    },
  },
  { rule: "image.length", mutate: (t) => t.set(2, t.bytes[2]! + 1) },
  {
    rule: "image.truncated",
    mutate: (t) => {
      t.bytes = t.bytes.slice(0, 1024);
      t.set(2, 2);
      t.u16(PCI + 0x10, 2);
    },
    contains: true,
  },
  { rule: "image.checksum", keepChecksum: true, mutate: (t) => t.set(t.bytes.length - 1, t.bytes.at(-1)! ^ 1) },
  {
    rule: "image.checksum-byte",
    keepChecksum: true,
    // The old table is left behind unclaimed, and GetRelocationInfo still reads it there.
    also: ["coverage.unclaimed", "jump-point.reloc-read"],
    mutate: (t) => {
      // Move the relocation table to the very end, so its last (zero) byte is the checksum byte,
      // and balance the sum with a padding byte instead.
      t.grow(1);
      const size = 8 + 4 * t.layout.slots.count;
      const at = t.bytes.length - size;
      t.bytes.copyWithin(at, t.reloc, t.reloc + size);
      t.u16(0x14, at);
      let sum = 0;
      for (const b of t.bytes) sum = (sum + b) & 0xff;
      t.set(at - 1, (t.bytes[at - 1]! - sum) & 0xff);
    },
  },
  // 16-bit init entry
  { rule: "init16.decode", mutate: (t) => t.set(ENTRY, 0x0f, 0x04, 0, 0) },
  { rule: "init16.entry-size", mutate: (t) => t.set(ENTRY, 0x90, 0x90, 0x90, 0x90) },
  { rule: "init16.padding", mutate: (t) => t.set(ENTRY, 0xcb, 0, 0, 1) },
  { rule: "init16.return", mutate: (t) => t.set(ENTRY, 0xc3, 0, 0, 0) },
  { rule: "init16.return", mutate: (t) => t.set(ENTRY, 0xca, 0x0f, 0xcc, 0) }, // retf 0xcc0f
  { rule: "init16.flow", mutate: (t) => t.set(ENTRY, 0xff, 0xe0, 0, 0) },
  {
    rule: "init16.limit",
    also: ["coverage.unclaimed"], // the code past the limit, and the old checksum byte
    mutate: (t) => {
      const at = t.bytes.length;
      t.grow(1);
      t.bytes.fill(0x90, at, at + 300);
      t.set(at + 300, 0xcb);
      t.set(ENTRY, 0xe9, (at - 6) & 0xff, (at - 6) >> 8, 0);
    },
  },
  { rule: "init16.bounds", mutate: (t) => t.set(ENTRY, 0xe9, 0x00, 0xf0, 0) },
  { rule: "init16.data", mutate: (t) => t.set(ENTRY, 0xe9, (PCI - 6) & 0xff, 0, 0) },
  // header
  {
    rule: "header.bounds",
    checkWith: (l) => {
      l.header.push({ name: "far", offset: 0xfff0, size: 4, source: { kind: "reserved" }, inert: true });
    },
  },
  { rule: "header.const", mutate: (t) => t.set(0x0d, 4) },
  { rule: "header.ascii", mutate: (t) => t.set(0x08, 0x43) },
  { rule: "header.reserved", mutate: (t) => t.set(0x0f, 1) },
  {
    rule: "header.romLength",
    build: (l) => {
      l.header.push({ name: "length_copy", offset: 0x7e, size: 1, source: { kind: "computed", what: "romLength" }, inert: false });
    },
    mutate: (t) => t.set(0x7e, t.bytes[0x7e]! + 1),
  },
  { rule: "header.pciOffset", mutate: (t) => t.u16(0x18, PCI + 1) },
  { rule: "header.pnpOffset", mutate: (t) => t.u16(0x1a, PNP + 1) },
  { rule: "header.jumpSlots", mutate: (t) => t.set(0x0e, 75) },
  {
    rule: "header.licenseOffset",
    also: ["coverage.unclaimed"] /* the string nothing points to */,
    fixture: { licenseAfterTables: true },
    mutate: (t) => t.u16(0x16, 0),
  },
  { rule: "header.unused", mutate: (t) => t.set(0x7f, 1) },
  { rule: "header.unused", api: "api13", mutate: (t) => t.set(0x38, 0x90) },
  // license
  { rule: "license.bounds", also: ["coverage.unclaimed"], fixture: { licenseAfterTables: true }, mutate: (t) => t.u16(0x16, 0xfff0) },
  { rule: "license.text", mutate: (t) => t.set(0x64, 0x56) },
  {
    rule: "license.gpl",
    build: (l) => {
      l.license = "MIT";
    },
  },
  // PCIR
  {
    rule: "pcir.bounds",
    checkWith: (l) => {
      l.pci.offset = 0xfff0;
    },
    mutate: (t) => {
      t.u16(0x18, 0xfff0);
      t.bytes.fill(0, PCI, PCI + 0x18);
    },
  },
  { rule: "pcir.signature", mutate: (t) => t.set(PCI + 3, 0x53) },
  { rule: "pcir.vendor", mutate: (t) => t.u16(PCI + 4, 0x8086) },
  { rule: "pcir.device", mutate: (t) => t.u16(PCI + 6, 0x0802) },
  { rule: "pcir.vpd", mutate: (t) => t.u16(PCI + 8, 0x100) },
  { rule: "pcir.length", mutate: (t) => t.u16(PCI + 0x0a, 0x1c) },
  { rule: "pcir.revision", mutate: (t) => t.set(PCI + 0x0c, 3) },
  { rule: "pcir.class", mutate: (t) => t.set(PCI + 0x0f, 0x02) },
  { rule: "pcir.image-length", mutate: (t) => t.u16(PCI + 0x10, 1) },
  { rule: "pcir.code-revision", mutate: (t) => t.u16(PCI + 0x12, 0x0200) },
  { rule: "pcir.code-type", mutate: (t) => t.set(PCI + 0x14, 3) },
  { rule: "pcir.indicator", mutate: (t) => t.set(PCI + 0x15, 0x00) },
  { rule: "pcir.reserved", mutate: (t) => t.u16(PCI + 0x16, 1) },
  // $PnP
  {
    rule: "pnp.bounds",
    also: ["coverage.unclaimed"] /* its strings */,
    checkWith: (l) => {
      l.pnp.offset = 0xfff0;
    },
    mutate: (t) => {
      t.u16(0x1a, 0xfff0);
      t.bytes.fill(0, PNP, PNP + 0x20);
    },
  },
  { rule: "pnp.signature", mutate: (t) => t.set(PNP + 1, 0x51) },
  { rule: "pnp.revision", mutate: (t) => t.set(PNP + 4, 2) },
  { rule: "pnp.length", mutate: (t) => t.set(PNP + 5, 3) },
  { rule: "pnp.next", mutate: (t) => t.u16(PNP + 6, 0x60) },
  { rule: "pnp.reserved", mutate: (t) => t.set(PNP + 8, 1) },
  { rule: "pnp.reserved", mutate: (t) => t.u16(PNP + 0x1c, 1) },
  { rule: "pnp.checksum", keepPnpChecksum: true, mutate: (t) => t.set(PNP + 9, t.bytes[PNP + 9]! + 1) },
  { rule: "pnp.device-id", mutate: (t) => t.set(PNP + 0x0a, 1) },
  { rule: "pnp.device-type", mutate: (t) => t.set(PNP + 0x12, 0x02) },
  { rule: "pnp.indicators", mutate: (t) => t.set(PNP + 0x15, 0x80) },
  { rule: "pnp.vectors", mutate: (t) => t.u16(PNP + 0x1a, 0x100) },
  { rule: "pnp.string-bounds", also: ["coverage.unclaimed"], mutate: (t) => t.u16(PNP + 0x0e, 0xffff) },
  { rule: "pnp.manufacturer", mutate: (t) => t.set(t.manifest.strings[1]!.offset, 0x56) },
  { rule: "pnp.product", mutate: (t) => t.set(t.manifest.strings[2]!.offset + 2, 0x58) },
  {
    rule: "pnp.product",
    manifest: true,
    mutate: (t) => {
      t.manifest.backend = "native";
    },
  },
  {
    rule: "string.overlap",
    also: ["coverage.unclaimed"], // the real manufacturer string
    // The manufacturer string points into the PCIR ("PCIR", vendor, device, then VPD = 0 ends it).
    checkWith: (l) => {
      l.pnp.manufacturer = "PCIR\xad\x15\x01\x08";
    },
    mutate: (t) => t.u16(PNP + 0x0e, PCI),
  },
  // stubs
  {
    rule: "jump-point.bounds",
    checkWith: (l) => {
      l.jumpPoints.push({ role: "init", offset: 0xfff8, size: 8 });
    },
  },
  {
    rule: "slot.bounds",
    mutate: (t) => {
      t.bytes = t.bytes.slice(0, 2048);
      t.set(2, 4);
      t.u16(PCI + 0x10, 4);
    },
    contains: true,
  },
  { rule: "slot.filler", mutate: (t) => t.set(t.slot("SetPxE") + 7, 0x90) },
  { rule: "slot.filler", mutate: (t) => t.set(t.slot("SetCallbacks") + 31, 0x00) },
  { rule: "jump-point.filler", mutate: (t) => t.set(0x87, 0xc3) },
  { rule: "slot.decode", also: ["coverage.unclaimed"] /* the body it jumped to */, mutate: (t) => t.set(t.slot("CPUID"), 0x0f, 0x04) },
  { rule: "slot.crosses-end", mutate: (t) => t.set(t.slot("CLTS") + 31, 0xb8) },
  { rule: "slot.no-terminator", mutate: (t) => t.set(t.slot("CLTS"), 0x90) },
  { rule: "slot.branch-target", mutate: (t) => t.set(t.slot("WBINVD") + 3, 0x02) },
  {
    rule: "jump-point.absent-required",
    also: ["coverage.unclaimed"],
    mutate: (t) => {
      t.bytes.fill(0xcc, 0x80, 0x88);
      t.set(0x80, 0x0f, 0x0b);
    },
  },
  {
    rule: "slot.absent-required",
    api: "api13",
    mutate: (t) => {
      t.bytes.fill(0xcc, 0x80, 0xa0);
      t.set(0x80, 0x0f, 0x0b);
    },
    also: ["reloc.absent", "coverage.unclaimed"],
  },
  { rule: "slot.target", also: ["coverage.unclaimed"], mutate: (t) => t.rel32(t.slot("SetPxE") + 1, PCI) },
  { rule: "jump-point.target", also: ["coverage.unclaimed"], mutate: (t) => t.rel32(0x81, 0x400) },
  // bodies and code
  { rule: "body.shared-entry", also: ["coverage.unclaimed"] /* RDTSC's own body */, mutate: (t) => t.rel32(t.slot("RDTSC") + 1, t.body("CPUID").offset) },
  {
    rule: "body.bounds",
    also: ["coverage.unclaimed"], // the CPUID body nothing enters now
    mutate: (t) => {
      const end = t.bytes.length;
      t.set(end - 2, 0xe9); // a jmp rel32 cut off by the end of the image
      t.rel32(t.slot("CPUID") + 1, end - 2);
    },
  },
  { rule: "body.decode", also: ["coverage.unclaimed"] /* the ret after the bad bytes */, mutate: (t) => t.set(t.body("CPUID").offset, 0x0f, 0x04) },
  { rule: "body.data", mutate: (t) => t.set(t.shared("zero").offset + 2, 0x90) },
  {
    rule: "body.fall-through",
    also: ["slot.target"], // SetPxE's jump lands where RDTSC's code runs in: either may be the one at fault
    // rdtsc, then nops up to the next body's entry instead of a ret.
    mutate: (t) => t.bytes.fill(0x90, t.body("RDTSC").offset + 2, t.body("SetPxE").offset),
  },
  {
    rule: "body.overlap",
    mutate: (t) => {
      const cpuid = t.body("CPUID").offset;
      const ret = t.body("RDTSC").offset + 2; // RDTSC's own ret
      t.set(cpuid + 2, 0xeb, ret - (cpuid + 4)); // cpuid; jmp short into the RDTSC body
    },
  },
  { rule: "code.branch-target", mutate: (t) => t.rel32(t.body("SetPxE").offset + 3, PCI) },
  { rule: "code.branch-target", mutate: (t) => t.rel32(t.slot("IODelay") + 1, t.reloc) },
  { rule: "code.mid-instruction", mutate: (t) => t.set(t.body("FlushTLB").offset + 9, 0xfd) },
  {
    rule: "check.limit",
    also: ["coverage.unclaimed"], // the code past the limit
    checkWith: (l) => {
      l.maxImageSize = 0x10000;
    },
    mutate: (t) => {
      // 10,000 `call $+6; ret` in a row: every call starts a new shared routine (a `call $+5` would be the
      // call/pop idiom, which stays in its body).
      const at = t.bytes.length;
      t.grow(128 - t.bytes.length / 512);
      let p = at;
      for (; p + 6 < t.bytes.length - 2; p += 6) t.set(p, 0xe8, 1, 0, 0, 0, 0xc3);
      t.set(p, 0xc3);
      t.rel32(t.body("CPUID").offset + 1, at);
      t.set(t.body("CPUID").offset, 0xe9);
    },
  },
  // every byte accounted for, stub forms, roles
  { rule: "coverage.unclaimed", mutate: (t) => t.set(t.free + 8, 0xc3) }, // a stray ret in the padding
  {
    rule: "coverage.overlap",
    // The manufacturer string pointed at the tail of the product string ("VMI fixture ROM").
    checkWith: (l) => {
      l.pnp.manufacturer = "ROM";
    },
    mutate: (t) => t.u16(PNP + 0x0e, t.manifest.strings[2]!.offset + 12),
    also: ["coverage.unclaimed"], // the real manufacturer string
  },
  { rule: "slot.ud2", mutate: (t) => t.set(t.slot("CLTS"), 0x90, 0x0f, 0x0b) },
  { rule: "jump-point.ud2", fixture: { inlineInit: true }, mutate: (t) => t.set(0x80, 0x90, 0x0f, 0x0b), also: ["jump-point.return"] },
  { rule: "slot.filler-code", mutate: (t) => t.set(t.slot("CLTS"), 0x90, 0xcc, 0xc3) },
  { rule: "code.ud2", mutate: (t) => t.set(t.body("RDTSC").offset + 2, 0x0f, 0x0b) }, // rdtsc; ud2
  { rule: "code.filler", mutate: (t) => t.set(t.body("RDTSC").offset + 2, 0x90, 0xcc) }, // rdtsc; nop; then the filler
  {
    rule: "slot.target",
    // Into the filler of the aligned gap after the CPUID body (the fixture aligns with zeros: make it filler).
    mutate: (t) => {
      const gap = t.body("CPUID").offset + 3;
      t.bytes.fill(0xcc, gap, gap + 13);
      t.rel32(t.slot("SetPxE") + 1, gap + 4);
    },
    also: ["coverage.unclaimed"],
  },
  {
    rule: "slot.target",
    // Into the middle of FlushTLB's `mov ecx, cr3`: the code there decodes, but SetPxE's own body is orphaned.
    mutate: (t) => t.rel32(t.slot("SetPxE") + 1, t.body("FlushTLB").offset + 1),
    contains: true,
  },
  { rule: "jump-point.return", fixture: { inlineInit: true }, mutate: (t) => t.set(0x82, 0xcf) }, // xor eax, eax; iret
  { rule: "slot.return", api: "api13", mutate: (t) => t.set(t.body("Init").offset + 15, 0xcf) }, // Init's body ends in iret
  {
    rule: "jump-point.reloc-read",
    // GetRelocationInfo's two table reads aimed below the table.
    mutate: (t) => {
      const b = t.manifest.jumpPoints[1]!.target;
      t.set(b + 14, 0x10, 0, 0, 0);
      t.set(b + 21, 0x10, 0, 0, 0);
    },
  },
  { rule: "reloc.none", mutate: (t) => t.set(t.relocEntry(28), 0, 0, 0, 0) }, // CLTS is inline code but answers NONE
  { rule: "reloc.form", mutate: (t) => t.set(t.slot("IRET"), 0xc3) }, // JUMP_REL, but the code returns with ret
  // relocation table
  { rule: "reloc.bounds", also: ["coverage.unclaimed"] /* the table */, mutate: (t) => t.u16(0x14, 0xfff0) },
  { rule: "reloc.overlap", mutate: (t) => t.u16(0x14, 0xa0), contains: true },
  { rule: "reloc.magic", mutate: (t) => t.set(t.reloc, 0x43) },
  { rule: "reloc.count", mutate: (t) => t.u16(t.reloc + 4, 75) },
  { rule: "reloc.entry-size", mutate: (t) => t.u16(t.reloc + 6, 8) },
  { rule: "reloc.unused-entry", api: "api13", mutate: (t) => t.set(t.relocEntry(2) + 2, 1) },
  { rule: "reloc.reserved", mutate: (t) => t.set(t.relocEntry(5) + 3, 1) },
  { rule: "reloc.type", mutate: (t) => t.set(t.relocEntry(0) + 2, 2) },
  { rule: "reloc.type", api: "api13", mutate: (t) => t.set(t.relocEntry(9) + 2, 0) },
  { rule: "reloc.target", mutate: (t) => t.u16(t.relocEntry(5), t.slot("SetIDT") + 1) },
  { rule: "reloc.target", mutate: (t) => t.u16(t.relocEntry(72), 0x10) },
  {
    rule: "reloc.absent",
    mutate: (t) => {
      t.u16(t.relocEntry(72), t.slot("SetCallbacks"));
      t.set(t.relocEntry(72) + 2, 1);
    },
  },
  // manifest
  {
    rule: "manifest.layout",
    manifest: true,
    mutate: (t) => {
      t.manifest.layout = "api13";
    },
  },
  {
    rule: "manifest.api",
    manifest: true,
    mutate: (t) => {
      t.manifest.api.minor = 1;
    },
  },
  {
    rule: "manifest.size",
    manifest: true,
    mutate: (t) => {
      t.manifest.size += 512;
    },
  },
  { rule: "manifest.sha256", manifest: true, checkHash: true, also: ["coverage.unclaimed"] /* 55 is not padding */, mutate: (t) => t.set(t.free + 4, 0x55) },
  {
    rule: "manifest.header",
    manifest: true,
    mutate: (t) => {
      t.manifest.header["virtual_top"] = 0;
    },
  },
  {
    rule: "manifest.header",
    manifest: true,
    mutate: (t) => {
      delete t.manifest.header["rom_pad3"];
    },
  },
  {
    rule: "manifest.region",
    manifest: true,
    mutate: (t) => {
      t.manifest.pci.offset = 0x21;
    },
  },
  {
    rule: "manifest.region",
    manifest: true,
    mutate: (t) => {
      t.manifest.init16.offset = 0xfffff;
    },
  },
  {
    rule: "manifest.license",
    manifest: true,
    mutate: (t) => {
      t.manifest.license.text = "GPL";
    },
  },
  {
    rule: "manifest.shared",
    manifest: true,
    mutate: (t) => {
      t.manifest.shared[0]!.offset = 0xfffff;
    },
  },
  {
    rule: "manifest.jump-point",
    manifest: true,
    mutate: (t) => {
      t.manifest.jumpPoints[0]!.target += 1;
    },
  },
  {
    rule: "manifest.jump-point",
    manifest: true,
    // A manifest that carries a jump point hash (not in the Manifest type yet) is held to it.
    mutate: (t) => {
      Object.assign(t.manifest.jumpPoints[0]!, { sha256: "0".repeat(64) });
    },
  },
  {
    rule: "manifest.call",
    manifest: true,
    mutate: (t) => {
      t.manifest.calls = t.manifest.calls.filter((c) => c.name !== "CPUID");
    },
  },
  {
    rule: "manifest.slot",
    manifest: true,
    mutate: (t) => {
      t.call("CPUID").slot.offset += 32;
    },
  },
  {
    rule: "manifest.used",
    manifest: true,
    mutate: (t) => {
      t.call("CLTS").slot.used += 1;
    },
  },
  {
    rule: "manifest.placement",
    manifest: true,
    mutate: (t) => {
      t.call("CLTS").placement = "absent";
    },
  },
  {
    rule: "manifest.body",
    manifest: true,
    mutate: (t) => {
      t.call("FlushTLB").body!.size -= 1;
      t.rehash("FlushTLB");
    },
  },
  {
    rule: "manifest.body",
    manifest: true,
    mutate: (t) => {
      t.call("FlushTLB").body!.offset += 1;
      t.rehash("FlushTLB");
    },
  },
  {
    rule: "manifest.body",
    manifest: true,
    mutate: (t) => {
      t.call("CPUID").body!.size = 40;
      t.rehash("CPUID");
    },
  },
  {
    rule: "manifest.shared",
    manifest: true,
    mutate: (t) => {
      t.manifest.shared[1]!.size = 1000;
    },
  },
  {
    rule: "check.limit",
    checkWith: (l) => {
      l.maxImageSize = 4 << 20;
    },
    mutate: (t) => {
      const b = new Uint8Array(2 << 20);
      b.set(t.bytes);
      t.bytes = b;
      t.set(2, 0);
    },
    also: ["image.length"],
  },
  {
    rule: "manifest.reloc",
    manifest: true,
    mutate: (t) => {
      t.call("CPUID").reloc = "NOP";
    },
  },
  {
    rule: "manifest.call-sha256",
    manifest: true,
    mutate: (t) => {
      t.call("CPUID").sha256 = "0".repeat(64);
    },
  },
  {
    rule: "manifest.init16",
    manifest: true,
    mutate: (t) => {
      Object.assign(t.manifest.init16, { sha256: "0".repeat(64) });
    },
  },
  {
    rule: "manifest.shared",
    manifest: true,
    mutate: (t) => {
      Object.assign(t.manifest.shared[1]!, { sha256: "0".repeat(64) });
    },
  },
  // A padding byte changed to another padding value: only the image hash sees it.
  { rule: "manifest.sha256", manifest: true, checkHash: true, mutate: (t) => t.set(t.free + 4, 0xcc) },
];

function run(c: RuleCase): string[] {
  const t = target(c.api ?? "api3", c.fixture ?? {}, c.build);
  c.mutate?.(t);
  if (!c.keepPnpChecksum) fixPnpChecksum(t.bytes, t.layout);
  if (!c.keepChecksum) fixChecksum(t.bytes);
  const layout = structuredClone(t.layout);
  c.checkWith?.(layout);
  const options = c.manifest ? { manifest: t.manifest, ignoreImageHash: !c.checkHash } : {};
  return [...new Set(checkImage(t.bytes, layout, options).map((v) => v.rule))].sort();
}

describe("each rule catches its targeted corruption", () => {
  it.each(cases.map((c, i) => [`${c.rule}${c.api ? ` (${c.api})` : ""} #${i}`, c] as const))("%s", (_name, c) => {
    const rules = run(c);
    if (c.contains) expect(rules).toContain(c.rule);
    else expect(rules).toEqual([c.rule, ...(c.also ?? [])].sort());
  });

  it("the uncorrupted fixtures pass every rule, with and without manifest", () => {
    for (const api of ["api3", "api13"] as const) {
      expect(run({ rule: "", api })).toEqual([]);
      expect(run({ rule: "", api, manifest: true, checkHash: true })).toEqual([]);
      expect(run({ rule: "", api, fixture: { licenseAfterTables: true }, manifest: true, checkHash: true })).toEqual([]);
    }
  });
});

describe("valid variations the builder may emit are accepted", () => {
  /** Makes the CPUID and RDTSC bodies `cpuid/rdtsc; jmp routine` and puts `xor eax, eax; ret` in free space. */
  const tailJumps = (t: Target, bodies: string[]): number => {
    const routine = t.free + 16;
    t.set(routine, 0x31, 0xc0, 0xc3);
    for (const name of bodies) {
      const b = t.body(name).offset;
      t.set(b + 2, 0xe9);
      t.rel32(b + 3, routine);
      t.call(name).body!.size = 7;
      t.rehash(name);
    }
    return routine;
  };

  it("a routine only reached by tail jumps from two bodies is shared, not an overlap", () => {
    expect(run({ rule: "", mutate: (t) => void tailJumps(t, ["CPUID", "RDTSC"]) })).toEqual([]);
  });

  it("a routine only one body tail-jumps to is outside that body when the manifest lists it as shared", () => {
    const mutate = (t: Target): void => {
      const routine = tailJumps(t, ["CPUID"]);
      t.manifest.shared.push({ name: "tail", offset: routine, size: 3 });
    };
    expect(run({ rule: "", manifest: true, mutate })).toEqual([]);
    // Without that entry the routine is part of the CPUID body, beyond the manifest's body region.
    expect(run({ rule: "", manifest: true, mutate: (t) => void tailJumps(t, ["CPUID"]) })).toEqual(["manifest.body"]);
  });

  it("an inline stub may jump over its own return", () => {
    // WBINVD's inline code is `test eax,eax; jz +1; ret; xor eax,eax; ret` in the fixture already;
    // here the jump goes backwards into the same slot's first instruction instead.
    expect(run({ rule: "", mutate: (t) => t.set(t.slot("WBINVD") + 3, 0xfc) })).toEqual([]);
  });
});

describe("what the paravirtual backends add is accepted, from the bytes alone", () => {
  /** 16-byte aligned free space after the strings (one more block, so there is room). */
  const space = (t: Target): number => {
    const oldChecksum = t.bytes.length - 1;
    t.grow(1);
    t.set(oldChecksum, 0); // padding now
    return (t.free + 15) & ~15;
  };

  /** The slot's code becomes `test eax, eax; jnz to; ret`: a hot path in the slot, the rest out of line. */
  const jumpOut = (t: Target, name: string, to: number): void => {
    const slot = t.slot(name);
    t.set(slot, 0x85, 0xc0, 0x0f, 0x85);
    t.rel32(slot + 4, to);
    t.set(slot + 8, 0xc3);
  };

  /** CLTS jumps out to the cold part it returns (at `cold`), which ends by jumping to `back`. */
  const coldPart = (t: Target, back: (t: Target) => number): number => {
    const cold = space(t);
    jumpOut(t, "CLTS", cold);
    t.set(cold, 0x31, 0xc0, 0xe9); // xor eax, eax; jmp back
    t.rel32(cold + 3, back(t));
    t.bytes.fill(0xcc, cold + 7, cold + 16); // alignment filler after it
    return cold;
  };

  it("a cold part placed out of line that jumps back into its own slot's hot path", () => {
    expect(run({ rule: "", mutate: (t) => coldPart(t, (x) => x.slot("CLTS") + 8) })).toEqual([]);
  });

  it("but not into another slot's code", () => {
    expect(run({ rule: "", mutate: (t) => void coldPart(t, (x) => x.slot("WBINVD") + 5) })).toEqual(["code.branch-target"]);
  });

  it("a place two slots jump out to is a routine they share", () => {
    const mutate = (t: Target): void => {
      const tail = space(t);
      t.set(tail, 0x31, 0xc0, 0xc3); // xor eax, eax; ret
      t.bytes.fill(0xcc, tail + 3, tail + 16);
      jumpOut(t, "CLTS", tail);
      jumpOut(t, "WBINVD", tail);
    };
    expect(run({ rule: "", mutate })).toEqual([]);
  });

  it("a cold part another slot also jumps to is shared, and may not jump back into either slot", () => {
    // WBINVD's path would run on in CLTS's hot path.
    const mutate = (t: Target): void =>
      jumpOut(
        t,
        "WBINVD",
        coldPart(t, (x) => x.slot("CLTS") + 8),
      );
    expect(run({ rule: "", mutate })).toEqual(["code.branch-target"]);
  });

  it("a cold part another call's body jumps to is shared, and may not jump back into the slot", () => {
    const mutate = (t: Target): void => {
      const cold = coldPart(t, (x) => x.slot("CLTS") + 8);
      const cpuid = t.body("CPUID").offset;
      t.set(cpuid, 0xe9); // CPUID's body: jmp cold (over its `cpuid; ret` and filler)
      t.rel32(cpuid + 1, cold);
    };
    expect(run({ rule: "", mutate })).toEqual(["code.branch-target"]);
  });

  /**
   * Two shared routines, the first calling the second, and a hypercall page of four 32-byte entries
   * (`mov $i, %eax; int $0x82; ret`, then filler; entries 1 and 3 unused, all filler). CPUID's body
   * calls the first routine and entry 2, RDTSC's body entry 0.
   */
  const sharedAndHypercalls = (t: Target, fillEntry1 = false): void => {
    const a = space(t);
    const b = a + 16;
    const page = (b + 16 + 31) & ~31;
    t.bytes.fill(0xcc, a, page + 128);
    t.set(a, 0xe8);
    t.rel32(a + 1, b);
    t.set(a + 5, 0xc3); // call b; ret
    t.set(b, 0x31, 0xc0, 0xc3); // xor eax, eax; ret
    for (const i of fillEntry1 ? [0, 1, 2] : [0, 2]) t.set(page + 32 * i, 0xb8, i, 0, 0, 0, 0xcd, 0x82, 0xc3);
    const cpuid = t.body("CPUID").offset;
    t.set(cpuid, 0xe8);
    t.rel32(cpuid + 1, a);
    t.set(cpuid + 5, 0xe8);
    t.rel32(cpuid + 6, page + 64);
    t.set(cpuid + 10, 0xc3);
    const rdtsc = t.body("RDTSC").offset;
    t.set(rdtsc, 0xe8);
    t.rel32(rdtsc + 1, page);
    t.set(rdtsc + 5, 0xc3);
  };

  it("a body whose branch crosses its call/pop (how code finds its own address) is one body", () => {
    const mutate = (t: Target): void => {
      const body = space(t);
      // test eax, eax; jz L; call $+5; pop ecx; L: ret
      t.set(body, 0x85, 0xc0, 0x74, 0x06, 0xe8, 0, 0, 0, 0, 0x59, 0xc3);
      t.bytes.fill(0xcc, body + 11, body + 16);
      t.bytes.fill(0xcc, t.body("CPUID").offset, t.body("CPUID").offset + 3); // the old `cpuid; ret`
      t.rel32(t.slot("CPUID") + 1, body);
    };
    expect(run({ rule: "", mutate })).toEqual([]);
  });

  it("a hypercall that does not return, then ud2 (Xen's iret)", () => {
    expect(run({ rule: "", mutate: (t) => t.set(t.body("RDTSC").offset, 0xcd, 0x82, 0x0f, 0x0b) })).toEqual([]);
  });

  it("shared routines that call each other, a hypercall page, filler between them", () => {
    expect(run({ rule: "", mutate: (t) => sharedAndHypercalls(t) })).toEqual([]);
  });

  it("but a hypercall entry no body calls is code nothing enters", () => {
    expect(run({ rule: "", mutate: (t) => sharedAndHypercalls(t, true) })).toEqual(["coverage.unclaimed"]);
  });
});
