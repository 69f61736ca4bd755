// What an image holds, region by region, read back from its bytes with the layout as the key: header
// fields, PCIR, $PnP, every slot's form and bytes used, out-of-line bodies, routines reached from them, the
// 16-bit init routine, the relocation table and its answers, strings, free space. The build manifest, when
// given and when it describes these very bytes (same sha256), adds what bytes cannot tell: exact body and
// routine extents and the routines' names. `vmirom map` draws this model, `vmirom diff` compares two.

import { createHash } from "node:crypto";
import { relocTypeOf, type Layout, type RelocType } from "../layout/types.ts";
import type { Manifest, Region } from "../manifest/types.ts";
import { byteSum } from "../check/image-bytes.ts";
import { PCIR_SIZE, PNP_SIZE, RELOC_HEADER_SIZE } from "../check/image-regions.ts";
import { slotShape } from "../decode/slot-form.ts";
import { cString, latin1, uint } from "./bytes.ts";
import { decodeImage, type DecodedEntry, type DecodedLine } from "./disassemble.ts";

export type SlotForm = "inline" | "outOfLine" | "absent" | "malformed";

export interface RelocAnswer {
  /** NONE, CALL_REL, JUMP_REL, NOP, or "unknown" for a type byte no layout defines. */
  type: RelocType | "unknown";
  /** Offset the guest patches its call sites to (u16 in the table). */
  target: number;
}

export interface ModelCall {
  number: number;
  name: string;
  slot: Region;
  /** Bytes of the slot before the filler. */
  used: number;
  form: SlotForm;
  /** The manifest's placement ("image" for GetRelocationInfo on api13), else the form read from the bytes. */
  placement: string;
  /** Out-of-line body (the slot's jump target and the code reached from it). */
  body?: Region;
  /** Cold parts (cold_<Call>, cold_<Call>_2, …): code the call's slot or body branches to, placed apart. */
  cold?: Region[];
  reloc?: RelocAnswer;
  /** The slot's lines followed by the body's, decoded from the bytes. */
  lines: DecodedLine[];
}

export interface ModelJumpPoint {
  role: string;
  offset: number;
  size: number;
  used: number;
  form: SlotForm;
  body?: Region;
  lines: DecodedLine[];
}

export type RegionKind = "header" | "pcir" | "pnp" | "init16" | "relocTable" | "string" | "checksum" | "routine" | "cold" | "free" | "other";

export interface ModelRegion extends Region {
  kind: RegionKind;
  name: string;
  /** The call a cold part belongs to (cold_<Call>), or the calls whose bodies reach a routine. */
  calls?: string[];
}

export interface ImageModel {
  name: string;
  size: number;
  layout: Layout;
  backend?: string;
  sha256: string;
  checksumOk: boolean;
  /** Whether a manifest matching the bytes refined the model. */
  fromManifest: boolean;
  header: Array<Region & { name: string; value: number | string | undefined }>;
  jumpPoints: ModelJumpPoint[];
  calls: ModelCall[];
  /** Everything else, sorted by offset: header, PCIR, $PnP, init16, relocation table, strings, routines, free space. */
  regions: ModelRegion[];
}

export interface ModelOptions {
  name?: string;
  manifest?: Manifest;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Builds the model; a manifest whose sha256 differs from the bytes' is ignored (the result says so). */
export function readImageModel(bytes: Uint8Array, layout: Layout, opts: ModelOptions = {}): ImageModel {
  const sha256 = sha256Of(bytes);
  const manifest = opts.manifest && opts.manifest.sha256 === sha256 && opts.manifest.layout === layout.name ? opts.manifest : undefined;
  const sharedRegions = manifest ? manifest.shared : [];
  // Which call each piece of code belongs to is the checker's rule (src/decode/code-owners.ts); the manifest's
  // shared routines are never a call's cold part.
  const decoded = decodeImage(bytes, layout, { shared: sharedRegions });
  const byName = new Map(decoded.entries.map((e) => [e.name, e]));
  const byOffset = new Map(decoded.entries.map((e) => [e.offset, e]));
  const answers = relocAnswers(bytes, layout);

  const header = layout.header.map((f) => ({
    name: f.name,
    offset: f.offset,
    size: f.size,
    value: f.source.kind === "ascii" ? latin1(bytes, f.offset, f.size) : uint(bytes, f.offset, f.size),
  }));

  const areaOf = (e: DecodedEntry | undefined, offset: number, size: number) => {
    const lines = e?.lines ?? [];
    const first = lines[0];
    const used = lines.filter((l) => l.text !== "(filler)").reduce((n, l) => n + l.length, 0);
    // The slot's shape is the checker's rule (src/decode/slot-form.ts); the decoded lines add "malformed".
    const shape = first && offset + size <= bytes.length ? slotShape(bytes, offset, size) : undefined;
    let form: SlotForm = "inline";
    if (!shape || lines.some((l) => l.text === "(bytes)")) form = "malformed";
    else if (shape.kind !== "code") form = shape.kind;
    const target = shape?.kind === "outOfLine" ? shape.target : undefined;
    const bodyEntry = target !== undefined ? byOffset.get(target) : undefined;
    return { used, form, lines, bodyEntry };
  };

  const inside = (o: number, rs: readonly Region[]) => rs.some((r) => o >= r.offset && o < r.offset + r.size);

  const calls: ModelCall[] = [];
  for (const c of [...layout.calls].sort((x, y) => x.number - y.number)) {
    const offset = layout.slots.base + c.number * layout.slots.size;
    const a = areaOf(byName.get(`stub_${c.name}`), offset, layout.slots.size);
    const m = manifest?.calls.find((x) => x.name === c.name);
    // From the bytes: the body is the contiguous code from the slot's jump target; the rest of the body's code,
    // placed apart, and the call's cold parts (code only its slot, body or cold parts jump to) are its cold parts.
    const [bodyPart, ...bodyCold] = a.bodyEntry ? clusters(a.bodyEntry) : [];
    const coldEntries = decoded.entries.filter((e) => e.kind === "cold" && e.call === c.name);
    const body = m ? m.body : bodyPart;
    const cold = m ? (m.cold ?? []) : [...bodyCold, ...coldEntries.flatMap(clusters)].sort((x, y) => x.offset - y.offset);
    const reloc = answers.get(c.number);
    calls.push({
      number: c.number,
      name: c.name,
      slot: { offset, size: layout.slots.size },
      used: m?.slot.used ?? a.used,
      form: a.form,
      placement: m?.placement ?? a.form,
      ...(body ? { body } : {}),
      ...(cold.length ? { cold } : {}),
      ...(reloc ? { reloc } : {}),
      lines: [...a.lines, ...(a.bodyEntry ? a.bodyEntry.lines : []), ...coldEntries.flatMap((e) => e.lines)],
    });
  }
  const jumpPoints: ModelJumpPoint[] = layout.jumpPoints.map((jp) => {
    const a = areaOf(byName.get(`jump_${jp.role}`), jp.offset, jp.size);
    const m = manifest?.jumpPoints.find((x) => x.role === jp.role);
    const body = m?.body ?? (a.bodyEntry ? extent(a.bodyEntry) : undefined);
    return {
      role: jp.role,
      offset: jp.offset,
      size: jp.size,
      used: m?.used ?? a.used,
      form: a.form,
      ...(body ? { body } : {}),
      lines: [...a.lines, ...(a.bodyEntry?.lines ?? [])],
    };
  });

  const regions: ModelRegion[] = [];
  regions.push({ kind: "header", name: "header", offset: 0, size: Math.min(layout.headerSize, bytes.length) });
  if (layout.pci.offset + PCIR_SIZE <= bytes.length) regions.push({ kind: "pcir", name: "PCIR", offset: layout.pci.offset, size: PCIR_SIZE });
  if (layout.pnp.offset + PNP_SIZE <= bytes.length) regions.push({ kind: "pnp", name: "$PnP", offset: layout.pnp.offset, size: PNP_SIZE });

  const init16Entry = byName.get("init16");
  const init16 = manifest?.init16 ?? (init16Entry ? extent(init16Entry) : undefined);
  if (init16) regions.push({ kind: "init16", name: "init16", ...init16 });
  const table = manifest?.relocTable ?? relocTableRegion(bytes, layout);
  if (table) regions.push({ kind: "relocTable", name: "relocation table", ...table });
  for (const s of manifest ? manifest.strings : stringRegions(bytes, layout)) {
    regions.push({ kind: "string", name: JSON.stringify(cString(bytes, s.offset) ?? ""), offset: s.offset, size: s.size });
  }
  if (bytes.length > 0) regions.push({ kind: "checksum", name: "checksum", offset: bytes.length - 1, size: 1 });

  // Routines: the manifest's shared list (names) and, from the bytes, whatever else the slots, bodies and
  // cold parts reach that no call owns (a place several slots jump to is a shared routine).
  const owned: Region[] = [...sharedRegions];
  for (const c of [...calls, ...jumpPoints]) if (c.body) owned.push(c.body);
  for (const c of calls) {
    (c.cold ?? []).forEach((r, i) => {
      owned.push(r);
      regions.push({ kind: "cold", name: `cold_${c.name}${i ? `_${i + 1}` : ""}`, ...r, calls: [c.name] });
    });
  }
  const callsOf = (e: DecodedEntry | undefined) => e?.reachedBy ?? [];
  for (const s of sharedRegions) regions.push({ kind: "routine", name: s.name, offset: s.offset, size: s.size, calls: callsOf(byOffset.get(s.offset)) });
  for (const e of decoded.entries) {
    if (e.area !== undefined || e.name === "init16" || inside(e.offset, owned)) continue;
    const name = e.name.startsWith("cold_") ? `sub_${e.offset.toString(16).padStart(4, "0")}` : e.name;
    regions.push({ kind: "routine", name, ...extent(e), calls: callsOf(e) });
  }

  // Free space: what nothing above covers; zero bytes are free, anything else is "other".
  const covered = new Uint8Array(bytes.length);
  const cover = (r: Region) => covered.fill(1, Math.max(0, r.offset), Math.min(bytes.length, r.offset + r.size));
  regions.forEach(cover);
  header.forEach(cover);
  for (const c of [...calls, ...jumpPoints]) {
    cover("slot" in c ? c.slot : c);
    if (c.body) cover(c.body);
  }
  for (let p = 0; p < bytes.length; ) {
    if (covered[p]) {
      p++;
      continue;
    }
    let q = p;
    while (q < bytes.length && !covered[q]) q++;
    // A gap is split into zero runs (free), filler runs (alignment between bodies) and the rest.
    const classOf = (b: number) => (b === 0 ? 0 : b === layout.filler ? 1 : 2);
    const names = ["free", "alignment filler", "other bytes"] as const;
    for (let i = p; i < q; ) {
      const k = classOf(bytes[i]!);
      let j = i;
      while (j < q && classOf(bytes[j]!) === k) j++;
      regions.push({ kind: k === 0 ? "free" : "other", name: names[k], offset: i, size: j - i });
      i = j;
    }
    p = q;
  }
  regions.sort((x, y) => x.offset - y.offset || y.size - x.size);

  return {
    name: opts.name ?? "image",
    size: bytes.length,
    layout,
    ...(manifest ? { backend: manifest.backend } : {}),
    sha256,
    checksumOk: byteSum(bytes) === 0,
    fromManifest: manifest !== undefined,
    header,
    jumpPoints,
    calls,
    regions,
  };
}

/** Contiguous runs of an entry's lines, the one holding its start first. */
function clusters(e: DecodedEntry): Region[] {
  const lines = [...e.lines].sort((x, y) => x.offset - y.offset);
  const out: Region[] = [];
  for (const l of lines) {
    const last = out.at(-1);
    if (last && l.offset === last.offset + last.size) last.size += l.length;
    else if (!last || l.offset > last.offset + last.size) out.push({ offset: l.offset, size: l.length });
  }
  const i = out.findIndex((r) => e.offset >= r.offset && e.offset < r.offset + r.size);
  const start = out[i];
  return i > 0 && start ? [start, ...out.slice(0, i), ...out.slice(i + 1)] : out;
}

/** From the first line to the end of the last (code found by following branches is not always contiguous). */
function extent(e: DecodedEntry): Region {
  if (e.lines.length === 0) return { offset: e.offset, size: 0 };
  const start = Math.min(e.offset, ...e.lines.map((l) => l.offset));
  const end = Math.max(...e.lines.map((l) => l.offset + l.length));
  return { offset: start, size: end - start };
}

function relocTableOffset(bytes: Uint8Array, layout: Layout): number | undefined {
  const f = layout.header.find((h) => h.source.kind === "computed" && h.source.what === "relocTableOffset");
  return f ? uint(bytes, f.offset, f.size) : undefined;
}

/** The relocation table the header points to, with its entry count and size, when it lies inside the image. */
function relocTable(bytes: Uint8Array, layout: Layout): { offset: number; size: number; count: number; entrySize: number } | undefined {
  const at = relocTableOffset(bytes, layout);
  if (at === undefined || at === 0) return undefined;
  const count = uint(bytes, at + 4, 2);
  const entrySize = uint(bytes, at + 6, 2);
  if (count === undefined || entrySize === undefined) return undefined;
  const size = RELOC_HEADER_SIZE + count * entrySize;
  return at + size <= bytes.length ? { offset: at, size, count, entrySize } : undefined;
}

function relocTableRegion(bytes: Uint8Array, layout: Layout): Region | undefined {
  const t = relocTable(bytes, layout);
  return t && { offset: t.offset, size: t.size };
}

/** GetRelocationInfo's answers, read from the table it answers from. */
export function relocAnswers(bytes: Uint8Array, layout: Layout): Map<number, RelocAnswer> {
  const out = new Map<number, RelocAnswer>();
  const table = relocTable(bytes, layout);
  if (!table || table.entrySize < 3) return out;
  // The table lies inside the image: its entries' reads cannot miss.
  for (let n = 0; n < table.count; n++) {
    const at = table.offset + RELOC_HEADER_SIZE + n * table.entrySize;
    out.set(n, { type: relocTypeOf(bytes[at + 2]!) ?? "unknown", target: uint(bytes, at, 2)! });
  }
  return out;
}

/** The license (through its header field when the layout has one) and the $PnP manufacturer and product strings. */
function stringRegions(bytes: Uint8Array, layout: Layout): Region[] {
  const out: Region[] = [];
  const add = (at: number | undefined) => {
    const s = at !== undefined ? cString(bytes, at) : undefined;
    if (at !== undefined && s !== undefined && !out.some((r) => r.offset === at)) out.push({ offset: at, size: s.length + 1 });
  };
  const lic = layout.header.find((f) => f.source.kind === "computed" && f.source.what === "licenseOffset");
  if (lic) add(uint(bytes, lic.offset, lic.size));
  else {
    // api13 has no pointer: the license is wherever its NUL-terminated text is stored.
    const wanted = [...layout.license, "\0"].map((c) => c.charCodeAt(0));
    for (let at = 1; at + wanted.length <= bytes.length; at++) {
      if (wanted.every((c, i) => bytes[at + i] === c) && bytes[at - 1] === 0) {
        add(at);
        break;
      }
    }
  }
  add(uint(bytes, layout.pnp.offset + 0x0e, 2));
  add(uint(bytes, layout.pnp.offset + 0x10, 2));
  return out.sort((a, b) => a.offset - b.offset);
}
