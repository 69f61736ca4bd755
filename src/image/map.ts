// The .map text: every symbol with its offset and size, the jump points, and the slot table (call, bytes
// used of the slot, inline / out of line / absent, relocation type), so a reader sees at a glance where
// each call's code is and how much room is left.

import { isCallEntry, isJumpPointEntry, type LaidOutImage, type PlacedEntry } from "./laid-out.ts";
import { readField } from "./finish.ts";
import { sha256Hex } from "./manifest.ts";

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, "0")}`;

const PLACEMENT_TEXT: Record<PlacedEntry["placement"], string> = {
  inline: "inline",
  outOfLine: "out of line",
  absent: "absent",
  image: "image",
};

export function renderMap(image: LaidOutImage): string {
  const { layout, bytes } = image;
  const lines: string[] = [];
  lines.push(`# vmirom map: backend ${image.backend}, layout ${layout.name} (API ${layout.version.major}.${layout.version.minor})`);
  lines.push(`# ${bytes.length} bytes (${bytes.length / 512} blocks of 512), sha256 ${sha256Hex(bytes)}`);
  lines.push("");
  lines.push("Header fields:");
  lines.push(`  ${"offset".padEnd(8)}${"size".padStart(6)}  ${"name".padEnd(20)}value`);
  for (const f of layout.header) {
    const value = readField(bytes, f.offset, f.size, f.source.kind === "ascii");
    const text = typeof value === "string" ? JSON.stringify(value) : `0x${value.toString(16).padStart(f.size * 2, "0")}`;
    lines.push(
      `  ${hex4(f.offset).padEnd(8)}${String(f.size).padStart(6)}  ${f.name.padEnd(20)}${text} (${f.source.kind === "computed" ? f.source.what : f.source.kind})`,
    );
  }
  lines.push("");
  lines.push("Symbols:");
  lines.push(`  ${"offset".padEnd(8)}${"size".padStart(6)}  name`);
  const sizes = knownSizes(image);
  const symbols = image.assembled.symbols;
  for (const s of symbols) {
    const size = sizes.get(s.name) ?? s.size;
    lines.push(`  ${hex4(s.offset).padEnd(8)}${String(size).padStart(6)}  ${s.name}`);
  }

  const jumpPoints = image.entries.filter(isJumpPointEntry);
  if (jumpPoints.length) {
    lines.push("", "Jump points:");
    lines.push(`  ${"role".padEnd(20)}${"offset".padEnd(8)}${"used".padEnd(8)}${"placement".padEnd(13)}body`);
    for (const e of jumpPoints) {
      lines.push(
        `  ${e.jumpPoint.role.padEnd(20)}${hex4(e.offset).padEnd(8)}${`${e.used}/${e.size}`.padEnd(8)}${PLACEMENT_TEXT[e.placement].padEnd(13)}${bodyText(e)}`,
      );
    }
  }

  const calls = image.entries.filter(isCallEntry);
  const count = (p: PlacedEntry["placement"]): number => calls.filter((e) => e.placement === p).length;
  lines.push(
    "",
    `Slots: base ${hex4(layout.slots.base)}, ${layout.slots.size} bytes each, ${layout.slots.count} numbers, ${calls.length} calls ` +
      `(${count("inline")} inline, ${count("outOfLine")} out of line, ${count("absent")} absent, ${count("image")} image)`,
  );
  lines.push(`  ${"num".padStart(3)}  ${"call".padEnd(26)}${"offset".padEnd(8)}${"used".padEnd(8)}${"placement".padEnd(13)}${"body".padEnd(16)}reloc`);
  for (const e of calls) {
    lines.push(
      `  ${String(e.call.number).padStart(3)}  ${e.name.padEnd(26)}${hex4(e.offset).padEnd(8)}${`${e.used}/${e.size}`.padEnd(8)}` +
        `${PLACEMENT_TEXT[e.placement].padEnd(13)}${bodyText(e).padEnd(16)}${e.reloc}${absentReason(e)}`,
    );
  }

  if (image.shared.length) {
    lines.push("", "Shared routines:");
    for (const s of image.shared) lines.push(`  ${hex4(s.offset).padEnd(8)}${String(s.size).padStart(6)}  ${s.name}`);
  }
  lines.push("", "Data:");
  const data: Array<[string, { offset: number; size: number }]> = [
    ["PCIR", image.pci],
    ["$PnP header", image.pnp],
    ["16-bit init routine", image.init16],
    ["relocation table", image.relocTable],
    [`license ${JSON.stringify(image.license.text)}`, image.license],
    [`manufacturer ${JSON.stringify(image.manufacturer.text)}`, image.manufacturer],
    [`product ${JSON.stringify(image.product.text)}`, image.product],
    ["checksum byte", { offset: bytes.length - 1, size: 1 }],
  ];
  for (const [name, r] of data) lines.push(`  ${hex4(r.offset).padEnd(8)}${String(r.size).padStart(6)}  ${name}`);
  return lines.join("\n") + "\n";
}

function absentReason(e: PlacedEntry): string {
  return e.source.kind === "absent" && e.source.reason ? `  (${e.source.reason})` : "";
}

function bodyText(e: PlacedEntry): string {
  const cold = (e.cold ?? []).map((c) => ` cold ${hex4(c.offset)}+${c.size}`).join("");
  return (e.body ? `${hex4(e.body.offset)}+${e.body.size}` : "-") + cold;
}

/** Exact sizes of the symbols the builder defines (the assembler only knows the distance to the next one). */
function knownSizes(image: LaidOutImage): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of image.entries) {
    m.set(e.jumpPoint ? `jump_${e.jumpPoint.role}` : `stub_${e.name}`, e.size);
    if (e.body) m.set(`body_${e.name}`, e.body.size);
    (e.cold ?? []).forEach((c, i) => m.set(i ? `cold_${e.name}_${i + 1}` : `cold_${e.name}`, c.size));
  }
  for (const s of image.shared) m.set(s.name, s.size);
  m.set("pci_data", image.pci.size);
  m.set("pnp_header", image.pnp.size);
  m.set("init16", image.init16.size);
  m.set("reloc_table", image.relocTable.size);
  m.set("license", image.license.size);
  m.set("pnp_manufacturer", image.manufacturer.size);
  m.set("pnp_product", image.product.size);
  m.set("checksum", 1);
  return m;
}
