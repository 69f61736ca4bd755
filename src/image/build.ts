// buildImage: a backend's call bodies + an interface layout → a finished option ROM with its manifest,
// map and listing. The whole ROM is one Assembler program (org() for the fixed offsets, labels
// everywhere), in this order:
//   header fields, PCIR, $PnP, jump points, call slots       (fixed offsets, see fixed.ts)
//   out-of-line call bodies, shared routines, Init, GetRelocationInfo, cold parts of bodies
//   the 16-bit init routine, the relocation table, the license and $PnP strings
//   zero padding to a multiple of 512 whose last byte is the checksum
// Errors: the IMAGE_* codes of the table in src/diagnostics.ts (what each means is written there),
// and the assembler's ASM_* codes (located at the call whose body caused them). The .lst names lines of
// this file (the builder emits the alignment padding), so keep its line count when editing this comment.

import { Assembler, type AsmSymbol, type Label } from "../asm/index.ts";
import { diag, type Diagnostic, type Result } from "../diagnostics.ts";
import type { Layout } from "../layout/types.ts";
import type { Manifest, Region } from "../manifest/types.ts";
import { paddedSize } from "./checksum.ts";
import { emitFixedItems, findOverlaps, type FixedItem } from "./fixed.ts";
import { finishImage } from "./finish.ts";
import { emitGetRelocationInfo } from "./get-reloc.ts";
import { emitInit16, headerItems } from "./header.ts";
import type { LaidOutImage, PlacedEntry } from "./laid-out.ts";
import { renderListing } from "./listing.ts";
import { buildManifest } from "./manifest.ts";
import { renderMap } from "./map.ts";
import { PCIR_SIZE, PNP_SIZE, pciItem, pnpItem, productString } from "./pci-pnp.ts";
import { bodyWriter, hex, OUT_OF_LINE_STUB_SIZE, planImage, type PlannedEntry } from "./plan.ts";
import type { BodyContext, RomProgram } from "./program.ts";
import { emitRelocTable, relocTableSize, type RelocAnswer } from "./reloc-table.ts";
import { entryItem, type EntryLabels } from "./slots.ts";

export interface BuiltImage {
  bytes: Uint8Array;
  manifest: Manifest;
  /** objdump-style listing of the whole image (.lst). */
  listing: string;
  /** Symbols and the slot table (.map). */
  map: string;
  symbols: AsmSymbol[];
  /** Where everything went: what the other renderings (GNU as source, ELF) are made from. */
  laidOut: LaidOutImage;
}

/** A body's cold part: recorded after every body, at `label` (symbol cold_<Call>). */
interface ColdPart {
  entry: PlannedEntry;
  label: Label;
  end: Label;
  emit: (a: Assembler) => void;
}

/** Out-of-line bodies, cold parts and shared routines start on this boundary (filler in between). */
const BODY_ALIGN = 16;

interface Recorded {
  what: string;
  call?: string;
  first: number;
  end: number;
  /** An org node that fails only if the item's body outgrew its slot. */
  padNode?: number;
  entry?: PlannedEntry;
}

export function buildImage(program: RomProgram, layout: Layout): Result<BuiltImage> {
  const roles = [...layout.jumpPoints.map((j) => j.role), ...layout.calls.flatMap((c) => (c.role ? [c.role] : []))];
  for (const role of ["init", "getRelocationInfo"] as const) {
    if (roles.filter((r) => r === role).length !== 1) {
      return fail(
        diag("IMAGE_LAYOUT", `layout ${layout.name} must have exactly one ${role} entry (a jump point or a call with that role)`, { path: "jumpPoints" }),
      );
    }
  }

  const a = new Assembler();
  const refs = {
    init16: a.newLabel("init16"),
    init16End: a.newLabel(),
    license: a.newLabel("license"),
    relocTable: a.newLabel("reloc_table"),
    manufacturer: a.newLabel("pnp_manufacturer"),
    product: a.newLabel("pnp_product"),
    pci: a.newLabel("pci_data"),
    pnp: a.newLabel("pnp_header"),
    dataEnd: a.newLabel(),
  };
  const emitGetReloc = (x: Assembler): void => emitGetRelocationInfo(x, layout, refs.relocTable);
  const planned = planImage(program, layout, a, emitGetReloc);
  if (!planned.ok) return planned;
  const { entries, shared } = planned.value;

  const labels = new Map<PlannedEntry, EntryLabels>();
  for (const e of entries) {
    if (e.source.kind !== "absent") labels.set(e, { body: e.outOfLine ? a.newLabel(`body_${e.name}`) : a.newLabel(), bodyEnd: a.newLabel() });
  }
  // Cold parts are filed while their bodies are recorded and placed after the last body.
  const colds: ColdPart[] = [];
  const coldFor =
    (e: PlannedEntry): BodyContext["cold"] =>
    (emit) => {
      const n = colds.filter((c) => c.entry === e).length;
      const part: ColdPart = { entry: e, label: a.newLabel(n ? `cold_${e.name}_${n + 1}` : `cold_${e.name}`), end: a.newLabel(), emit };
      colds.push(part);
      return part.label;
    };
  const writers = new Map(entries.map((e) => [e, bodyWriter(e, layout, shared, emitGetReloc, coldFor(e))]));
  const entryItems = new Map<FixedItem, PlannedEntry>();
  const items: FixedItem[] = [...headerItems(layout, refs), pciItem(layout, refs.pci), pnpItem(layout, refs.pnp, refs)];
  for (const e of entries) {
    const item = entryItem(layout, e, labels.get(e), writers.get(e));
    entryItems.set(item, e);
    items.push(item);
  }
  const overlaps = findOverlaps(items);
  if (overlaps.length) return { ok: false, errors: overlaps };

  // Fixed offsets first.
  const recorded: Recorded[] = emitFixedItems(a, items).map((n) => {
    const entry = entryItems.get(n.item);
    return { what: n.item.what, ...(n.item.call ? { call: n.item.call } : {}), first: n.first, end: n.end, padNode: n.padNode, ...(entry ? { entry } : {}) };
  });
  const tableEnd = layout.slots.base + layout.slots.count * layout.slots.size;
  a.org(Math.max(tableEnd, ...items.map((i) => i.offset + i.size)), 0);

  // Out-of-line code: call bodies, shared routines, Init, GetRelocationInfo.
  const outOfLine = entries.filter((e) => e.outOfLine && labels.has(e));
  const isInit = (e: PlannedEntry): boolean => e.context.role === "init";
  const isGetReloc = (e: PlannedEntry): boolean => e.source.kind === "getRelocationInfo";
  const recordBody = (e: PlannedEntry): void => {
    const l = must(labels.get(e), `labels of ${e.name}`);
    a.align(BODY_ALIGN, layout.filler);
    const first = a.nodeCount;
    a.label(l.body);
    must(writers.get(e), `the body writer of ${e.name}`)(a);
    a.label(l.bodyEnd);
    recorded.push({ what: `body of ${e.name}`, call: e.name, first, end: a.nodeCount, entry: e });
  };
  outOfLine.filter((e) => !isInit(e) && !isGetReloc(e)).forEach(recordBody);
  const sharedEnds = new Map<string, Label>();
  for (const routine of program.shared ?? []) {
    a.align(BODY_ALIGN, layout.filler);
    const first = a.nodeCount;
    a.label(must(shared[routine.name], `the label of shared routine ${routine.name}`));
    try {
      routine.emit(a, { layout, api: layout.version.major, shared });
    } catch (e) {
      return fail(diag("IMAGE_BODY_THREW", `shared routine ${routine.name} threw: ${e instanceof Error ? e.message : String(e)}`, { label: routine.name }));
    }
    const end = a.newLabel();
    a.label(end);
    sharedEnds.set(routine.name, end);
    recorded.push({ what: `shared routine ${routine.name}`, first, end: a.nodeCount });
  }
  outOfLine.filter(isInit).forEach(recordBody);
  outOfLine.filter(isGetReloc).forEach(recordBody);
  for (const c of colds) {
    a.align(BODY_ALIGN, layout.filler);
    const first = a.nodeCount;
    a.label(c.label);
    c.emit(a);
    a.label(c.end);
    recorded.push({ what: `cold part of ${c.entry.name}`, call: c.entry.name, first, end: a.nodeCount, entry: c.entry });
  }

  // The 16-bit init routine and the data.
  a.align(BODY_ALIGN, layout.filler);
  emitInit16(a, refs.init16);
  a.label(refs.init16End);
  a.align(4, 0);
  a.label(refs.relocTable);
  const answers = new Map<number, RelocAnswer>();
  for (const e of entries) if (e.call && e.source.kind !== "absent") answers.set(e.call.number, { target: e.offset, type: e.reloc });
  emitRelocTable(a, layout, answers);
  const product = productString(layout, program.backend);
  a.label(refs.license);
  a.asciz(layout.license);
  a.label(refs.manufacturer);
  a.asciz(layout.pnp.manufacturer);
  a.label(refs.product);
  a.asciz(product);
  a.label(refs.dataEnd);

  // First layout: how big is it? Then pad so that the checksum is the last byte of the last block.
  const first = a.assemble();
  if (!first.ok) return { ok: false, errors: locate(first.errors, recorded) };
  const content = first.bytes.length;
  const size = paddedSize(content);
  if (size > layout.maxImageSize) return fail(tooLarge(layout, size, content, entries, first.labels, labels));
  a.org(size - 1, 0);
  a.label("checksum");
  a.db(0);
  const second = a.assemble();
  if (!second.ok) return { ok: false, errors: locate(second.errors, recorded) };
  const bytes = second.bytes;
  // The same program plus an org and a byte: another size is a bug of the builder's, not a diagnostic.
  if (bytes.length !== size) throw new Error(`builder bug: the second layout gave ${bytes.length} bytes, not ${size}`);
  finishImage(bytes, layout);

  const at = (l: Label): number => must(second.labels.get(l), `a value for label ${l.name}`);
  const region = (start: Label, end: Label): Region => ({ offset: at(start), size: at(end) - at(start) });
  const placed: PlacedEntry[] = entries.map((e) => {
    const l = labels.get(e);
    if (!l) return { ...e, used: 2 };
    const body = region(l.body, l.bodyEnd);
    const cold = colds.filter((c) => c.entry === e).map((c) => region(c.label, c.end));
    const withCold = cold.length ? { cold } : {};
    return e.outOfLine
      ? { ...e, used: OUT_OF_LINE_STUB_SIZE, body, codeOffset: body.offset, ...withCold }
      : { ...e, used: body.size, codeOffset: e.offset, ...withCold };
  });
  const cString = (l: Label, text: string): Region & { text: string } => ({ offset: at(l), size: text.length + 1, text });
  const image: LaidOutImage = {
    layout,
    backend: program.backend,
    ...(program.hypervisor ? { hypervisor: program.hypervisor } : {}),
    bytes,
    assembled: second,
    entries: placed,
    shared: (program.shared ?? []).map((r) => ({
      name: r.name,
      ...region(must(shared[r.name], `the label of shared routine ${r.name}`), must(sharedEnds.get(r.name), `the end of shared routine ${r.name}`)),
    })),
    pci: { offset: layout.pci.offset, size: PCIR_SIZE },
    pnp: { offset: layout.pnp.offset, size: PNP_SIZE },
    relocTable: { offset: at(refs.relocTable), size: relocTableSize(layout) },
    license: cString(refs.license, layout.license),
    manufacturer: cString(refs.manufacturer, layout.pnp.manufacturer),
    product: cString(refs.product, product),
    init16: region(refs.init16, refs.init16End),
  };
  return {
    ok: true,
    value: {
      bytes,
      manifest: buildManifest(image),
      listing: renderListing(image),
      map: renderMap(image),
      symbols: second.symbols,
      laidOut: image,
    },
  };
}

function fail(d: Diagnostic): { ok: false; errors: Diagnostic[] } {
  return { ok: false, errors: [d] };
}

/** Ties assembler errors to the call or structure whose nodes caused them. */
function locate(errors: Diagnostic[], recorded: readonly Recorded[]): Diagnostic[] {
  const located = errors.map((d) => {
    const node = d.location.node;
    if (node === undefined) return d;
    const pad = recorded.find((r) => r.padNode === node);
    if (pad && d.code === "ASM_ORG_BACKWARDS" && pad.entry) {
      const e = pad.entry;
      return diag(
        "IMAGE_SLOT_OVERFLOW",
        `the body of ${pad.what} grew past its ${e.size}-byte area at ${hex(e.offset)} once placed (it measured ${e.measured} bytes on its own; alignment inside a body depends on where it lands)`,
        { ...d.location, call: e.name, offset: e.offset },
      );
    }
    const owner = recorded.find((r) => node >= r.first && node < r.end);
    if (!owner) return d;
    return { ...d, message: `in ${owner.what}: ${d.message}`, location: { ...d.location, ...(owner.call ? { call: owner.call } : {}) } };
  });
  // An overflowing body pushes every later fixed offset back too: report the cause, not each org after it.
  return located.some((d) => d.code === "IMAGE_SLOT_OVERFLOW") ? located.filter((d) => d.code !== "ASM_ORG_BACKWARDS") : located;
}

function tooLarge(
  layout: Layout,
  size: number,
  content: number,
  entries: readonly PlannedEntry[],
  values: ReadonlyMap<Label, number>,
  labels: ReadonlyMap<PlannedEntry, EntryLabels>,
): Diagnostic {
  const bodies = entries
    .flatMap((e) => {
      const l = labels.get(e);
      if (!e.outOfLine || !l) return [];
      const offset = values.get(l.body) ?? 0;
      return [{ name: e.name, offset, size: (values.get(l.bodyEnd) ?? offset) - offset }];
    })
    .sort((x, y) => y.size - x.size || x.offset - y.offset)
    .slice(0, 3);
  const largest = bodies.map((b) => `${b.name} ${b.size} bytes at ${hex(b.offset)}`).join(", ");
  return diag(
    "IMAGE_TOO_LARGE",
    `the image needs ${size} bytes (${content} bytes of content, a checksum byte, padding to 512) but layout ${layout.name} allows at most ${layout.maxImageSize}` +
      (largest ? `; largest out-of-line bodies: ${largest}` : ""),
    { offset: layout.maxImageSize, ...(bodies[0] ? { call: bodies[0].name } : {}) },
  );
}

/** What the builder made itself for every entry, label and routine it asks about: a miss is a bug of its own, not a diagnostic. */
function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`builder bug: no ${what}`);
  return value;
}
