// Test-only builder of small, valid VMI images, written from raw bytes (the encodings below were
// cross-checked once with GNU as/objdump). It deliberately does not use vmirom's assembler or image
// builder: the checker must be tested against an independent idea of a correct image.

import { createHash } from "node:crypto";
import { RELOC_VALUES, slotOffset, type CallDef, type HeaderField, type Layout, type RelocType } from "../../src/layout/types.ts";
import type { Manifest, ManifestCall, Placement, Region } from "../../src/manifest/types.ts";

/** Raw bytes at increasing offsets, with named labels and rel/abs fix-ups resolved at the end. */
class ByteWriter {
  readonly bytes: Uint8Array;
  pos = 0;
  private readonly labels = new Map<string, number>();
  private readonly fixups: Array<{ at: number; label: string; kind: "rel32" | "rel8" | "abs32" | "abs16"; addend: number; end: number }> = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  emit(...values: number[]): this {
    for (const v of values) this.bytes[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    return this.emit(v, v >> 8);
  }
  u32(v: number): this {
    return this.emit(v, v >> 8, v >> 16, v >>> 24);
  }
  ascii(s: string): this {
    return this.emit(...[...s].map((c) => c.charCodeAt(0)));
  }
  label(name: string): this {
    this.labels.set(name, this.pos);
    return this;
  }
  at(name: string): number {
    const v = this.labels.get(name);
    if (v === undefined) throw new Error(`fixture: unknown label ${name}`);
    return v;
  }
  /** A rel32 field of an instruction that ends right after it. */
  rel32(label: string): this {
    this.fixups.push({ at: this.pos, label, kind: "rel32", addend: 0, end: this.pos + 4 });
    return this.emit(0, 0, 0, 0);
  }
  rel8(label: string): this {
    this.fixups.push({ at: this.pos, label, kind: "rel8", addend: 0, end: this.pos + 1 });
    return this.emit(0);
  }
  abs32(label: string, addend = 0): this {
    this.fixups.push({ at: this.pos, label, kind: "abs32", addend, end: 0 });
    return this.emit(0, 0, 0, 0);
  }
  align(n: number, fill = 0): this {
    while (this.pos % n) this.emit(fill);
    return this;
  }
  resolve(): void {
    const put32 = (at: number, v: number): void => {
      for (let i = 0; i < 4; i++) this.bytes[at + i] = (v >>> (8 * i)) & 0xff;
    };
    for (const f of this.fixups) {
      const t = this.at(f.label) + f.addend;
      if (f.kind === "abs32") put32(f.at, t);
      else if (f.kind === "abs16") this.bytes.set([t & 0xff, t >> 8], f.at);
      else if (f.kind === "rel32") put32(f.at, t - f.end);
      else {
        const d = t - f.end;
        if (d < -128 || d > 127) throw new Error(`fixture: rel8 to ${f.label} out of range`);
        this.bytes[f.at] = d & 0xff;
      }
    }
  }
}

type BodyWriter = (w: ByteWriter, layout: Layout) => void;

// Out-of-line bodies, by call name (whichever of these the layout has).
const OUT_OF_LINE: Record<string, BodyWriter> = {
  CPUID: (w) => w.emit(0x0f, 0xa2, 0xc3), // cpuid; ret
  RDTSC: (w) => w.emit(0x0f, 0x31, 0xc3), // rdtsc; ret
  // mov [edx], eax; call zero; ret
  SetPxE: (w) => w.emit(0x89, 0x02, 0xe8).rel32("zero").emit(0xc3),
  // mov ecx, cr3; mov cr3, ecx; test al, 2; jz .done; nop; .done: ret
  FlushTLB: (w) => w.emit(0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9, 0xa8, 0x02, 0x74, 0x01, 0x90, 0xc3),
};

// Inline slots with more than a plain return.
const INLINE: Record<string, BodyWriter> = {
  IRET: (w) => w.emit(0xcf), // iret
  SYSEXIT: (w) => w.emit(0xfb, 0x0f, 0x35), // sti; sysexit
  Halt: (w) => w.emit(0xfb, 0xf4, 0xc3), // sti; hlt; ret
  WBINVD: (w) => w.emit(0x85, 0xc0, 0x74, 0x01, 0xc3, 0x31, 0xc0, 0xc3), // test; jz +1; ret; xor eax,eax; ret
  IODelay: (w) => w.emit(0xe9).rel32("zero"), // tail jump to a shared routine
};

/** api3's absent call: the backend does not implement it (relocation NONE). */
const ABSENT = ["SetCallbacks"];

function initBody(w: ByteWriter): void {
  // push ebx; mov ecx, 4; .l: dec ecx; jnz .l; call zero; pop ebx; ret
  w.emit(0x53, 0xb9, 0x04, 0, 0, 0, 0x49, 0x75, 0xfd, 0xe8).rel32("zero").emit(0x5b, 0xc3);
}

function getRelocBody(w: ByteWriter, layout: Layout): void {
  // EAX = call number → EAX = eip (ROM base + slot offset), EDX = type; 0/NONE past the table.
  w.emit(0x83, 0xf8, layout.slots.count); // cmp eax, count
  w.emit(0x73).rel8("reloc_none"); // jae none
  w.emit(0x53, 0xe8).rel32("get_base"); // push ebx; call get_base (ECX = where the ROM runs)
  w.emit(0x8d, 0x1c, 0x81); // lea ebx, [ecx + eax*4]
  w.emit(0x0f, 0xb7, 0x83).abs32("reloc_table", 8); // movzx eax, word [ebx + table + 8]
  w.emit(0x0f, 0xb6, 0x93).abs32("reloc_table", 10); // movzx edx, byte [ebx + table + 10]
  w.emit(0x5b, 0x85, 0xc0, 0x74, 0x02, 0x01, 0xc8, 0xc3); // pop ebx; test eax,eax; jz +2; add eax,ecx; ret
  w.label("reloc_none").emit(0x31, 0xc0, 0x31, 0xd2, 0xc3); // xor eax,eax; xor edx,edx; ret
}

const SHARED: Array<{ name: string; write: BodyWriter }> = [
  // call .next; .next: pop ecx; sub ecx, .next; ret  → ECX = ROM base at run time
  {
    name: "get_base",
    write: (w) => {
      w.emit(0xe8, 0, 0, 0, 0);
      const next = w.pos;
      w.emit(0x59, 0x81, 0xe9).u32(next).emit(0xc3);
    },
  },
  { name: "zero", write: (w) => w.emit(0x31, 0xc0, 0xc3) }, // xor eax, eax; ret
];

export const FIXTURE_BACKEND = "fixture";
/** Where the fixture keeps its license string: the header's spare bytes (after $PnP). */
const LICENSE_AT = 0x60;
const ROM_ENTRY = [0xcb, 0x00, 0x00, 0x00]; // retf, zero padding

export interface Fixture {
  layout: Layout;
  bytes: Uint8Array;
  manifest: Manifest;
}

export interface FixtureOptions {
  /** Leave the license string out of the header area (put it after the tables). */
  licenseAfterTables?: boolean;
  /** api3: Init as inline code in its jump point (`xor eax, eax; ret`) instead of a jump to a body. */
  inlineInit?: boolean;
  /**
   * Give each manifest jump point a `sha256` of its bytes (then its body's): not in the Manifest
   * type yet, but the checker verifies it when present.
   */
  jumpPointHashes?: boolean;
}

interface Placed {
  call: CallDef;
  placement: Placement;
  body?: Region;
  reloc: RelocType;
}

export function buildFixture(layout: Layout, options: FixtureOptions = {}): Fixture {
  const w = new ByteWriter(layout.maxImageSize);
  const slotEnd = layout.slots.base + layout.slots.count * layout.slots.size;
  const placed = new Map<number, Placed>();
  const roleOf = (c: CallDef): CallDef["role"] => c.role;

  // Slots: fill the table with filler, then write each stub.
  for (const c of layout.calls) w.bytes.fill(layout.filler, slotOffset(layout, c.number), slotOffset(layout, c.number) + layout.slots.size);
  for (const jp of layout.jumpPoints) w.bytes.fill(layout.filler, jp.offset, jp.offset + jp.size);
  const bodies: Array<{ name: string; label: string; write: BodyWriter }> = [];
  const writeOutOfLine = (at: number, label: string): void => {
    w.pos = at;
    w.emit(0xe9).rel32(label).emit(0x0f, 0x0b);
  };
  for (const jp of layout.jumpPoints) {
    if (jp.role === "init" && options.inlineInit) {
      w.pos = jp.offset;
      w.emit(0x31, 0xc0, 0xc3); // xor eax, eax; ret
      continue;
    }
    const label = `body_${jp.role}`;
    writeOutOfLine(jp.offset, label);
    bodies.push({ name: jp.role, label, write: jp.role === "init" ? initBody : getRelocBody });
  }
  for (const call of layout.calls) {
    const at = slotOffset(layout, call.number);
    const role = roleOf(call);
    const reloc = call.relocs[0]!;
    if (role || OUT_OF_LINE[call.name]) {
      const label = `body_${call.name}`;
      writeOutOfLine(at, label);
      bodies.push({ name: call.name, label, write: role === "init" ? initBody : role === "getRelocationInfo" ? getRelocBody : OUT_OF_LINE[call.name]! });
      placed.set(call.number, { call, placement: role ? "image" : "outOfLine", reloc });
    } else if (ABSENT.includes(call.name) && call.relocs.includes("NONE")) {
      w.bytes.set([0x0f, 0x0b], at);
      placed.set(call.number, { call, placement: "absent", reloc: "NONE" });
    } else {
      w.pos = at;
      const inline = INLINE[call.name];
      if (inline) inline(w, layout);
      else if (call.number % 2)
        w.emit(0x31, 0xc0, 0xc3); // xor eax, eax; ret
      else w.emit(0xc3); // ret
      placed.set(call.number, { call, placement: "inline", reloc });
    }
  }

  // Bodies, then shared routines, after the table.
  w.pos = slotEnd;
  const bodyRegions = new Map<string, Region>();
  for (const b of bodies) {
    w.align(16);
    const start = w.pos;
    w.label(b.label);
    b.write(w, layout);
    bodyRegions.set(b.name, { offset: start, size: w.pos - start });
  }
  const shared: Array<Region & { name: string }> = [];
  for (const s of SHARED) {
    w.align(16);
    const start = w.pos;
    w.label(s.name);
    s.write(w, layout);
    shared.push({ name: s.name, offset: start, size: w.pos - start });
  }

  // Relocation table.
  w.align(16);
  const relocAt = w.pos;
  w.label("reloc_table").ascii(layout.relocTable.magic).u16(layout.slots.count).u16(layout.relocTable.entrySize);
  for (let n = 0; n < layout.slots.count; n++) {
    const p = placed.get(n);
    if (!p) w.u32(0);
    else if (p.reloc === "NONE") w.u16(0).emit(RELOC_VALUES.NONE, 0);
    else w.u16(slotOffset(layout, n)).emit(RELOC_VALUES[p.reloc], 0);
  }
  const relocTable = { offset: relocAt, size: w.pos - relocAt };

  // Strings.
  const strings: Region[] = [];
  const cstring = (text: string): number => {
    const at = w.pos;
    w.ascii(text).emit(0);
    strings.push({ offset: at, size: text.length + 1 });
    return at;
  };
  let licenseAt = LICENSE_AT;
  if (options.licenseAfterTables) licenseAt = cstring(layout.license);
  const manufacturerAt = cstring(layout.pnp.manufacturer);
  const productAt = cstring(layout.pnp.product.split("{backend}").join(FIXTURE_BACKEND));
  const used = w.pos;
  const size = Math.ceil((used + 1) / 512) * 512; // at least one padding byte for the checksum

  // Header, PCIR, $PnP, license.
  const computed: Record<string, number> = {
    romLength: size / 512,
    licenseOffset: licenseAt,
    pciOffset: layout.pci.offset,
    pnpOffset: layout.pnp.offset,
    relocTableOffset: relocAt,
    jumpSlots: layout.slots.count,
  };
  for (const f of layout.header) writeField(w, f, computed);
  if (!options.licenseAfterTables) {
    w.pos = LICENSE_AT;
    w.ascii(layout.license).emit(0);
    strings.unshift({ offset: LICENSE_AT, size: layout.license.length + 1 });
  }
  w.pos = layout.pci.offset;
  w.ascii("PCIR")
    .u16(layout.pci.vendor)
    .u16(layout.pci.device)
    .u16(0)
    .u16(0x18)
    .emit(layout.pci.revision, ...layout.pci.classCode);
  w.u16(size / 512)
    .u16(layout.pci.codeRevision)
    .emit(0, 0x80)
    .u16(0);
  w.pos = layout.pnp.offset;
  w.ascii("$PnP").emit(1, 2).u16(0).emit(0, 0).u32(layout.pnp.deviceId).u16(manufacturerAt).u16(productAt);
  w.emit(...layout.pnp.deviceType, layout.pnp.indicators)
    .u16(0)
    .u16(0)
    .u16(0)
    .u16(0)
    .u16(0);
  w.resolve();

  const bytes = w.bytes.slice(0, size);
  fixPnpChecksum(bytes, layout);
  fixChecksum(bytes);

  const sha = (...parts: Uint8Array[]): string => {
    const h = createHash("sha256");
    parts.forEach((p) => h.update(p));
    return h.digest("hex");
  };
  const calls: ManifestCall[] = [...placed.values()]
    .sort((a, b) => a.call.number - b.call.number)
    .map((p) => {
      const offset = slotOffset(layout, p.call.number);
      const body = p.placement === "outOfLine" || p.placement === "image" ? bodyRegions.get(p.call.name) : undefined;
      const slotBytes = bytes.subarray(offset, offset + layout.slots.size);
      const usedBytes = slotUsed(slotBytes, layout.filler);
      const bodyBytes = body ? bytes.subarray(body.offset, body.offset + body.size) : new Uint8Array(0);
      return {
        number: p.call.number,
        name: p.call.name,
        slot: { offset, size: layout.slots.size, used: usedBytes },
        placement: p.placement,
        ...(body ? { body } : {}),
        reloc: p.reloc,
        sha256: sha(slotBytes, bodyBytes),
      };
    });
  const header: Record<string, number | string> = {};
  for (const f of layout.header) header[f.name] = readField(bytes, f);
  const manifest: Manifest = {
    tool: "vmirom",
    backend: FIXTURE_BACKEND,
    layout: layout.name,
    api: { ...layout.version },
    size,
    sha256: sha(bytes),
    header,
    pci: { offset: layout.pci.offset, size: 0x18 },
    pnp: { offset: layout.pnp.offset, size: 0x20 },
    license: { offset: licenseAt, size: layout.license.length + 1, text: layout.license },
    relocTable,
    strings,
    init16: { offset: 3, size: 4 },
    jumpPoints: layout.jumpPoints.map((jp) => {
      const body = bodyRegions.get(jp.role);
      const entry = { offset: jp.offset, size: jp.size, role: jp.role, target: body?.offset ?? jp.offset };
      if (!options.jumpPointHashes) return entry;
      const code = bytes.subarray(jp.offset, jp.offset + jp.size);
      const bodyBytes = body ? bytes.subarray(body.offset, body.offset + body.size) : new Uint8Array(0);
      return Object.assign(entry, { sha256: sha(code, bodyBytes), ...(body ? { body } : {}) });
    }),
    calls,
    shared,
  };
  return { layout, bytes, manifest };
}

/** Used bytes of a slot as the builder counts them: everything before the trailing filler. */
function slotUsed(slot: Uint8Array, filler: number): number {
  let end = slot.length;
  while (end > 0 && slot[end - 1] === filler) end--;
  return end;
}

function writeField(w: ByteWriter, f: HeaderField, computed: Record<string, number>): void {
  w.pos = f.offset;
  const src = f.source;
  let value = 0;
  if (src.kind === "ascii") {
    w.ascii(src.value);
    return;
  }
  if (src.kind === "computed" && src.what === "romEntry") {
    w.emit(...ROM_ENTRY);
    return;
  }
  if (src.kind === "const") value = src.value;
  else if (src.kind === "computed") value = computed[src.what] ?? 0;
  for (let i = 0; i < f.size; i++) w.emit((value >>> (8 * i)) & 0xff);
}

function readField(bytes: Uint8Array, f: HeaderField): number | string {
  if (f.source.kind === "ascii") return String.fromCharCode(...bytes.subarray(f.offset, f.offset + f.size));
  let v = 0;
  for (let i = f.size - 1; i >= 0; i--) v = v * 256 + bytes[f.offset + i]!;
  return v;
}

/** Makes the 8-bit sum of the whole image zero by adjusting its last byte. */
export function fixChecksum(bytes: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < bytes.length - 1; i++) sum = (sum + bytes[i]!) & 0xff;
  bytes[bytes.length - 1] = (0x100 - sum) & 0xff;
}

/** Makes the 32 $PnP header bytes sum to zero by adjusting its checksum byte (+9). */
export function fixPnpChecksum(bytes: Uint8Array, layout: Layout): void {
  const base = layout.pnp.offset;
  if (base + 0x20 > bytes.length) return;
  bytes[base + 9] = 0;
  let sum = 0;
  for (let i = 0; i < 0x20; i++) sum = (sum + bytes[base + i]!) & 0xff;
  bytes[base + 9] = (0x100 - sum) & 0xff;
}
