// The picture of an image (<rom>.svg, `vmirom map`): the bytes drawn to scale, 256 bytes a row at 5 px a
// byte, so a 32-byte slot is 160 px wide and its call name reads at 100 % zoom. Each slot is shaded by the
// bytes it uses and coloured by its form (inline, out of line, absent); out-of-line slots have an arrow to
// their body; routines, cold parts, the 16-bit init routine, PCIR/$PnP, the relocation table, strings and
// free space have their own colours. Every element carries a <title> (shown as a tooltip) with offsets and
// sizes. Deterministic: the same model gives the same text.

import type { Region } from "../manifest/types.ts";
import type { ImageModel, ModelCall, ModelRegion, RegionKind, SlotForm } from "./model.ts";

const ROW_BYTES = 256;
const PX = 5;
const BAR = 34;
const ROW_GAP = 14;
const ROW_H = BAR + ROW_GAP;
const LEFT = 64;
const TOP = 58;
const WIDTH = LEFT + ROW_BYTES * PX + 24;
const FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

const FORM_COLOURS: Record<SlotForm | "image", { used: string; room: string; stroke: string }> = {
  inline: { used: "#66bb6a", room: "#e8f5e9", stroke: "#2e7d32" },
  outOfLine: { used: "#ffa726", room: "#fff3e0", stroke: "#e65100" },
  absent: { used: "#9e9e9e", room: "#f5f5f5", stroke: "#616161" },
  image: { used: "#42a5f5", room: "#e3f2fd", stroke: "#1565c0" },
  malformed: { used: "#e53935", room: "#ffebee", stroke: "#b71c1c" },
};

const REGION_COLOURS: Record<RegionKind | "body", { fill: string; stroke: string }> = {
  header: { fill: "#bbdefb", stroke: "#1565c0" },
  pcir: { fill: "#90caf9", stroke: "#0d47a1" },
  pnp: { fill: "#81d4fa", stroke: "#01579b" },
  init16: { fill: "#80cbc4", stroke: "#00695c" },
  relocTable: { fill: "#fff59d", stroke: "#f9a825" },
  string: { fill: "#d7ccc8", stroke: "#5d4037" },
  checksum: { fill: "#424242", stroke: "#212121" },
  routine: { fill: "#ce93d8", stroke: "#6a1b9a" },
  cold: { fill: "#b0bec5", stroke: "#37474f" },
  free: { fill: "url(#free)", stroke: "#bdbdbd" },
  other: { fill: "#e0e0e0", stroke: "#9e9e9e" },
  body: { fill: "#ffcc80", stroke: "#e65100" },
};

const FORM_TEXT: Record<string, string> = { inline: "inline", outOfLine: "out of line", absent: "absent", image: "image", malformed: "malformed" };

export function renderSvg(model: ImageModel): string {
  const rows = Math.max(1, Math.ceil(model.size / ROW_BYTES));
  const legendY = TOP + rows * ROW_H + 10;
  const height = legendY + 56;
  const out: string[] = [];
  out.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">`,
    `<title>${esc(`${model.name}: map of the image`)}</title>`,
    "<defs>",
    `<pattern id="free" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e0e0e0" stroke-width="3"/></pattern>`,
    `<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#bf360c"/></marker>`,
    `<marker id="arrow-cold" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#37474f"/></marker>`,
    "</defs>",
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
  );
  out.push(text(LEFT, 24, heading(model), 15, "#212121", "bold"));
  out.push(text(LEFT, 44, subheading(model), 12, "#424242"));

  // Row rulers: offset labels and a faint background bar for each row.
  out.push('<g id="rows">');
  for (let r = 0; r < rows; r++) {
    const y = TOP + r * ROW_H;
    const bytesInRow = Math.min(ROW_BYTES, model.size - r * ROW_BYTES);
    out.push(`<rect x="${LEFT}" y="${y}" width="${bytesInRow * PX}" height="${BAR}" fill="#fafafa" stroke="#e0e0e0"/>`);
    out.push(text(LEFT - 6, y + BAR / 2 + 4, hex(r * ROW_BYTES, 4), 11, "#616161", "normal", "end", "monospace"));
  }
  out.push("</g>");

  // Regions that are not slots: header fields, structures, tables, strings, routines, free space.
  out.push('<g id="regions">');
  for (const r of model.regions) {
    if (r.kind === "header") continue; // drawn field by field below
    out.push(region(r, REGION_COLOURS[r.kind], regionLabel(r), regionTitle(r), `region-${r.kind}-${r.offset.toString(16)}`));
  }
  out.push("</g>");

  out.push('<g id="header">');
  const headerEnd = model.regions.find((r) => r.kind === "header");
  if (headerEnd) {
    const fields = [...model.header].sort((a, b) => a.offset - b.offset);
    fields.forEach((f, i) => {
      const shade = i % 2 === 0 ? "#bbdefb" : "#90caf9";
      out.push(
        region(
          f,
          { fill: shade, stroke: "#1565c0" },
          "",
          `header field ${f.name} at ${hex(f.offset, 4)}, ${f.size} bytes: ${fieldValue(f.value, f.size)}`,
          `field-${f.name}`,
        ),
      );
    });
    // Fields are 1 to 4 bytes (5 to 20 px): one label over the run of fields, each field's name in its tooltip.
    const first = fields[0];
    if (first) {
      let end = first.offset;
      for (const f of fields) if (f.offset <= end) end = Math.max(end, f.offset + f.size);
      const [seg] = segments({ offset: first.offset, size: end - first.offset });
      const label = "header fields";
      const w = label.length * 6.4 + 8;
      if (seg && seg.w >= w) {
        const x = seg.x + (seg.w - w) / 2;
        out.push(`<rect x="${round(x)}" y="${seg.y + 10}" width="${round(w)}" height="15" rx="3" fill="#ffffff" fill-opacity="0.85" pointer-events="none"/>`);
        out.push(text(x + 4, seg.y + 21.5, label, 11, "#0d47a1"));
      }
    }
    // The rest of the header (reserved bytes that are not a named field), outlined.
    const covered = new Set<number>();
    for (const f of fields) for (let b = f.offset; b < f.offset + f.size; b++) covered.add(b);
    for (const s of [...model.regions.filter((r) => r.kind === "pcir" || r.kind === "pnp"), ...model.jumpPoints])
      for (let b = s.offset; b < s.offset + s.size; b++) covered.add(b);
    const slotBytes = new Set<number>();
    for (const c of model.calls) for (let b = c.slot.offset; b < c.slot.offset + c.slot.size; b++) slotBytes.add(b);
    for (let b = 0; b < headerEnd.size; ) {
      if (covered.has(b) || slotBytes.has(b)) {
        b++;
        continue;
      }
      let e = b;
      while (e < headerEnd.size && !covered.has(e) && !slotBytes.has(e)) e++;
      out.push(
        region(
          { offset: b, size: e - b },
          { fill: "#e3f2fd", stroke: "#90caf9" },
          e - b >= 16 ? "header (reserved)" : "",
          `header bytes ${hex(b, 4)}–${hex(e - 1, 4)} (reserved)`,
          `header-reserved-${b.toString(16)}`,
          10,
        ),
      );
      b = e;
    }
  }
  for (const jp of model.jumpPoints) {
    const c = FORM_COLOURS[jp.form];
    out.push(`<g id="jump-${esc(jp.role)}">`);
    out.push(region({ offset: jp.offset, size: jp.size }, { fill: c.room, stroke: c.stroke }, "", "", `jump-${jp.role}-slot`));
    out.push(region({ offset: jp.offset, size: Math.min(jp.used, jp.size) }, { fill: c.used, stroke: "none" }, "", "", `jump-${jp.role}-used`));
    out.push(
      region(
        { offset: jp.offset, size: jp.size },
        { fill: "none", stroke: c.stroke },
        jp.role === "init" ? "Init" : "GRI",
        `jump point ${jp.role} at ${hex(jp.offset, 4)}: ${jp.used}/${jp.size} bytes, ${FORM_TEXT[jp.form]}${jp.body ? `, body at ${hex(jp.body.offset, 4)} (${jp.body.size} bytes)` : ""}`,
        `jump-${jp.role}-frame`,
        10,
      ),
    );
    out.push("</g>");
  }
  out.push("</g>");

  // Slots and their out-of-line bodies.
  out.push('<g id="calls">');
  for (const c of model.calls) out.push(slot(c));
  for (const c of model.calls) {
    if (!c.body) continue;
    out.push(
      region(
        c.body,
        REGION_COLOURS.body,
        `body_${c.name}`,
        `body_${c.name}: ${hex(c.body.offset, 4)}, ${c.body.size} bytes (call ${c.number} ${c.name})`,
        `body-${c.name}`,
        11,
        "#4e2600",
      ),
    );
  }
  for (const jp of model.jumpPoints) {
    if (!jp.body) continue;
    const name = jp.role === "init" ? "Init" : "GetRelocationInfo";
    out.push(
      region(
        jp.body,
        REGION_COLOURS.body,
        `body_${name}`,
        `body_${name}: ${hex(jp.body.offset, 4)}, ${jp.body.size} bytes (jump point ${jp.role})`,
        `body-jump-${jp.role}`,
        11,
        "#4e2600",
      ),
    );
  }
  out.push("</g>");

  // Arrows last, over everything: slot → body, body (or slot) → cold part.
  out.push('<g id="arrows" fill="none" stroke-linecap="round">');
  for (const c of model.calls) if (c.body) out.push(arrow(c.slot, c.body, `arrow-${c.name}`, "#bf360c", "arrow", false));
  for (const jp of model.jumpPoints) if (jp.body) out.push(arrow(jp, jp.body, `arrow-jump-${jp.role}`, "#bf360c", "arrow", false));
  for (const r of model.regions) {
    if (r.kind !== "cold") continue;
    // From the code that jumps there: an inline slot's hot path, or an out-of-line body.
    const owner = model.calls.find((c) => r.calls?.includes(c.name));
    if (owner) out.push(arrow(owner.form === "inline" ? owner.slot : (owner.body ?? owner.slot), r, `arrow-${r.name}`, "#37474f", "arrow-cold", true));
  }
  out.push("</g>");

  out.push(legend(legendY));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function heading(m: ImageModel): string {
  return `${m.name} — ${m.backend ? `backend ${m.backend}, ` : ""}layout ${m.layout.name} (API ${m.layout.version.major}.${m.layout.version.minor}), ${m.size} bytes`;
}

function subheading(m: ImageModel): string {
  const count = (f: string) => m.calls.filter((c) => c.placement === f).length;
  const free = m.regions.filter((r) => r.kind === "free").reduce((n, r) => n + r.size, 0);
  const kinds = [`${count("inline")} inline`, `${count("outOfLine")} out of line`, `${count("absent")} absent`];
  if (count("image")) kinds.push(`${count("image")} image`);
  if (count("malformed")) kinds.push(`${count("malformed")} malformed`);
  const routines = m.regions.filter((r) => r.kind === "routine").length;
  const cold = m.regions.filter((r) => r.kind === "cold").length;
  return (
    `${m.calls.length} calls: ${kinds.join(", ")}; ${routines} shared routine${routines === 1 ? "" : "s"}${cold ? `, ${cold} cold part${cold === 1 ? "" : "s"}` : ""}; ` +
    `${free} bytes free; checksum ${m.checksumOk ? "ok" : "BAD"}; ${m.fromManifest ? "with the build manifest" : "from the bytes alone"}; 256 bytes a row`
  );
}

function slot(c: ModelCall): string {
  const form = c.placement === "image" ? "image" : c.form;
  const col = FORM_COLOURS[form];
  const title =
    `call ${c.number} ${c.name}: slot ${hex(c.slot.offset, 4)}, ${c.used}/${c.slot.size} bytes used, ${FORM_TEXT[form]}` +
    (c.body ? `, body at ${hex(c.body.offset, 4)} (${c.body.size} bytes)` : "") +
    (c.cold ? c.cold.map((r) => `, cold part at ${hex(r.offset, 4)} (${r.size} bytes)`).join("") : "") +
    (c.reloc ? `, relocation ${c.reloc.type}${c.reloc.type === "NONE" || c.reloc.type === "NOP" ? "" : ` → ${hex(c.reloc.target, 4)}`}` : "");
  const parts = [`<g id="call-${esc(c.name)}" class="slot ${form}">`, `<title>${esc(title)}</title>`];
  for (const seg of segments(c.slot)) {
    parts.push(`<rect x="${seg.x}" y="${seg.y}" width="${seg.w}" height="${BAR}" fill="${col.room}"/>`);
  }
  for (const seg of segments({ offset: c.slot.offset, size: Math.min(c.used, c.slot.size) })) {
    parts.push(`<rect x="${seg.x}" y="${seg.y + BAR - 8}" width="${seg.w}" height="8" fill="${col.used}"/>`);
  }
  for (const seg of segments(c.slot)) {
    parts.push(`<rect x="${seg.x + 0.5}" y="${seg.y + 0.5}" width="${seg.w - 1}" height="${BAR - 1}" fill="none" stroke="${col.stroke}"/>`);
  }
  const note =
    form === "absent"
      ? "absent"
      : form === "outOfLine"
        ? `jmp → body`
        : form === "image"
          ? "image → body"
          : `${c.used}/${c.slot.size}${c.cold ? " + cold part" : ""}`;
  const [first] = segments(c.slot);
  if (first) {
    parts.push(fitText(first.x + 4, first.y + 13, first.w - 8, c.name, 11.5, "#1b1b1b", "bold"));
    parts.push(text(first.x + 4, first.y + BAR - 10, `${c.number} · ${note}`, 9, "#1b1b1b"));
  }
  parts.push("</g>");
  return parts.join("");
}

interface Segment {
  x: number;
  y: number;
  w: number;
}

/** A region cut at row ends. */
function segments(r: Region): Segment[] {
  const segs: Segment[] = [];
  let p = r.offset;
  const end = r.offset + r.size;
  while (p < end) {
    const row = Math.floor(p / ROW_BYTES);
    const rowEnd = Math.min(end, (row + 1) * ROW_BYTES);
    segs.push({ x: LEFT + (p % ROW_BYTES) * PX, y: TOP + row * ROW_H, w: (rowEnd - p) * PX });
    p = rowEnd;
  }
  return segs;
}

function region(r: Region, colour: { fill: string; stroke: string }, label: string, title: string, id: string, fontSize = 11, ink = "#1b1b1b"): string {
  const segs = segments(r);
  if (segs.length === 0) return "";
  const parts = [`<g id="${esc(id)}">`];
  if (title) parts.push(`<title>${esc(title)}</title>`);
  for (const s of segs) {
    parts.push(
      `<rect x="${s.x + 0.5}" y="${s.y + 0.5}" width="${Math.max(0.5, s.w - 1)}" height="${BAR - 1}" fill="${colour.fill}" stroke="${colour.stroke}"/>`,
    );
  }
  if (label) {
    const widest = segs.reduce((a, b) => (b.w > a.w ? b : a));
    parts.push(
      fitText(
        widest.x + 3,
        widest.y + BAR / 2 + fontSize / 2 - 1,
        widest.w - 6,
        label,
        fontSize,
        colour.fill === REGION_COLOURS.checksum.fill ? "#ffffff" : ink,
      ),
    );
  }
  parts.push("</g>");
  return parts.join("");
}

function regionLabel(r: ModelRegion): string {
  switch (r.kind) {
    case "relocTable":
      return `relocation table (${r.size} bytes)`;
    case "free":
      return r.size >= 24 ? `free (${r.size} bytes)` : "";
    case "other":
      return r.size >= 24 ? `${r.name} (${r.size} bytes)` : "";
    case "string":
      return r.name;
    case "checksum":
      return "";
    case "routine":
      return r.name;
    case "cold":
      return r.name;
    default:
      return r.name;
  }
}

function regionTitle(r: ModelRegion): string {
  const where = `${hex(r.offset, 4)}–${hex(r.offset + r.size - 1, 4)}, ${r.size} byte${r.size === 1 ? "" : "s"}`;
  switch (r.kind) {
    case "routine":
      return `shared routine ${r.name}: ${where}${r.calls?.length ? `; used by ${r.calls.join(", ")}` : ""}`;
    case "cold":
      return `cold part ${r.name}: ${where}${r.calls?.length ? ` (of ${r.calls.join(", ")})` : ""}`;
    case "string":
      return `string ${r.name}: ${where}`;
    case "checksum":
      return `checksum byte at ${hex(r.offset, 4)} (the image sums to 0 mod 256)`;
    case "init16":
      return `16-bit init routine (the BIOS far-calls offset 3): ${where}`;
    default:
      return `${r.name}: ${where}`;
  }
}

/** A curve from the bottom of `from` to the top of `to`'s first byte. */
function arrow(from: Region, to: Region, id: string, colour: string, marker: string, dashed: boolean): string {
  const a = segments(from)[0];
  const b = segments(to)[0];
  if (!a || !b) return "";
  const x1 = a.x + Math.min(a.w, 60) / 2;
  const y1 = a.y + BAR;
  const x2 = b.x + 4;
  const y2 = b.y;
  const down = y2 > y1;
  const bend = Math.max(30, Math.abs(y2 - y1) / 3);
  const d = down ? `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}` : `M${x1},${y1} C${x1},${y1 + 30} ${x2},${y2 - 30} ${x2},${y2}`;
  return `<path id="${esc(id)}" d="${d}" stroke="${colour}" stroke-width="1.6" stroke-opacity="0.85"${dashed ? ' stroke-dasharray="5 3"' : ""} marker-end="url(#${marker})"/>`;
}

function legend(y: number): string {
  const items: Array<[string, string, string]> = [
    ["inline", FORM_COLOURS.inline.used, FORM_COLOURS.inline.room],
    ["out of line", FORM_COLOURS.outOfLine.used, FORM_COLOURS.outOfLine.room],
    ["absent", FORM_COLOURS.absent.used, FORM_COLOURS.absent.room],
    ["image (GetRelocationInfo)", FORM_COLOURS.image.used, FORM_COLOURS.image.room],
    ["body", REGION_COLOURS.body.fill, REGION_COLOURS.body.fill],
    ["shared routine", REGION_COLOURS.routine.fill, REGION_COLOURS.routine.fill],
    ["cold part", REGION_COLOURS.cold.fill, REGION_COLOURS.cold.fill],
    ["header / PCIR / $PnP", REGION_COLOURS.header.fill, REGION_COLOURS.pcir.fill],
    ["init16", REGION_COLOURS.init16.fill, REGION_COLOURS.init16.fill],
    ["relocation table", REGION_COLOURS.relocTable.fill, REGION_COLOURS.relocTable.fill],
    ["string", REGION_COLOURS.string.fill, REGION_COLOURS.string.fill],
    ["free", "url(#free)", "url(#free)"],
    ["alignment filler", REGION_COLOURS.other.fill, REGION_COLOURS.other.fill],
  ];
  const parts = ['<g id="legend">'];
  let x = LEFT;
  let row = 0;
  for (const [name, strong, light] of items) {
    const w = 22 + name.length * 6.6 + 18;
    if (x + w > WIDTH - 10) {
      x = LEFT;
      row++;
    }
    const yy = y + row * 22;
    parts.push(
      `<rect x="${x}" y="${yy}" width="18" height="14" fill="${light}" stroke="#757575"/><rect x="${x}" y="${yy + 9}" width="9" height="5" fill="${strong}"/>`,
    );
    parts.push(text(x + 22, yy + 11.5, name, 11, "#212121"));
    x += w;
  }
  parts.push(
    text(
      LEFT,
      y + (row + 1) * 22 + 10,
      "slot shading: the darker strip at the bottom of a slot is the bytes its code uses (to scale); hover for offsets, sizes and relocation answers",
      10,
      "#616161",
    ),
  );
  parts.push("</g>");
  return parts.join("");
}

function text(x: number, y: number, s: string, size: number, fill: string, weight = "normal", anchor = "start", family?: string): string {
  return `<text x="${round(x)}" y="${round(y)}" font-size="${size}" fill="${fill}"${weight !== "normal" ? ` font-weight="${weight}"` : ""}${anchor !== "start" ? ` text-anchor="${anchor}"` : ""}${family ? ` font-family="${family}"` : ""}>${esc(s)}</text>`;
}

/** Text that stays inside `width`: a smaller font first (down to 8 px), then cut with an ellipsis (the tooltip has it all). */
function fitText(x: number, y: number, width: number, s: string, size: number, fill: string, weight = "normal"): string {
  const charW = weight === "bold" ? 0.64 : 0.58;
  let fs = size;
  while (fs > 8 && s.length * fs * charW > width) fs -= 0.5;
  const room = Math.floor(width / (fs * charW));
  if (room >= s.length) return text(x, y, s, fs, fill, weight);
  return room >= 4 ? text(x, y, `${s.slice(0, room - 1)}…`, fs, fill, weight) : "";
}

function fieldValue(v: number | string | undefined, size: number): string {
  if (v === undefined) return "outside the image";
  return typeof v === "string" ? JSON.stringify(v) : hex(v, size * 2);
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
